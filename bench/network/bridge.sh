#!/usr/bin/env bash
# What the default bridge costs: `run --rm IMAGE true` with --network none and on the
# default bridge, 20 `run -d` at once on one user network, and the throughput of a large
# file through a published port (from 127.0.0.1) beside the container's own address.
# With a docker daemon that has its bridge (docker network inspect bridge), docker runs the
# same beside strata. Traffic goes to 127.0.0.1 and the benchmark's own containers only.
# Usage: bash bench/network/bridge.sh   (N=runs, default 10; STRATA_ROOT: a scratch store is made)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-10}
work=$(mktemp -d)
export STRATA_ROOT=${STRATA_ROOT:-$work/store}
S="$PWD/bin/strata"
engines=(strata)
if docker network inspect bridge >/dev/null 2>&1; then engines+=(docker); fi
cli() { if [ "$1" = strata ]; then shift; "$S" "$@"; else shift; docker "$@"; fi; }
cleanup() {
  for e in "${engines[@]}"; do
    ids=$(cli "$e" ps -aq --filter label=strata-bench=1 2>/dev/null || true)
    [ -n "$ids" ] && cli "$e" rm -f $ids >/dev/null 2>&1 || true
    cli "$e" network rm benchnet >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# An image with busybox and a 256 MiB file to serve.
mkdir -p "$work/rootfs/bin" "$work/rootfs/www"
cp /bin/busybox "$work/rootfs/bin/"
chroot "$work/rootfs" /bin/busybox --install -s /bin
head -c 268435456 /dev/urandom > "$work/rootfs/www/big"
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
for e in "${engines[@]}"; do cli "$e" import "$work/rootfs.tar" benchnet/bb:1 >/dev/null; done

ms() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '| engine | run --rm true, none (ms) | on the bridge (ms) | bridge adds | 20 run -d at once (ms) | 256 MiB via -p 127.0.0.1 (MB/s) | via its own address (MB/s) |\n| --- | --- | --- | --- | --- | --- | --- |\n'
for e in "${engines[@]}"; do
  cli "$e" run --rm benchnet/bb:1 true
  none=$(for _ in $(seq "$N"); do t=$(ms); cli "$e" run --rm --network none benchnet/bb:1 true; echo $(( ($(ms) - t) / 1000000 )); done | median)
  bridge=$(for _ in $(seq "$N"); do t=$(ms); cli "$e" run --rm benchnet/bb:1 true; echo $(( ($(ms) - t) / 1000000 )); done | median)
  cli "$e" network create --subnet 10.230.0.0/24 benchnet >/dev/null
  t=$(ms)
  for i in $(seq 20); do cli "$e" run -d --label strata-bench=1 --network benchnet benchnet/bb:1 sleep 300 >/dev/null & done
  wait
  many=$(( ($(ms) - t) / 1000000 ))
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cli "$e" run -d --label strata-bench=1 --name benchweb -p "$port:80" benchnet/bb:1 httpd -f -p 80 -h /www >/dev/null
  ip=$(cli "$e" inspect --format '{{.NetworkSettings.IPAddress}}' benchweb)
  until curl -s -o /dev/null "http://127.0.0.1:$port/big"; do sleep 0.1; done
  rate() { curl -s -o /dev/null -w '%{speed_download}' "$1" | awk '{printf "%.0f", $1/1000000}'; }
  viaport=$(for _ in 1 2 3; do rate "http://127.0.0.1:$port/big"; echo; done | median)
  direct=$(for _ in 1 2 3; do rate "http://$ip/big"; echo; done | median)
  cli "$e" rm -f $(cli "$e" ps -aq --filter label=strata-bench=1) >/dev/null
  cli "$e" network rm benchnet >/dev/null
  echo "| $e | $none | $bridge | $((bridge - none)) | $many | $viaport | $direct |"
done
