#!/usr/bin/env bash
# build.sh
#
# Builds the kernel's own ntsync selftest (tools/testing/selftests/drivers/ntsync/ntsync.c
# from Debian's linux-source-7.2) and prints the binary's path.
#
# Built the way the selftest's Makefile + lib.mk do it:
#   gcc $(KHDR_INCLUDES) -D_GNU_SOURCE= -I<tree>/tools/testing/selftests ntsync.c -lpthread
# where KHDR_INCLUDES is "-isystem <tree>/usr/include", the kernel's installed uapi headers.
# Only <linux/ntsync.h> is missing from the host's (older) linux-libc-dev, so that one header
# is installed from the same tree's include/uapi; everything else comes from the host.
#
# Two deliberate differences, nothing else:
#  * -O0. At -O2 gcc keeps stress_wait's plain (non-volatile) counter in a register across
#    the ioctl calls and stress_wait fails even on the real driver.
#  * the upstream fix to a wrong assertion in wake_all: the fd returned by CREATE_EVENT is
#    checked with EXPECT_EQ(0, …) instead of EXPECT_LE(0, …) like its three neighbours.
#
# Cached: rebuilt only when this script or the source package changes.
# NTSYNCD_SELFTEST_TIMEOUT=SECONDS builds a variant (ntsync-timeout-SECONDS) whose harness waits
# that long per test instead of its hard-coded 30 s, and changes nothing else. Only for
# software-emulated guests, where every round trip through a userspace device costs ~100×
# more and stress_wait's 80,000 of them cannot fit in 30 s; the unmodified binary is the test.
# NTSYNCD_KERNEL_SOURCE=DIR uses an already extracted tree (with a "package" file) instead of
# fetching linux-source-7.2; the tests use it to check that a changed selftest is refused.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
KERNEL_CACHE="${NTSYNCD_KERNEL_CACHE:-/var/cache/ntsyncd-kernels}"
die() { echo "kernel-selftest: $*" >&2; exit 1; }

command -v gcc >/dev/null || die "gcc is missing: apt-get install gcc libc6-dev"
if [ -n "${NTSYNCD_KERNEL_SOURCE:-}" ]; then
  src=$NTSYNCD_KERNEL_SOURCE
else
  src=$("$repo/scripts/kernels/fetch-source.sh" 7.2) || die "fetching linux-source-7.2 failed (see above)"
fi

out="$KERNEL_CACHE/selftest-7.2"
timeout="${NTSYNCD_SELFTEST_TIMEOUT:-}"
[ -z "$timeout" ] || [[ "$timeout" =~ ^[0-9]+$ ]] || die "NTSYNCD_SELFTEST_TIMEOUT must be a number of seconds"
name="ntsync${timeout:+-timeout-$timeout}"
key="$(sha256sum "$0" | cut -d' ' -f1) $(cat "$src/package") $name"
if [ -x "$out/$name" ] && [ "$(cat "$out/$name.key" 2>/dev/null)" = "$key" ]; then
  echo "$out/$name"
  exit 0
fi

selftests="$src/tools/testing/selftests"
work=$(mktemp -d "${TMPDIR:-/tmp}/ntsync-selftest.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The fix, applied to exactly one line inside TEST(wake_all) and nowhere else.
wrong=$'\tEXPECT_EQ(0, objs[3]);'
fixed=$'\tEXPECT_LE(0, objs[3]);'
awk -v wrong="$wrong" -v fixed="$fixed" '
  /^TEST(_F)?\(/ { test = $0 }
  $0 == wrong && test == "TEST(wake_all)" { print fixed; n++; next }
  { print }
  END { if (n != 1) exit 3 }
' "$selftests/drivers/ntsync/ntsync.c" >"$work/ntsync.c" \
  || die "the line '$wrong' was not found exactly once inside TEST(wake_all) of $selftests/drivers/ntsync/ntsync.c ($(cat "$src/package")): upstream changed the selftest; check whether the fix is still needed and update $0"
changed=$(diff "$selftests/drivers/ntsync/ntsync.c" "$work/ntsync.c" | grep -c '^[<>]' || true)
[ "$changed" = 2 ] || die "patching changed $changed lines instead of replacing one: refusing to build a modified selftest"

mkdir -p "$work/usr/include/linux"
cp "$src/include/uapi/linux/ntsync.h" "$work/usr/include/linux/ntsync.h"

headers="$selftests"
if [ -n "$timeout" ]; then
  headers="$work/selftests"
  mkdir -p "$headers"
  cp "$selftests"/*.h "$headers/"
  grep -q '^#define TEST_TIMEOUT_DEFAULT 30$' "$headers/kselftest_harness.h" \
    || die "kselftest_harness.h no longer defines TEST_TIMEOUT_DEFAULT 30; update $0"
  sed -i "s/^#define TEST_TIMEOUT_DEFAULT 30$/#define TEST_TIMEOUT_DEFAULT $timeout/" "$headers/kselftest_harness.h"
fi

mkdir -p "$out"
gcc -O0 -isystem "$work/usr/include" -D_GNU_SOURCE= -I"$headers" \
  "$work/ntsync.c" -lpthread -o "$out/$name.new" \
  || die "gcc failed to build the ntsync selftest (see above)"
mv "$out/$name.new" "$out/$name"
echo "$key" >"$out/$name.key"
echo "kernel-selftest: built $out/$name from $(cat "$src/package") (wake_all assertion fixed, -O0${timeout:+, harness timeout ${timeout} s})" >&2
echo "$out/$name"
