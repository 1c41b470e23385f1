// Where the Debian kernels live once fetched, and how to get them there: through
// scripts/kernels/fetch.sh (apt with a private source list; see that script).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export type KernelSeries = '6.1' | '7.2';
export const KERNEL_SERIES: readonly KernelSeries[] = ['6.1', '7.2'];

/**
 * The working tree: the first directory above this file that holds the harness. Searched
 * rather than fixed, because the CLI runs this code bundled into .cache/.
 */
export const repoRoot = (() => {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'test', 'kernels', 'guest', 'init.c'))) return dir;
  }
  throw new Error(`cannot find the ntsyncd working tree above ${__dirname}`);
})();

export function kernelCacheDir(): string {
  return process.env.NTSYNCD_KERNEL_CACHE ?? '/var/cache/ntsyncd-kernels';
}

export interface FetchedKernel {
  series: KernelSeries;
  dir: string;
  /** The uncompressed ELF kernel, booted through its PVH entry point. */
  vmlinux: string;
  /** lib/modules/<release>/ as packaged: modules.order, modules.builtin, kernel/**. */
  modulesDir: string;
  release: string;
  /** name=version of the .deb packages it came from. */
  packages: string[];
}

function describe(series: KernelSeries, dir: string): FetchedKernel {
  return {
    series,
    dir,
    vmlinux: path.join(dir, 'vmlinux'),
    modulesDir: path.join(dir, 'modules'),
    release: readFileSync(path.join(dir, 'release'), 'utf8').trim(),
    packages: readFileSync(path.join(dir, 'packages'), 'utf8').split('\n').filter(Boolean),
  };
}

/** The kernel if it is already in the cache (no network), else undefined. */
export function cachedKernel(series: KernelSeries): FetchedKernel | undefined {
  const dir = path.join(kernelCacheDir(), `kernel-${series}`);
  return existsSync(path.join(dir, '.complete')) ? describe(series, dir) : undefined;
}

/** Fetches the kernel through apt if it is not cached yet (about 10 s and 70–125 MB cold). */
export async function fetchKernel(series: KernelSeries): Promise<FetchedKernel> {
  const cached = cachedKernel(series);
  if (cached) return cached;
  const script = path.join(repoRoot, 'scripts', 'kernels', 'fetch.sh');
  try {
    const { stdout } = await execFileP('bash', [script, series], { maxBuffer: 16 << 20 });
    return describe(series, stdout.trim().split('\n').pop()!);
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`fetching Debian's ${series} kernel failed (${script} ${series}): ${err.stderr?.trim() || err.message}`);
  }
}
