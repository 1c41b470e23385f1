#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh machine, then builds. Idempotent.
#  - Debian packages: gcc-multilib (32-bit clients, like Wine's i386 processes), qemu-system-x86
#    (Debian kernels booted under software emulation), xz/zstd (kernel modules), cpio, kmod.
#  - npm packages from the lock file, then the TypeScript build the tests run.
# Kernels and linux-source-7.2 are fetched by the tests themselves (cached under
# /var/cache/ntsyncd-kernels) through a private apt source list.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(gcc gcc-multilib libc6-dev make qemu-system-x86 xz-utils zstd cpio kmod systemd)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-test-deps: need root to install ${missing[*]} (run with sudo)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build
