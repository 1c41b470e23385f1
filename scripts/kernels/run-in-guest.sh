#!/usr/bin/env bash
# run-in-guest.sh [options] [--] COMMAND [ARG...]: runs COMMAND as root in a Debian kernel
# under qemu (see run-in-guest.ts for the options, or run it with no arguments).
#
# The CLI is TypeScript; node 20 cannot run that directly and the project has no ts-node,
# so it is bundled with the project's esbuild into .cache/ when its sources change.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
out="$repo/.cache/kernels/run-in-guest.js"
sources=("$repo/scripts/kernels/run-in-guest.ts" "$repo"/test/kernels/*.ts)
stale=0
[ -f "$out" ] || stale=1
for src in "${sources[@]}"; do
  [ "$src" -nt "$out" ] && stale=1
done
if [ "$stale" = 1 ]; then
  [ -x "$repo/node_modules/.bin/esbuild" ] || { echo "run-in-guest: esbuild is missing: run 'npm ci' in $repo" >&2; exit 125; }
  mkdir -p "$(dirname "$out")"
  "$repo/node_modules/.bin/esbuild" --bundle --platform=node --target=node20 --log-level=warning \
    "$repo/scripts/kernels/run-in-guest.ts" --outfile="$out.$$.tmp"
  # Atomic, so that concurrent runs never execute a half-written bundle.
  mv "$out.$$.tmp" "$out"
fi
exec node "$out" "$@"
