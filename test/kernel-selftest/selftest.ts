// The kernel's own ntsync selftest, built by build.sh, and how to read its verdict. Shared by
// the real-driver test and the tests that run it against ntsyncd (it hard-codes /dev/ntsync).
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../kernels/kernel-cache';

const execFileP = promisify(execFile);

export const SELFTEST_TEST_COUNT = 11;

/** Fetches linux-source-7.2 if needed, builds the selftest (cached) and returns the binary's path. */
export async function buildKernelSelftest(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const script = path.join(repoRoot, 'test', 'kernel-selftest', 'build.sh');
  try {
    const { stdout } = await execFileP('bash', [script], { env, maxBuffer: 16 << 20 });
    return stdout.trim().split('\n').pop()!;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`building the kernel's ntsync selftest failed (${script}): ${err.stderr?.trim() || err.message}`);
  }
}

export interface SelftestVerdict {
  passed: string[];
  failed: string[];
  /** The harness's closing "# Totals: pass:N fail:N …" counts. */
  totals: { pass: number; fail: number; skip: number; error: number } | undefined;
}

/** Reads the TAP output of the kselftest harness. */
export function parseSelftestOutput(tap: string): SelftestVerdict {
  const passed: string[] = [];
  const failed: string[] = [];
  for (const m of tap.matchAll(/^(ok|not ok) \d+ (\S+)/gm)) (m[1] === 'ok' ? passed : failed).push(m[2]);
  const t = /^# Totals: pass:(\d+) fail:(\d+) xfail:\d+ xpass:\d+ skip:(\d+) error:(\d+)/m.exec(tap);
  return {
    passed,
    failed,
    totals: t ? { pass: Number(t[1]), fail: Number(t[2]), skip: Number(t[3]), error: Number(t[4]) } : undefined,
  };
}
