#!/usr/bin/env bash
# Installs what strata needs on a fresh Debian 12 machine, then builds it. Safe to run again:
# each step is skipped when its result is already there.
#   bash scripts/setup.sh          runtime needs (runc, busybox-static, netavark…) + npm packages + build
#   bash scripts/setup.sh --test   also the tools the tests use as independent validators
set -euo pipefail
cd "$(dirname "$0")/.."

want=(runc busybox-static zstd tini gcc netavark aardvark-dns iptables nftables)
if [ "${1:-}" = "--test" ]; then
  want+=(docker-registry skopeo umoci oci-image-tool pigz apache2-utils strace crun python3-docker chromium docker-compose)
fi
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  $sudo apt-get update -qq >/dev/null || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# npm ci only when the lockfile changed since the last install.
stamp=node_modules/.strata-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "setup: installing npm packages" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  cp package-lock.json "$stamp"
fi

# Bundles the CLI and compiles the per-container supervisor (C: a Node process would cost ~40 MB per container).
node scripts/build.mjs
