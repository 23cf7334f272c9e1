#!/usr/bin/env bash
# Setup + teardown of one bridge container's network with a published port, N times, with
# netavark (what strata uses) and with the CNI plugins (bridge + portmap + firewall, chained
# by hand as a CNI runtime does). Prints the median ms of each. No traffic is sent.
# Leaves the host as it found it: its own netns, bridge and rules are removed at the end.
set -euo pipefail
N=${N:-15}
NETAVARK=${NETAVARK:-/usr/lib/podman/netavark}
CNI=${CNI:-/usr/lib/cni}
work=$(mktemp -d)
ns=strata-bench-$$
cleanup() {
  ip netns del "$ns" 2>/dev/null || true
  ip link del strbench0 2>/dev/null || true
  ip link del cnibench0 2>/dev/null || true
  # The base chains both tools add and leave once empty (strata removes netavark's own; see
  # src/network/firewall-cleanup.ts).
  for c in CNI-FORWARD CNI-ADMIN; do iptables -t filter -F "$c" 2>/dev/null || true; done
  iptables -t filter -D FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD 2>/dev/null || true
  for c in CNI-FORWARD CNI-ADMIN; do iptables -t filter -X "$c" 2>/dev/null || true; done
  for c in CNI-HOSTPORT-DNAT CNI-HOSTPORT-MASQ CNI-HOSTPORT-SETMARK; do iptables -t nat -F "$c" 2>/dev/null || true; done
  iptables -t nat -D PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT 2>/dev/null || true
  iptables -t nat -D OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT 2>/dev/null || true
  iptables -t nat -D POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ 2>/dev/null || true
  for c in CNI-HOSTPORT-DNAT CNI-HOSTPORT-MASQ CNI-HOSTPORT-SETMARK; do iptables -t nat -X "$c" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
nspath=/run/netns/$ns
cid=$(printf 'b%.0s' $(seq 64))

cat > "$work/netavark.json" <<JSON
{"container_id":"$cid","container_name":"bench","networks":{"bench":{"interface_name":"eth0","static_ips":["10.231.0.2"]}},
 "network_info":{"bench":{"name":"bench","id":"$cid","driver":"bridge","network_interface":"strbench0",
  "subnets":[{"subnet":"10.231.0.0/24","gateway":"10.231.0.1"}],"ipv6_enabled":false,"internal":false,"dns_enabled":false}},
 "port_mappings":[{"host_ip":"","container_port":80,"host_port":28080,"range":1,"protocol":"tcp"}]}
JSON

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for _ in $(seq "$N"); do
  t0=$(now)
  "$NETAVARK" --config "$work/nv" setup "$nspath" < "$work/netavark.json" > /dev/null
  "$NETAVARK" --config "$work/nv" teardown "$nspath" < "$work/netavark.json"
  echo $(( ($(now) - t0) / 1000000 ))
done | median > "$work/nv.ms"

# The CNI side: each plugin gets the network config with the previous plugin's result.
conf() { # plugin, extra fields, prevResult or ""
  local prev=""; [ -n "$3" ] && prev=",\"prevResult\":$3"
  printf '{"cniVersion":"1.0.0","name":"bench","type":"%s"%s%s}' "$1" "$2" "$prev"
}
bridge_extra=',"bridge":"cnibench0","isGateway":true,"ipMasq":true,"ipam":{"type":"host-local","ranges":[[{"subnet":"10.232.0.0/24"}]],"dataDir":"'"$work"'/ipam"}'
portmap_extra=',"capabilities":{"portMappings":true},"runtimeConfig":{"portMappings":[{"hostPort":28081,"containerPort":80,"protocol":"tcp"}]}'
cni() { # command
  export CNI_COMMAND=$1 CNI_CONTAINERID=$cid CNI_NETNS=$nspath CNI_IFNAME=eth0 CNI_PATH=$CNI
  if [ "$1" = ADD ]; then
    r=$(conf bridge "$bridge_extra" "" | "$CNI/bridge")
    r=$(conf portmap "$portmap_extra" "$r" | "$CNI/portmap")
    conf firewall "" "$r" | "$CNI/firewall" > "$work/result.json"
  else
    # DEL needs the ADD's result (a CNI runtime caches it, as libcni does under /var/lib/cni).
    r=$(cat "$work/result.json")
    conf firewall "" "$r" | "$CNI/firewall"
    conf portmap "$portmap_extra" "$r" | "$CNI/portmap"
    conf bridge "$bridge_extra" "$r" | "$CNI/bridge"
  fi
}
for _ in $(seq "$N"); do
  t0=$(now)
  cni ADD
  cni DEL
  echo $(( ($(now) - t0) / 1000000 ))
done | median > "$work/cni.ms"

printf '| stack | setup + teardown, median of %s (ms) |\n| --- | --- |\n' "$N"
printf '| netavark 1.4 | %s |\n| CNI 1.1 bridge+portmap+firewall | %s |\n' "$(cat "$work/nv.ms")" "$(cat "$work/cni.ms")"
