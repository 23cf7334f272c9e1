#!/usr/bin/env bash
# The main job: installs what strata needs, makes a busybox base image from Debian's
# busybox-static (no network needed), builds the example image in examples/hello on it, and
# shows what strata's inspection commands tell about their layers.
# Safe to run again: it replaces the demo images it made before.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export STRATA_ROOT="${STRATA_ROOT:-/var/lib/strata}"
strata=./bin/strata
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

demo_start=$(date +%s)
say() { printf '\n\033[1m# %s\033[0m\n' "$*"; }
run() { printf '$ strata'; printf ' %q' "$@"; printf '\n'; "$strata" "$@"; }

say "A root filesystem: busybox and its applet links, packed as a tar (store: $STRATA_ROOT)"
mkdir -p "$work/rootfs/bin"
cp /bin/busybox "$work/rootfs/bin/busybox"
chroot "$work/rootfs" /bin/busybox --install -s /bin
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
ls -l "$work/rootfs.tar"

say "import turns the tar into a one-layer image; the layer's ID (diff_id) is the tar's sha256"
run import -c 'CMD ["/bin/sh"]' -m 'busybox from Debian' "$work/rootfs.tar" demo/busybox:1
sha256sum "$work/rootfs.tar"

say "A second name for the same image costs nothing: both rows show one image ID"
run tag demo/busybox:1 demo/busybox:latest
run images demo/busybox

say "build: examples/hello/Dockerfile, one layer per filesystem change (WORKDIR, COPY, RUN)"
cp -r examples/hello "$work/hello"
cat "$work/hello/Dockerfile"
run build --progress=plain -t demo/hello "$work/hello"

say "image history: one row per history entry, newest first; 0B rows are metadata only"
run image history demo/hello

say "The layers are shared, not copied: the base's layer is the first of demo/hello's"
run image inspect --format '{{.RepoTags}} {{json .RootFS.Layers}}' demo/busybox:1 demo/hello

say "A container is a thin writable layer over the image's layers"
run run --rm demo/hello

say "Building again changes nothing: every step comes from the cache"
run build --progress=plain -t demo/hello "$work/hello"

say "Change one file: the cache is reused down to the COPY that reads it, which says why it missed"
echo 'echo "(changed)"' >> "$work/hello/greet.sh"
run build --progress=plain -t demo/hello "$work/hello"
run images

say "save writes a docker-archive that is also an OCI layout; load reads it back (same IDs)"
run save -o "$work/demo.tar" demo/hello
tar -tf "$work/demo.tar"
run rmi demo/hello
run load -i "$work/demo.tar"

say "system df: disk use from sizes recorded when layers were stored; -v shows shared layers"
run system df
run system df -v

say "The rebuild left the old demo/hello untagged (dangling); prune removes it (its layers stay while the build cache shares them)"
run image prune -f

say "image analyze: what each layer adds, changes and removes, the bytes a later layer hides (wasted), and the image's efficiency"
run image analyze demo/hello
say "image diff: the layers two images share, then what the rest changes (files, config, history)"
run image diff demo/busybox:1 demo/hello

say "Networks: a web server on a network of its own, published on 127.0.0.1; its neighbours find it by name"
"$strata" rm -f demo-web >/dev/null 2>&1 || true
"$strata" network rm demo-net >/dev/null 2>&1 || true
run network create demo-net
run run -d --name demo-web --network demo-net -p 127.0.0.1::80 demo/busybox:1 \
  sh -c 'mkdir -p /www && echo "hello from demo-web" > /www/index.html && exec httpd -f -p 80 -h /www'
run port demo-web 80
run run --rm --network demo-net demo/busybox:1 wget -qO- http://demo-web/
address=$("$strata" port demo-web 80 | head -n1)
echo "\$ busybox wget -qO- http://$address/   # from the host, through the published port"
busybox wget -qO- "http://$address/"
run ps --filter name=demo-web --format 'table {{.Names}}\t{{.Status}}\t{{.Ports}}'
run rm -f demo-web
run network rm demo-net

say "The Docker Engine API on a socket: docker clients, SDKs and compose drive strata through it"
"$strata" system service -H "unix://$work/strata.sock" --timeout 20 & service=$!
for _ in $(seq 100); do [ -S "$work/strata.sock" ] && break; sleep 0.1; done
api() { node -e 'const [sock, path] = process.argv.slice(1); require("http").get({ socketPath: sock, path }, (r) => { r.setEncoding("utf8"); let b = ""; r.on("data", (c) => (b += c)); r.on("end", () => console.log(r.statusCode, b.slice(0, 400))); });' "$work/strata.sock" "$1"; }
echo "\$ GET /v1.50/version"; api /v1.50/version
echo "\$ GET /v1.50/images/json"; api /v1.50/images/json
if command -v docker >/dev/null; then
  echo "\$ docker -H unix://$work/strata.sock images"
  docker -H "unix://$work/strata.sock" images
fi
kill "$service"; wait "$service" 2>/dev/null || true

say "events: what the commands above did, from the store's journal, as docker events prints it (here: the network's)"
run events --since "$demo_start" --until 0s --filter type=network
echo "(strata ui serves a web app of images, layers, sharing and disk use on 127.0.0.1: run \`./bin/strata ui\`)"
