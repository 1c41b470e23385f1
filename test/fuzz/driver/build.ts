// Builds what a fuzz run needs into the git-ignored test/.build/fuzz/: the C fuzz client (the
// kernel guest runs the same binary, through the shared working tree) and ntsyncd and
// ntsync-run bundled with esbuild. Outputs are written under a temporary name and renamed,
// so that runs in parallel (a jest worker and a manual run) never see half a file.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../kernels/kernel-cache';
import { C_INCLUDE } from '../../launcher/helpers/build';

export const FUZZ_BUILD_DIR = join(repoRoot, 'test/.build/fuzz');
const CLIENT_SRC = join(repoRoot, 'test/fuzz/client');

/** Compiles the fuzz client unless the binary is newer than every source; returns its path. */
export function buildClient(): string {
  mkdirSync(FUZZ_BUILD_DIR, { recursive: true });
  const out = join(FUZZ_BUILD_DIR, 'fuzz-client');
  const sources = readdirSync(CLIENT_SRC).filter((f) => f.endsWith('.c') || f.endsWith('.h'));
  const newest = Math.max(statSync(join(C_INCLUDE, 'linux/ntsync.h')).mtimeMs, ...sources.map((f) => statSync(join(CLIENT_SRC, f)).mtimeMs));
  if (existsSync(out) && statSync(out).mtimeMs >= newest) return out;
  const tmp = `${out}.${process.pid}.tmp`;
  const cFiles = sources.filter((f) => f.endsWith('.c')).map((f) => join(CLIENT_SRC, f));
  execFileSync('gcc', ['-O2', '-g', '-Wall', '-Wextra', '-Werror', '-pthread', `-I${C_INCLUDE}`, '-o', tmp, ...cFiles], { stdio: 'pipe' });
  renameSync(tmp, out);
  return out;
}

/**
 * Bundles a TypeScript entry point of the project (koffi stays a native require). Always
 * rebuilt (the sources change under us); a node already running the old file keeps it.
 */
export function bundleEntry(entry: string, name: string): string {
  mkdirSync(FUZZ_BUILD_DIR, { recursive: true });
  const out = join(FUZZ_BUILD_DIR, `${name}.js`);
  const tmp = `${out}.${process.pid}.tmp`;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  esbuild.buildSync({
    entryPoints: [join(repoRoot, entry)],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['koffi'],
    outfile: tmp,
    logLevel: 'error',
  });
  renameSync(tmp, out);
  return out;
}
