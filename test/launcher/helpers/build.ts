// Builds what the launcher tests run: the C clients (gcc) and Node entry points bundled with
// esbuild, into the git-ignored test/.build/launcher/. Each test file passes its own tag so
// jest workers running in parallel never write the same output, and every output is written
// under a temporary name and renamed into place, so a test run started at the same time by
// someone else in this tree never executes a half-written file.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { buildSync } from 'esbuild';

/** The repository: found upwards from here, since this file is also bundled elsewhere (npm run fuzz). */
function repositoryRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'test/include'))) return dir;
    if (dirname(dir) === dir) return resolve(__dirname, '../../..');
  }
}

export const ROOT = repositoryRoot();
export const BUILD_DIR = join(ROOT, 'test/.build/launcher');
/** <linux/ntsync.h> for the C test programs (the build machine's headers may predate it). */
export const C_INCLUDE = join(ROOT, 'test/include');

export function compileC(source: string, output: string, extraFlags: string[] = []): string {
  mkdirSync(BUILD_DIR, { recursive: true });
  const out = join(BUILD_DIR, output);
  const tmp = `${out}.${process.pid}.tmp`;
  execFileSync('gcc', ['-Wall', '-O1', '-pthread', `-I${C_INCLUDE}`, ...extraFlags, '-o', tmp, join(ROOT, source)], { stdio: 'pipe' });
  renameSync(tmp, out);
  return out;
}

/** Whether gcc can build and this kernel can run 32-bit x86 programs (gcc-multilib). */
export function canBuild32Bit(tag: string): string | null {
  try {
    const probe = compileC('test/launcher/c/create-client.c', `probe-m32.${tag}`, ['-m32']);
    execFileSync(probe, ['none'], { stdio: 'pipe' });
    return null;
  } catch (error) {
    const e = error as { status?: number; stderr?: Buffer };
    if (e.status === 2) return null; // it ran: "none" is just not a mode
    return String(e.stderr ?? error);
  }
}

/**
 * Bundles a TypeScript entry point into one CommonJS file (koffi stays a native require,
 * resolved from the repository's node_modules, which the qemu guests also see). Every test
 * suite bundles afresh, so a stale dist/ can never fool it.
 */
export function bundle(entry: string, output: string, dir = BUILD_DIR): string {
  mkdirSync(dir, { recursive: true });
  const out = join(dir, output);
  const tmp = `${out}.${process.pid}.tmp.js`;
  buildSync({
    entryPoints: [join(ROOT, entry)],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['koffi'],
    logLevel: 'error',
  });
  renameSync(tmp, out);
  return out;
}
