#!/usr/bin/env bash
# fetch-source.sh <7.2>
#
# Fetches Debian's linux-source-<series> package (sid) through the private apt source list
# and extracts from its tarball only what the kernel's ntsync selftest needs, keeping the
# tree's layout (so the selftest Makefile's relative include paths still hold):
#   tools/testing/selftests/*.h, lib.mk    the kselftest harness and build rules
#   tools/testing/selftests/drivers/ntsync/   the selftest itself (ntsync.c, Makefile, config)
#   include/uapi/linux/ntsync.h               the uapi header it includes as <linux/ntsync.h>
#   tools/include/                            headers that lib.mk may put on the include path
# Prints the tree's directory. Idempotent; the full package is ~160 MB, extracted files ~5 MB.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
KERNEL_CACHE="${NTSYNCD_KERNEL_CACHE:-/var/cache/ntsyncd-kernels}"
# shellcheck source=lib/private-apt.sh
. "$here/lib/private-apt.sh"

series=${1:-}
case "$series" in
  7.2) ;;
  *) die "usage: $0 7.2 (the linux-source series; only sid's 7.2 is used by the project)" ;;
esac

dest="$KERNEL_CACHE/source-$series"
if [ -f "$dest/.complete" ]; then
  echo "$dest"
  exit 0
fi

for tool in apt-get apt-cache flock tar xz; do
  command -v "$tool" >/dev/null || die "$tool is missing: this script needs apt, tar and xz-utils"
done
mkdir -p "$KERNEL_CACHE"
exec 9>"$KERNEL_CACHE/.lock"
flock 9
if [ -f "$dest/.complete" ]; then
  echo "$dest"
  exit 0
fi

private_apt_setup
private_apt_update
pkg="linux-source-$series"
version=$(private_apt_cache show "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n1)
if [ -z "$version" ]; then
  private_apt_update force
  version=$(private_apt_cache show "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n1)
fi
[ -n "$version" ] || die "$pkg is not in the private lists (sid at $(debian_mirror)): Debian may have moved past Linux $series"

log "downloading $pkg=$version"
started=$(date +%s)
if ! deb=$(private_apt_download "$pkg=$version"); then
  private_apt_update force
  deb=$(private_apt_download "$pkg=$version") \
    || die "apt-get download $pkg=$version failed: the mirror $(debian_mirror) must be reachable (see the apt output above)"
fi
log "downloaded $(stat -c %s "$deb") bytes in $(($(date +%s) - started)) s"

stage=$(mktemp -d "$KERNEL_CACHE/.stage-source-$series.XXXXXX")
trap 'rm -rf "$stage"' EXIT
# The .deb holds usr/src/linux-source-<series>.tar.xz; stream it out instead of unpacking
# the whole package.
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$stage" --wildcards '*/linux-source-*.tar.xz' \
  || die "$deb holds no usr/src/linux-source-*.tar.xz: the package layout changed, look inside with dpkg-deb -c"
tarball=$(find "$stage" -name 'linux-source-*.tar.xz' | head -n1)
top=$(tar -tJf "$tarball" 2>/dev/null | head -n1 | cut -d/ -f1) || true
[ -n "$top" ] || die "cannot read $tarball"
log "extracting the ntsync selftest from $(basename "$tarball")"
mkdir -p "$stage/tree"
tar -xJf "$tarball" -C "$stage/tree" --strip-components=1 --wildcards \
  "$top/tools/testing/selftests/*.h" \
  "$top/tools/testing/selftests/lib.mk" \
  "$top/tools/testing/selftests/drivers/ntsync/*" \
  "$top/include/uapi/linux/ntsync.h" \
  "$top/tools/include/*" \
  "$top/Makefile" \
  || die "extracting the ntsync selftest from $tarball failed: the source tree layout changed"
for f in tools/testing/selftests/drivers/ntsync/ntsync.c tools/testing/selftests/kselftest_harness.h \
  tools/testing/selftests/kselftest.h include/uapi/linux/ntsync.h; do
  [ -f "$stage/tree/$f" ] || die "$f is missing from $tarball: the source tree layout changed"
done
echo "$pkg=$version" >"$stage/tree/package"
touch "$stage/tree/.complete"
rm -rf "$dest"
mv "$stage/tree" "$dest"
rm -f "$deb"
log "source tree ready in $dest ($(($(date +%s) - started)) s)"
echo "$dest"
