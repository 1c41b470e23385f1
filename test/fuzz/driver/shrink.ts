// Shrinking a diverging sequence to a small reproduction. The client replays any subset of a
// sequence's operations (--only-ops), each exactly as generated, so a candidate is a subset.
//
// Every check needs both sides and the kernel side costs a guest boot, so candidates are
// tried in batches, one batch per round: all removals of one half, one quarter, ... down to
// single operations. The round keeps the largest removal that still diverges (the earliest of
// equal size), and the next round starts from there. It stops when no removal diverges (a
// 1-minimal result) or after maxRounds.

/** For each candidate (a sorted list of operation numbers): does it still diverge? */
export type DivergenceCheck = (candidates: number[][]) => Promise<boolean[]>;

export interface ShrinkResult {
  /** The smallest diverging subset found, or undefined if not even the start diverged again. */
  ops: number[] | undefined;
  rounds: number;
  candidatesTried: number;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** Removals of aligned chunks of sizes n/2, n/4, ..., 1; the largest first. */
export function removalCandidates(ops: readonly number[]): number[][] {
  const out: number[][] = [];
  const seen = new Set<string>();
  for (let size = Math.ceil(ops.length / 2); ; size = Math.ceil(size / 2)) {
    for (let start = 0; start < ops.length; start += size) {
      const candidate = [...ops.slice(0, start), ...ops.slice(start + size)];
      const key = candidate.join(',');
      if (candidate.length > 0 && !seen.has(key)) {
        seen.add(key);
        out.push(candidate);
      }
    }
    if (size === 1) break;
  }
  return out;
}

/**
 * Shrinks a sequence of `total` operations whose first divergence was seen at operation
 * `firstOp` (undefined: in the closing lines, after every operation).
 */
export async function shrink(total: number, firstOp: number | undefined, check: DivergenceCheck, maxRounds = 12): Promise<ShrinkResult> {
  // Nothing after the diverging operation can matter to it: start from the prefix, with the
  // whole sequence as the fallback should the prefix not diverge (closing lines differ).
  const prefix = range(0, firstOp === undefined ? total : firstOp + 1);
  const whole = range(0, total);
  const starts = prefix.length < total ? [prefix, whole] : [whole];
  const first = await check(starts);
  let tried = starts.length;
  const startIndex = first.indexOf(true);
  if (startIndex < 0) return { ops: undefined, rounds: 1, candidatesTried: tried };
  let current = starts[startIndex]!;

  let rounds = 1;
  while (rounds < maxRounds && current.length > 1) {
    const candidates = removalCandidates(current);
    const verdicts = await check(candidates);
    tried += candidates.length;
    rounds++;
    const kept = verdicts.indexOf(true);
    if (kept < 0) break;
    current = candidates[kept]!;
  }
  return { ops: current, rounds, candidatesTried: tried };
}
