#!/usr/bin/env bash
# The main job: installs what strata needs, makes a small image from Debian's busybox-static
# (no network needed) and shows what strata's inspection commands tell about its layers.
# Safe to run again: it replaces the demo images it made before.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export STRATA_ROOT="${STRATA_ROOT:-/var/lib/strata}"
strata=./bin/strata
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

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

say "image history: one row per history entry; the top row carries the image ID"
run image history demo/busybox:1

say "image inspect: the metadata; RootFS.Layers lists the layer diff_ids bottom-up"
run image inspect --format '{{json .RootFS}}  Cmd={{json .Config.Cmd}}  Size={{.Size}}' demo/busybox:1

say "save writes a docker-archive that is also an OCI layout; load reads it back (same IDs)"
run save -o "$work/demo.tar" demo/busybox:1
tar -tf "$work/demo.tar"
run rmi demo/busybox:1 demo/busybox:latest
run load -i "$work/demo.tar"

say "system df: disk use from sizes recorded when layers were stored (nothing walks the disk)"
run system df
run system df -v
