// The fuzz driver's reading of traces: sequences, pairing, first differing line, job splitting.
import { opList, splitJobs } from './driver/jobs';
import { compareTraces, countOps, MISSING, parseTrace } from './driver/trace';

const seq = (seed: number, body: string[], only = 'all') => [`seq ${seed} ops=4 only=${only}`, ...body, `end ${seed}`].join('\n');

describe('parseTrace', () => {
  test('splits sequences and keeps their lines, ignoring lines outside them', () => {
    const out = ['noise', seq(1, ['#0 a -> 0', '#1 b -> 0']), seq(2, ['#0 c -> 0'], '0,2'), 'done 2', ''].join('\n');
    const s = parseTrace(out);
    expect(s.map((x) => [x.seed, x.ops, x.only, x.lines.length])).toEqual([
      [1, 4, undefined, 4],
      [2, 4, '0,2', 3],
    ]);
  });

  test('a client that died ends its sequence at its exit line', () => {
    const s = parseTrace(['seq 7 ops=4 only=all', '#0 FATAL stuck', 'client exit 3', 'seq 8 ops=4 only=all', 'end 8'].join('\n'));
    expect(s.map((x) => x.lines)).toEqual([['seq 7 ops=4 only=all', '#0 FATAL stuck', 'client exit 3'], ['seq 8 ops=4 only=all', 'end 8']]);
  });
});

describe('compareTraces', () => {
  test('identical traces do not diverge', () => {
    const t = parseTrace(seq(1, ['#0 a -> 0']) + '\n' + seq(2, ['#0 a -> 0']));
    expect(compareTraces(t, t)).toEqual([]);
  });

  test('reports the first differing line of each differing sequence, with its operation', () => {
    const k = parseTrace([seq(1, ['#0 a -> 0', '#1 b -> 0', '#2 c -> 0']), seq(2, ['#0 a -> 0'])].join('\n'));
    const u = parseTrace([seq(1, ['#0 a -> 0', '#1 b -> -1 EINVAL', '#2 c -> 1']), seq(2, ['#0 a -> 0'])].join('\n'));
    expect(compareTraces(k, u)).toEqual([{ seed: 1, ops: 4, only: undefined, line: 2, kernel: '#1 b -> 0', ntsyncd: '#1 b -> -1 EINVAL', op: 1 }]);
  });

  test('a sequence missing on one side is one divergence and does not shift the others', () => {
    const k = parseTrace([seq(1, ['#0 a']), seq(2, ['#0 b']), seq(3, ['#0 c'])].join('\n'));
    const u = parseTrace([seq(1, ['#0 a']), seq(3, ['#0 c'])].join('\n'));
    const d = compareTraces(k, u);
    expect(d.map((x) => [x.seed, x.line, x.ntsyncd])).toEqual([[2, 0, MISSING]]);
  });

  test('a shorter trace diverges where it stops; closing lines have no operation', () => {
    const k = parseTrace(seq(1, ['#0 a', '#final o0 sem -> 0']));
    const u = parseTrace(['seq 1 ops=4 only=all', '#0 a'].join('\n'));
    expect(compareTraces(k, u)).toEqual([{ seed: 1, ops: 4, only: undefined, line: 2, kernel: '#final o0 sem -> 0', ntsyncd: MISSING, op: undefined }]);
  });

  test('the same seed run twice (shrink candidates) pairs by op list and occurrence', () => {
    const k = parseTrace([seq(5, ['#0 a'], '0'), seq(5, ['#1 b'], '1')].join('\n'));
    const u = parseTrace([seq(5, ['#0 a'], '0'), seq(5, ['#1 B'], '1')].join('\n'));
    expect(compareTraces(k, u).map((d) => [d.only, d.op])).toEqual([['1', 1]]);
  });
});

test('countOps counts each operation once, however many lines it printed', () => {
  expect(countOps(parseTrace(seq(1, ['#0 spawn w0', '#0 waiting [w0]', '#1 event_set', '#1 w0 -> 0', '#final o0']))) ).toBe(2);
});

test('splitJobs cuts a script output at its job lines', () => {
  expect(splitJobs('job 0\nA\nB\njob 1\njob 2\nC\n', 4)).toEqual(['A\nB\n', '', 'C\n', '']);
});

test('opList writes ranges', () => {
  expect(opList([0, 1, 2, 5, 7, 8])).toBe('0-2,5,7-8');
  expect(opList([3])).toBe('3');
  expect(opList([])).toBe('');
});
