#!/usr/bin/env bash
# extract-vmlinux.sh BZIMAGE OUT
#
# Writes the uncompressed ELF kernel (vmlinux) hidden inside a bzImage to OUT. qemu boots a
# vmlinux through its PVH entry point in seconds under software emulation, whereas a
# bzImage first decompresses itself inside the guest, which TCG makes slow.
#
# Same approach as the kernel's scripts/extract-vmlinux: find every offset where a known
# compression format's magic appears, decompress from there, and keep the first result that
# is an ELF file. Decompressors complain about the bytes after the payload; that is expected.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 BZIMAGE OUT" >&2; exit 2; }
img=$1
out=$2
[ -r "$img" ] || { echo "extract-vmlinux: cannot read $img" >&2; exit 1; }

tmp=$(mktemp "${out}.XXXXXX")
trap 'rm -f "$tmp"' EXIT

is_elf() { [ "$(head -c4 "$1" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; }

# try_format MAGIC_PRINTF DECOMPRESSOR...: grep -obUaP finds the byte offsets of the magic.
try_format() {
  local magic=$1; shift
  command -v "$1" >/dev/null || return 1
  local pos
  for pos in $(LC_ALL=C grep -obUaP "$magic" "$img" | cut -d: -f1); do
    tail -c "+$((pos + 1))" "$img" | "$@" >"$tmp" 2>/dev/null || true
    if [ -s "$tmp" ] && is_elf "$tmp"; then
      chmod 644 "$tmp"
      mv "$tmp" "$out"
      trap - EXIT
      return 0
    fi
  done
  return 1
}

try_format '\x1f\x8b\x08' gzip -dc \
  || try_format '\xfd7zXZ\x00' xz -dc \
  || try_format '\x28\xb5\x2f\xfd' zstd -dc \
  || try_format 'BZh' bzip2 -dc \
  || try_format '\x5d\x00\x00\x00' xz -dc --format=lzma \
  || try_format '\x02\x21\x4c\x18' lz4 -dc \
  || try_format '\x89\x4c\x5a' lzop -dc \
  || { echo "extract-vmlinux: no compressed ELF kernel found in $img (tried gzip, xz, zstd, bzip2, lzma, lz4, lzo; install the missing decompressor if the kernel uses another)" >&2; exit 1; }
