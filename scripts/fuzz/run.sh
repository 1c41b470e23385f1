#!/usr/bin/env bash
# run.sh [options]: the differential fuzzer, kernel ntsync driver vs ntsyncd (see run.ts for the
# options, or run it with --help).
#
# The CLI is TypeScript; node 20 cannot run that directly and the project has no ts-node, so
# it is bundled with the project's esbuild into .cache/ when its sources change.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
out="$repo/.cache/fuzz/run.js"
sources=("$repo/scripts/fuzz/run.ts" "$repo"/test/fuzz/driver/*.ts "$repo"/test/kernels/*.ts "$repo"/test/launcher/helpers/*.ts)
stale=0
[ -f "$out" ] || stale=1
for src in "${sources[@]}"; do
  [ "$src" -nt "$out" ] && stale=1
done
if [ "$stale" = 1 ]; then
  [ -x "$repo/node_modules/.bin/esbuild" ] || { echo "fuzz: esbuild is missing: run 'npm ci' in $repo" >&2; exit 3; }
  mkdir -p "$(dirname "$out")"
  # esbuild and koffi stay outside the bundle: the driver bundles ntsyncd with the former, and
  # the latter is a native module.
  "$repo/node_modules/.bin/esbuild" --bundle --platform=node --target=node20 --log-level=warning \
    --external:esbuild --external:koffi "$repo/scripts/fuzz/run.ts" --outfile="$out.$$.tmp"
  # Atomic, so that concurrent runs never execute a half-written bundle.
  mv "$out.$$.tmp" "$out"
fi
exec node "$out" "$@"
