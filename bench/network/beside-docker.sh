#!/usr/bin/env bash
# Issue 12's network benchmark, strata beside docker in one run: what the default bridge
# adds over --network none to `run --rm IMAGE true` (on a bridge no container uses, and with
# another container on it), 20 `run -d` at once on one user
# network, and a large file through a published port (from 127.0.0.1) and from the
# container's own address. Runs alternate between the engines (strata first on odd rounds,
# docker first on even ones); medians.
#
# docker runs apart from any other daemon on the host: its own containerd (own socket, root,
# state), its own dockerd socket, data-root, exec-root and pidfile, and its default bridge
# on a bridge made here (nbdocker0, 172.31.0.0/16) so it cannot meet strata's networks,
# which use a daemon.json of their own (nbstrata0, 10.240.0.0/16). On exit, even on Ctrl-C,
# it stops the daemons it started (by pid), removes docker's bridges, chains and rules, puts
# back the FORWARD policy and bridge sysctls, and compares the host's nft ruleset, links and
# addresses with the snapshot taken before (exit 1 when a trace of this run is left).
# Traffic goes to 127.0.0.1 and the benchmark's own containers only.
#
# Usage: bash bench/network/beside-docker.sh
#   N=rounds of run --rm (default 9)  MANY=rounds of 20 run -d (default 3)
#   MB=size of the served file (default 256)  RATE=transfers per engine (default 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-9}
MANY=${MANY:-3}
MB=${MB:-256}
RATE=${RATE:-5}
IMAGE=netbench/bb:1
DOCKER_BRIDGE=nbdocker0
DOCKER_BIP=172.31.0.1/16
DOCKER_USERNET=10.242.0.0/24
STRATA_USERNET=10.241.0.0/24
CTR_DIR=/run/netbench-containerd
DOCKER_SOCK=/run/netbench-docker.sock
DOCKER_EXEC=/run/netbench-docker
DOCKER_PID=/run/netbench-docker.pid

for tool in containerd dockerd docker nft ip iptables curl python3 runc; do
  command -v "$tool" >/dev/null || { echo "beside-docker: $tool is not installed" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "beside-docker: must run as root (bridges, netns, iptables)" >&2; exit 2; }
for path in "$CTR_DIR" "$DOCKER_SOCK" "$DOCKER_EXEC" "$DOCKER_PID"; do
  [ ! -e "$path" ] || { echo "beside-docker: $path exists: another run of this benchmark is under way or was killed (remove it once none runs)" >&2; exit 2; }
done
ip link show "$DOCKER_BRIDGE" >/dev/null 2>&1 && { echo "beside-docker: link $DOCKER_BRIDGE already exists (left by a killed run?)" >&2; exit 2; }
ip route | grep -q '^172\.31\.' && { echo "beside-docker: 172.31.0.0/16 is already routed on this host" >&2; exit 2; }

work=$(mktemp -d /tmp/netbench.XXXXXX)
export STRATA_ROOT="$work/store"
export STRATA_DAEMON_CONFIG="$work/strata-daemon.json"
echo '{"bip":"10.240.0.1/16","bridge":"nbstrata0"}' > "$STRATA_DAEMON_CONFIG"
S="$PWD/bin/strata"
D() { docker -H "unix://$DOCKER_SOCK" "$@"; }
cli() { if [ "$1" = strata ]; then shift; "$S" "$@"; else shift; D "$@"; fi; }

# --- the host before -------------------------------------------------------------------
links() { ip -o link | sed -E 's/^[0-9]+: //; s/ qlen [0-9]+//; s/\\.*//' | sort; }
addrs() { ip -o addr | sed -E 's/^[0-9]+: //; s/valid_lft \S+ preferred_lft \S+//' | sort; }
nft list ruleset 2>/dev/null > "$work/before.nft"
links > "$work/before.links"
addrs > "$work/before.addrs"
forward_policy=$(iptables -S FORWARD 2>/dev/null | awk '$1=="-P"{print $3}')
had_filter=0; nft list table ip filter >/dev/null 2>&1 && had_filter=1
had_nat=0; nft list table ip nat >/dev/null 2>&1 && had_nat=1
declare -A sysctl_before
for f in /proc/sys/net/bridge/bridge-nf-call-iptables /proc/sys/net/bridge/bridge-nf-call-ip6tables /proc/sys/net/ipv4/ip_forward; do
  [ -r "$f" ] && sysctl_before[$f]=$(cat "$f")
done

ctr_pid=''
dockerd_pid=''

# Remove what docker leaves in iptables: its chains, the jumps to them and the rules naming
# its bridges or subnets; the built-in chains' policies as they were; tables it made, once
# empty (netavark of another store may use them meanwhile, so only when nothing else is in).
scrub_iptables() {
  local table chain rule
  for table in filter nat; do
    nft list table ip "$table" >/dev/null 2>&1 || continue
    iptables -t "$table" -S | grep -E '^-A (INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING) ' \
      | grep -E -- "-j DOCKER|$DOCKER_BRIDGE|nbdocker1|172\.31\.|${DOCKER_USERNET%.*}\." | while read -r rule; do
        # shellcheck disable=SC2086
        iptables -t "$table" ${rule/-A /-D } || true
      done
    for chain in $(iptables -t "$table" -S | awk '$1=="-N" && $2 ~ /^DOCKER/ {print $2}'); do iptables -t "$table" -F "$chain" || true; done
    for chain in $(iptables -t "$table" -S | awk '$1=="-N" && $2 ~ /^DOCKER/ {print $2}'); do iptables -t "$table" -X "$chain" || true; done
  done
  [ -n "$forward_policy" ] && nft list table ip filter >/dev/null 2>&1 && iptables -P FORWARD "$forward_policy"
  [ "$had_filter" = 1 ] || { [ "$(iptables -t filter -S | grep -cv '^-P .* ACCEPT$')" = 0 ] && nft delete table ip filter 2>/dev/null || true; }
  [ "$had_nat" = 1 ] || { [ "$(iptables -t nat -S | grep -cv '^-P .* ACCEPT$')" = 0 ] && nft delete table ip nat 2>/dev/null || true; }
}

stop_pid() { # pid, name: TERM, up to 30 s for it to go, then KILL
  local pid=$1 i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 300); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  echo "beside-docker: $2 ($pid) did not stop on TERM, killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$? left=0 f pid
  set +e
  trap - EXIT
  trap '' INT TERM # a second Ctrl-C must not cut the clean-up short
  echo "beside-docker: cleaning up" >&2
  ids=$("$S" ps -aq --filter label=netbench=1 2>/dev/null)
  [ -n "$ids" ] && "$S" rm -f $ids >/dev/null 2>&1
  "$S" network rm benchnet >/dev/null 2>&1
  if [ -n "$dockerd_pid" ] && kill -0 "$dockerd_pid" 2>/dev/null; then
    ids=$(D ps -aq 2>/dev/null)
    [ -n "$ids" ] && D rm -f $ids >/dev/null 2>&1
    D network rm benchnet >/dev/null 2>&1
  fi
  stop_pid "$dockerd_pid" dockerd
  # Shims of our containerd outlive it when a container was left: only those naming its socket.
  for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $CTR_DIR/containerd.sock"); do kill -KILL "$pid" 2>/dev/null; done
  stop_pid "$ctr_pid" containerd
  for f in $(findmnt -rn -o TARGET | grep -E "^($work|$DOCKER_EXEC|$CTR_DIR)" | sort -r); do umount -l "$f"; done
  for f in "$DOCKER_BRIDGE" nbdocker1; do ip link show "$f" >/dev/null 2>&1 && ip link delete "$f"; done
  scrub_iptables
  for f in "${!sysctl_before[@]}"; do [ -w "$f" ] && echo "${sysctl_before[$f]}" > "$f"; done
  rm -rf "$CTR_DIR" "$DOCKER_EXEC" "$DOCKER_SOCK" "$DOCKER_PID"

  # The host after, beside before. Other engineers' tests may change it meanwhile, so only
  # differences that name this run's bridges, chains or subnets count as left by it.
  nft list ruleset 2>/dev/null > "$work/after.nft"; links > "$work/after.links"; addrs > "$work/after.addrs"
  for f in nft links addrs; do
    if ! diff -u "$work/before.$f" "$work/after.$f" > "$work/diff.$f"; then
      if grep -E '^[+-][^+-]' "$work/diff.$f" | grep -qiE 'docker|nbstrata0|nbdocker|172\.31\.|10\.24[0-2]\.'; then
        echo "beside-docker: LEFT ON THE HOST ($f):" >&2; cat "$work/diff.$f" >&2; left=1
      else
        echo "beside-docker: the host's $f changed during the run, not by it (other work?):" >&2; cat "$work/diff.$f" >&2
      fi
    fi
  done
  [ "$left" = 0 ] && echo "beside-docker: host networking as before (nft ruleset, links, addresses)" >&2
  rm -rf "$work"
  [ "$left" = 0 ] || exit 1
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- docker, apart ---------------------------------------------------------------------
ip link add "$DOCKER_BRIDGE" type bridge
ip addr add "$DOCKER_BIP" dev "$DOCKER_BRIDGE"
ip link set "$DOCKER_BRIDGE" up
mkdir -p "$CTR_DIR"
cat > "$work/containerd.toml" <<EOF
version = 2
root = "$work/containerd"
state = "$CTR_DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CTR_DIR/containerd.sock"
[ttrpc]
  address = "$CTR_DIR/containerd.sock.ttrpc"
EOF
containerd --config "$work/containerd.toml" > "$work/containerd.log" 2>&1 &
ctr_pid=$!
for _ in $(seq 300); do [ -S "$CTR_DIR/containerd.sock" ] && break; kill -0 "$ctr_pid" || break; sleep 0.1; done
[ -S "$CTR_DIR/containerd.sock" ] || { echo "beside-docker: containerd did not start:" >&2; cat "$work/containerd.log" >&2; exit 1; }
echo '{}' > "$work/dockerd.json"
dockerd -H "unix://$DOCKER_SOCK" --containerd "$CTR_DIR/containerd.sock" --config-file "$work/dockerd.json" \
  --data-root "$work/docker" --exec-root "$DOCKER_EXEC" --pidfile "$DOCKER_PID" \
  --bridge "$DOCKER_BRIDGE" --fixed-cidr 172.31.0.0/16 --iptables=true --ip-masq=true > "$work/dockerd.log" 2>&1 &
dockerd_pid=$!
for _ in $(seq 600); do D version >/dev/null 2>&1 && break; kill -0 "$dockerd_pid" || break; sleep 0.1; done
D version >/dev/null 2>&1 || { echo "beside-docker: dockerd did not start:" >&2; tail -20 "$work/dockerd.log" >&2; exit 1; }

# --- one image, in both ----------------------------------------------------------------
mkdir -p "$work/rootfs/bin" "$work/rootfs/www"
cp /bin/busybox "$work/rootfs/bin/"
chroot "$work/rootfs" /bin/busybox --install -s /bin
head -c "$((MB * 1048576))" /dev/urandom > "$work/rootfs/www/big"
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
rm -rf "$work/rootfs"
"$S" import "$work/rootfs.tar" "$IMAGE" >/dev/null
rm -f "$work/rootfs.tar"
"$S" save "$IMAGE" | D load >/dev/null
[ "$("$S" inspect --format '{{.Id}}' "$IMAGE")" = "$(D inspect --format '{{.Id}}' "$IMAGE")" ] \
  || echo "beside-docker: note: the image's ID differs between the engines" >&2

ms() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
order() { if (( $1 % 2 )); then echo strata docker; else echo docker strata; fi; }
timed() { local t; t=$(ms); "$@" >/dev/null || { echo "beside-docker: failed: $*" >&2; return 1; }; echo $(( ($(ms) - t) / 1000000 )); }
declare -A samples
add() { samples[$1]+="$2"$'\n'; }
med() { printf '%s' "${samples[$1]}" | grep . | median; }
echo "beside-docker: load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# --- run --rm true: none, then the default bridge --------------------------------------
for e in strata docker; do cli "$e" run --rm "$IMAGE" true; cli "$e" run --rm --network none "$IMAGE" true; done
for i in $(seq "$N"); do
  for e in $(order "$i"); do
    none=$(timed cli "$e" run --rm --network none "$IMAGE" true)
    bridge=$(timed cli "$e" run --rm "$IMAGE" true)
    add "$e.none" "$none"; add "$e.bridge" "$bridge"; add "$e.added" "$((bridge - none))"
  done
done

# --- the same with a container already on each default bridge -------------------------
# docker's bridge and chains exist while its daemon runs; strata's exist while a container
# uses them (the last one out removes them, so the host is as it was). With one container
# kept running on each side, both engines start from a bridge that is up.
for e in strata docker; do cli "$e" run -d --label netbench=1 --name "netbench-keep-$e" "$IMAGE" sleep 600 >/dev/null; done
for i in $(seq "$N"); do
  for e in $(order "$i"); do
    none=$(timed cli "$e" run --rm --network none "$IMAGE" true)
    bridge=$(timed cli "$e" run --rm "$IMAGE" true)
    add "$e.warm" "$bridge"; add "$e.warmadded" "$((bridge - none))"
  done
done
for e in strata docker; do cli "$e" rm -f "netbench-keep-$e" >/dev/null; done

# --- 20 run -d at once on one user network ---------------------------------------------
many_round() { # engine
  local e=$1 net t
  if [ "$e" = strata ]; then net=(--subnet "$STRATA_USERNET"); else net=(--subnet "$DOCKER_USERNET" -o com.docker.network.bridge.name=nbdocker1); fi
  cli "$e" network create "${net[@]}" benchnet >/dev/null
  local pids=() pid failed=0
  t=$(ms)
  for _ in $(seq 20); do cli "$e" run -d --label netbench=1 --network benchnet "$IMAGE" sleep 600 >/dev/null & pids+=($!); done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  add "$e.many" $(( ($(ms) - t) / 1000000 ))
  [ "$failed" = 0 ] || { echo "beside-docker: $e: a run -d failed" >&2; exit 1; }
  [ "$(cli "$e" ps -q --filter label=netbench=1 | wc -l)" = 20 ] || { echo "beside-docker: $e: not 20 containers running" >&2; exit 1; }
  [ "$(cli "$e" inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' $(cli "$e" ps -q --filter label=netbench=1) | sort -u | wc -l)" = 20 ] \
    || { echo "beside-docker: $e: the 20 containers do not have 20 distinct addresses" >&2; exit 1; }
  cli "$e" rm -f $(cli "$e" ps -aq --filter label=netbench=1) >/dev/null
  # Under load dockerd can answer `rm -f` before the endpoints are gone ("has active
  # endpoints"): ask again until the network goes, as a user would.
  for _ in $(seq 100); do cli "$e" network rm benchnet >/dev/null 2>&1 && return 0; sleep 0.2; done
  cli "$e" network rm benchnet >/dev/null
}
for i in $(seq "$MANY"); do for e in $(order "$i"); do many_round "$e"; done; done

# --- a large file through -p, from 127.0.0.1 and from the container's address ----------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
declare -A port addr
for e in strata docker; do
  port[$e]=$(free_port)
  cli "$e" run -d --label netbench=1 --name "netbench-web-$e" -p "${port[$e]}:80" "$IMAGE" httpd -f -p 80 -h /www >/dev/null
  addr[$e]=$(cli "$e" inspect --format '{{.NetworkSettings.IPAddress}}' "netbench-web-$e")
  for _ in $(seq 300); do curl -s -o /dev/null -r 0-0 "http://127.0.0.1:${port[$e]}/big" && break; sleep 0.1; done
  echo "beside-docker: $e serves on 127.0.0.1:${port[$e]} and ${addr[$e]}:80" >&2
done
rate() { curl -sf -o /dev/null -w '%{speed_download} %{size_download}\n' "$1" \
  | awk -v want="$((MB * 1048576))" '$2 != want {print "short transfer: " $2 " bytes" > "/dev/stderr"; exit 1} {printf "%.0f\n", $1/1000000}'; }
for i in $(seq "$RATE"); do
  for e in $(order "$i"); do
    add "$e.port" "$(rate "http://127.0.0.1:${port[$e]}/big")"
    add "$e.direct" "$(rate "http://${addr[$e]}/big")"
  done
done
echo "beside-docker: load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# --- the table ---------------------------------------------------------------------------
# A ratio only between positive figures (under load, docker's bridge can come out cheaper than none).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a <= 0 || b <= 0) print "-"; else printf "%.2f", a / b }'; }
row() { # label key unit
  printf '| %s | %s | %s | %s |\n' "$1" "$(med "strata.$2")" "$(med "docker.$2")" "$(ratio "$(med "strata.$2")" "$(med "docker.$2")")"
}
echo
echo "medians; run --rm: $N rounds, 20 run -d: $MANY rounds, transfers: $RATE per engine; strata/docker"
echo '| work | strata | docker | strata / docker |'
echo '| --- | --- | --- | --- |'
row 'run --rm true, --network none (ms)' none
row 'run --rm true, default bridge (ms)' bridge
row 'what the bridge adds (ms, median of per-round differences)' added
row 'run --rm true, default bridge with another container on it (ms)' warm
row 'what the bridge adds then (ms, median of per-round differences)' warmadded
row '20 run -d at once on one user network (ms)' many
row "$MB MiB through -p from 127.0.0.1 (MB/s)" port
row "$MB MiB from the container's address (MB/s)" direct
