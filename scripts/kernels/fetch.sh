#!/usr/bin/env bash
# fetch.sh <6.1|7.2>
#
# Fetches a Debian kernel through apt (a private source list; see lib/private-apt.sh),
# unpacks it into the kernel cache and prints the directory, which holds:
#   vmlinuz         the packaged bzImage
#   vmlinux         the uncompressed ELF kernel (qemu boots it through PVH in seconds)
#   modules/        lib/modules/<release>/ as packaged (modules.order, modules.builtin,
#                   kernel/**/*.ko[.xz|.zst]; no modules.dep: Debian generates it on install)
#   release         the kernel release (uname -r)
#   packages        the .deb packages it came from, name=version, one a line
#
#   6.1  Debian 12's stock kernel (bookworm, bookworm-security): has cuse.ko, no ntsync.
#   7.2  sid's kernel (generic amd64 flavour: the cloud one lacks 9p): has ntsync.ko and
#        cuse.ko; since 7.x linux-image-* is a meta package over linux-binary-*,
#        linux-modules-* and linux-base-*.
#
# Idempotent: a complete cached kernel is reused without touching the network.
# Cache: $NTSYNCD_KERNEL_CACHE, default /var/cache/ntsyncd-kernels.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
KERNEL_CACHE="${NTSYNCD_KERNEL_CACHE:-/var/cache/ntsyncd-kernels}"
# shellcheck source=lib/private-apt.sh
. "$here/lib/private-apt.sh"

series=${1:-}
case "$series" in
  6.1 | 7.2) ;;
  *) die "usage: $0 <6.1|7.2> (the Debian kernel series to fetch)" ;;
esac

dest="$KERNEL_CACHE/kernel-$series"
if [ -f "$dest/.complete" ]; then
  echo "$dest"
  exit 0
fi

for tool in apt-get apt-cache dpkg-deb flock; do
  command -v "$tool" >/dev/null || die "$tool is missing: this script needs Debian's apt and dpkg"
done
mkdir -p "$KERNEL_CACHE"
# One fetch at a time per cache (several test files may ask for the same kernel at once).
exec 9>"$KERNEL_CACHE/.lock"
flock 9
if [ -f "$dest/.complete" ]; then
  echo "$dest"
  exit 0
fi

private_apt_setup
private_apt_update

# The newest generic amd64 image of the series: 6.1 → linux-image-6.1.0-<abi>-amd64,
# 7.2 → linux-image-7.2.<n>+deb<m>-amd64. Excludes -cloud-, -rt- and -dbg flavours.
image_regex="^linux-image-${series//./\\.}(\\.[0-9]+)*[-+][a-z0-9]+-amd64\$"
find_image() { private_apt_cache pkgnames linux-image- | grep -E "$image_regex" | sort -V | tail -n1; }
image=$(find_image)
if [ -z "$image" ]; then
  private_apt_update force
  image=$(find_image)
fi
[ -n "$image" ] || die "no package matching $image_regex in the private lists ($(debian_mirror) bookworm/bookworm-security/sid): Debian may have moved past Linux $series; see 'apt-cache pkgnames linux-image-' with the options in $here/lib/private-apt.sh"
abi=${image#linux-image-}

# The meta package's own dependencies name the packages that hold the files (7.x); the 6.1
# image package holds them itself.
version_of() { private_apt_cache show "$1" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n1; }
deps=$(private_apt_cache show "$image=$(version_of "$image")" | sed -n 's/^Depends: //p' | head -n1 \
  | tr ',' '\n' | sed 's/^ *//; s/ .*//' \
  | grep -Fx -e "linux-binary-$abi" -e "linux-modules-$abi" -e "linux-base-$abi" || true)
specs=()
for pkg in "$image" $deps; do
  specs+=("$pkg=$(version_of "$pkg")")
done

log "downloading ${specs[*]}"
started=$(date +%s)
if ! debs=$(private_apt_download "${specs[@]}"); then
  # The lists were stale (the mirror dropped that version): refresh once and retry.
  private_apt_update force
  debs=$(private_apt_download "${specs[@]}") \
    || die "apt-get download ${specs[*]} failed: the mirror $(debian_mirror) must be reachable (see the apt output above)"
fi
log "downloaded $(du -cb $debs | tail -n1 | cut -f1) bytes in $(($(date +%s) - started)) s"

stage=$(mktemp -d "$KERNEL_CACHE/.stage-$series.XXXXXX")
trap 'rm -rf "$stage"' EXIT
for deb in $debs; do
  dpkg-deb -x "$deb" "$stage/root"
done

# Up to 6.x the image package ships boot/vmlinuz-<release> and lib/modules/<release>/; since
# 7.x everything sits in usr/lib/modules/<release>/ (vmlinuz included). Neither ships
# modules.dep (the postinst runs depmod): the harness reads each module's own "depends=".
moddir=$(ls -d "$stage"/root/lib/modules/*/ "$stage"/root/usr/lib/modules/*/ 2>/dev/null | head -n1 || true)
moddir=${moddir%/}
[ -n "$moddir" ] && [ -f "$moddir/modules.order" ] \
  || die "no lib/modules/<release>/modules.order in ${specs[*]}: the package layout changed, look inside with dpkg-deb -c"
release=${moddir##*/}
vmlinuz=
for candidate in "$stage/root/boot/vmlinuz-$release" "$moddir/vmlinuz"; do
  [ -f "$candidate" ] && vmlinuz=$candidate && break
done
[ -n "$vmlinuz" ] || die "no vmlinuz for $release in ${specs[*]} (looked in boot/ and the modules directory): the package layout changed, look inside with dpkg-deb -c"

mkdir -p "$stage/out"
mv "$vmlinuz" "$stage/out/vmlinuz"
mv "$moddir" "$stage/out/modules"
echo "$release" >"$stage/out/release"
printf '%s\n' "${specs[@]}" >"$stage/out/packages"
log "extracting vmlinux from vmlinuz-$release"
"$here/extract-vmlinux.sh" "$stage/out/vmlinuz" "$stage/out/vmlinux"
touch "$stage/out/.complete"

rm -rf "$dest"
mv "$stage/out" "$dest"
# The unpacked kernel is all that is used from now on; the .debs would only take space.
rm -f $debs
log "kernel $release ready in $dest ($(($(date +%s) - started)) s)"
echo "$dest"
