// Bundles a TypeScript entry point into one CommonJS file under the git-ignored test/.build/,
// fresh for every run (a stale dist/ cannot fool the tests). koffi stays a native require,
// resolved from the repository's node_modules, which the qemu guest also sees.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';

export const ROOT = resolve(__dirname, '../../..');
export const BUILD_DIR = join(ROOT, 'test/.build/abitest');

/** `output` decides the script name; abi-test.ts runs as a program only from "abi-test.js". */
export function bundle(entry: string, output: string): string {
  mkdirSync(BUILD_DIR, { recursive: true });
  const out = join(BUILD_DIR, output);
  buildSync({
    entryPoints: [join(ROOT, entry)],
    outfile: out,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['koffi'],
    logLevel: 'error',
  });
  return out;
}

export interface JsonReport {
  device: string;
  total: number;
  passed: number;
  failed: number;
  cases: Array<{ id: string; status: 'pass' | 'fail'; message?: string }>;
}

/** The failing cases of a --json report as "id — message" lines, for readable assertions. */
export function failures(report: JsonReport): string[] {
  return report.cases.filter((c) => c.status !== 'pass').map((c) => `${c.id} — ${c.message}`);
}
