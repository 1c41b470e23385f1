// Shared vocabulary of the cases: owner ids, the bad pointers every EFAULT case tries, and the
// common "poll this wait and check result and index" step.
import { EOWNERDEAD } from '../../core/errno';
import { INDEX_SENTINEL, type WaitSpec } from '../client/wait-block';
import type { CaseContext, WaitKind } from '../framework/context';
import { describeResult } from '../framework/errno-names';
import { expectEqual } from '../framework/expect';
import { fail } from '../framework/failure';
import { UNMAPPED_ADDRESS } from '../sys/memory';

/** Owner ids, as the kernel selftest uses them: any non-zero u32 the caller picks. */
export const OWNER_A = 123;
export const OWNER_B = 456;
export const OWNER_C = 789;
export const U32_MAX = 0xffffffff;

export interface BadPointer {
  what: string;
  addr: number;
}

/** Addresses every EFAULT case tries: a hole in the address space and a PROT_NONE page. */
export function badPointers(t: CaseContext): BadPointer[] {
  return [
    { what: 'an unmapped address', addr: UNMAPPED_ADDRESS },
    { what: 'a PROT_NONE page', addr: t.mem.guard },
  ];
}

export const kindName = (kind: WaitKind) => (kind === 'any' ? 'WAIT_ANY' : 'WAIT_ALL');

/**
 * Runs a wait on the main thread (a poll unless `spec.timeout` says otherwise) and checks its
 * result and index: `index` given means the wait must have written it, otherwise the index
 * must still hold the sentinel (every error leaves it untouched).
 */
export function expectWait(
  t: CaseContext,
  kind: WaitKind,
  dev: number,
  spec: WaitSpec,
  expected: number,
  index: number | undefined,
  what: string,
): void {
  const { ret, block } = t.wait(kind, dev, spec);
  const label = `${kindName(kind)} ${what}`;
  if (ret !== expected) fail(`${label}: expected ${describeResult(expected === 0 ? 0 : expected)}, got ${describeResult(ret)}`);
  if (index === undefined) expectEqual(block.index, spec.index ?? INDEX_SENTINEL, `${label}: index (must be left untouched)`);
  else expectEqual(block.index, index, `${label}: index`);
}

/** -EOWNERDEAD, the result of a wait that acquired an abandoned mutex. */
export const OWNERDEAD = -EOWNERDEAD;
