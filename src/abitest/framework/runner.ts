// Runs cases one after the other, each in a fresh context, each under a hard timeout, and
// turns whatever happens (an unmet expectation, an exception, a hang) into a result. A case
// that times out is aborted and cleaned up (its blocked waits interrupted) before the next one
// starts, so one broken behaviour cannot take the rest of the run down with it.
import type { SysCalls } from '../sys/native';
import type { AbiCase } from './abi-case';
import { CaseAborted, CaseContext } from './context';
import { CaseFailure } from './failure';

export type CaseStatus = 'pass' | 'fail';

export interface CaseResult {
  id: string;
  section: string;
  title: string;
  corners: readonly number[];
  status: CaseStatus;
  /** Why it failed. */
  message?: string;
  durationMs: number;
}

export interface RunOptions {
  devicePath: string;
  sys: SysCalls;
  cases: readonly AbiCase[];
  /** Hard limit for one case, cleanup excluded. */
  caseTimeoutMs?: number;
  onCaseStart?: (c: AbiCase, index: number) => void;
  onCaseEnd?: (r: CaseResult, index: number) => void;
}

export interface RunSummary {
  device: string;
  total: number;
  passed: number;
  failed: number;
  durationMs: number;
  results: CaseResult[];
}

export const DEFAULT_CASE_TIMEOUT_MS = 20_000;

class CaseTimeout extends Error {}

function describeError(e: unknown): string {
  if (e instanceof CaseFailure) return e.message;
  if (e instanceof CaseTimeout) return e.message;
  if (e instanceof Error) return `error in the case: ${e.message}`;
  return `error in the case: ${String(e)}`;
}

export async function runOneCase(c: AbiCase, devicePath: string, sys: SysCalls, timeoutMs: number): Promise<CaseResult> {
  const started = Date.now();
  let message: string | undefined;
  let ctx: CaseContext | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    ctx = new CaseContext(devicePath, sys);
    const context = ctx;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CaseTimeout(`timed out after ${timeoutMs / 1000} s (the runner's limit for one case)`)), timeoutMs);
    });
    await Promise.race([Promise.resolve().then(() => c.run(context)), timeout]);
  } catch (e) {
    message = describeError(e);
  } finally {
    clearTimeout(timer);
  }
  if (ctx) {
    // A case still running in the background after a timeout must not reach the device again.
    ctx.abort();
    try {
      const problem = await ctx.cleanup(sys);
      if (problem) message = message ? `${message}; cleanup: ${problem}` : `cleanup: ${problem}`;
    } catch (e) {
      if (!(e instanceof CaseAborted)) message = (message ? `${message}; ` : '') + `cleanup failed: ${describeError(e)}`;
    }
  }
  return {
    id: c.id,
    section: c.section,
    title: c.title,
    corners: c.corners,
    status: message === undefined ? 'pass' : 'fail',
    ...(message === undefined ? {} : { message }),
    durationMs: Date.now() - started,
  };
}

export async function runCases(options: RunOptions): Promise<RunSummary> {
  const started = Date.now();
  const results: CaseResult[] = [];
  const timeoutMs = options.caseTimeoutMs ?? DEFAULT_CASE_TIMEOUT_MS;
  for (const [i, c] of options.cases.entries()) {
    options.onCaseStart?.(c, i);
    const r = await runOneCase(c, options.devicePath, options.sys, timeoutMs);
    results.push(r);
    options.onCaseEnd?.(r, i);
  }
  const passed = results.filter((r) => r.status === 'pass').length;
  return {
    device: options.devicePath,
    total: results.length,
    passed,
    failed: results.length - passed,
    durationMs: Date.now() - started,
    results,
  };
}
