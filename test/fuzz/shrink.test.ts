// The shrinker against a fake check whose divergence needs a known set of operations.
import { removalCandidates, shrink } from './driver/shrink';

/** A check that diverges when every operation of `needed` is present; records its batches. */
function fakeCheck(needed: number[]) {
  const batches: number[][][] = [];
  const check = async (candidates: number[][]) => {
    batches.push(candidates);
    return candidates.map((c) => needed.every((n) => c.includes(n)));
  };
  return { check, batches };
}

test('removal candidates: halves, quarters, ... single operations, largest first, no repeats', () => {
  expect(removalCandidates([0, 1, 2, 3])).toEqual([
    [2, 3],
    [0, 1],
    [1, 2, 3],
    [0, 2, 3],
    [0, 1, 3],
    [0, 1, 2],
  ]);
  expect(removalCandidates([4])).toEqual([]);
});

test('finds the operations a divergence needs, starting from the prefix up to the diverging one', async () => {
  const { check, batches } = fakeCheck([3, 17, 30]);
  const r = await shrink(48, 30, check);
  expect(r.ops).toEqual([3, 17, 30]);
  // The first batch is the prefix 0..30 and the whole sequence as a fallback.
  expect(batches[0]!.map((c) => c.length)).toEqual([31, 48]);
  expect(r.rounds).toBe(batches.length);
  expect(r.candidatesTried).toBe(batches.reduce((n, b) => n + b.length, 0));
});

test('falls back to the whole sequence when the prefix does not diverge', async () => {
  const { check } = fakeCheck([5, 40]); // op 40 comes after the line that differed
  const r = await shrink(48, 10, check);
  expect(r.ops).toEqual([5, 40]);
});

test('a divergence in the closing lines (no operation) starts from the whole sequence', async () => {
  const { check, batches } = fakeCheck([0]);
  const r = await shrink(8, undefined, check);
  expect(batches[0]).toEqual([[0, 1, 2, 3, 4, 5, 6, 7]]);
  expect(r.ops).toEqual([0]);
});

test('says so when the divergence does not come back', async () => {
  const r = await shrink(20, 4, async (c) => c.map(() => false));
  expect(r).toEqual({ ops: undefined, rounds: 1, candidatesTried: 2 });
});

test('stops after maxRounds with what it has', async () => {
  const { check } = fakeCheck([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  const r = await shrink(64, undefined, check, 2);
  expect(r.rounds).toBe(2);
  expect(r.ops!.length).toBeGreaterThan(16);
});
