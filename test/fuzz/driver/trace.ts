// Reading and comparing the client's traces. A trace is a run of sequences, each opened by
// "seq SEED ops=N only=LIST" and closed by "end SEED"; both sides ran the same jobs in the same
// order, so the n-th sequence of one side is compared with the n-th of the other, line by line.

export interface SequenceTrace {
  seed: number;
  ops: number;
  /** The --only-ops list, or undefined for the whole sequence. */
  only: string | undefined;
  /** Every line from "seq" to "end" inclusive (or to where the output stopped). */
  lines: string[];
}

const HEADER = /^seq (\d+) ops=(\d+) only=(\S+)$/;

/** Splits a client output into its sequences; lines outside any sequence are ignored. */
export function parseTrace(output: string): SequenceTrace[] {
  const sequences: SequenceTrace[] = [];
  let current: SequenceTrace | undefined;
  for (const line of output.split('\n')) {
    const m = HEADER.exec(line);
    if (m) {
      current = { seed: Number(m[1]), ops: Number(m[2]), only: m[3] === 'all' ? undefined : m[3], lines: [line] };
      sequences.push(current);
      continue;
    }
    if (!current) continue;
    current.lines.push(line);
    // A client that died mid-sequence: its exit line belongs to the sequence it cut short.
    if (line.startsWith('end ') || line.startsWith('client exit ')) current = undefined;
  }
  return sequences;
}

export interface Divergence {
  seed: number;
  ops: number;
  only: string | undefined;
  /** 0-based line within the sequence. */
  line: number;
  kernel: string;
  ntsyncd: string;
  /** The operation that line belongs to ("#12 ..."), if it is an operation's line. */
  op: number | undefined;
}

export const MISSING = '<no such line>';

/** The number of the operation a trace line reports on, if any. */
export function opOfLine(line: string): number | undefined {
  const m = /^#(\d+) /.exec(line);
  return m ? Number(m[1]) : undefined;
}

function keyed(sequences: readonly SequenceTrace[]): Map<string, SequenceTrace> {
  const map = new Map<string, SequenceTrace>();
  for (const s of sequences) {
    const base = `${s.seed} ${s.ops} ${s.only ?? 'all'}`;
    let n = 0;
    while (map.has(`${base} ${n}`)) n++;
    map.set(`${base} ${n}`, s);
  }
  return map;
}

/**
 * The first differing line of each sequence that differs. Sequences are paired by what they
 * ran (seed, length, op list, and how many times before), so that one missing on one side
 * (a client that died) shows as that one sequence and does not shift all later ones.
 */
export function compareTraces(kernel: readonly SequenceTrace[], ntsyncd: readonly SequenceTrace[]): Divergence[] {
  const out: Divergence[] = [];
  const k = keyed(kernel);
  const u = keyed(ntsyncd);
  const keys = [...k.keys(), ...[...u.keys()].filter((key) => !k.has(key))];
  for (const key of keys) {
    const ks = k.get(key);
    const us = u.get(key);
    const ref = (ks ?? us)!;
    const kl = ks?.lines ?? [];
    const ul = us?.lines ?? [];
    const len = Math.max(kl.length, ul.length);
    for (let j = 0; j < len; j++) {
      if (kl[j] === ul[j]) continue;
      const kernelLine = kl[j] ?? MISSING;
      const ntsyncdLine = ul[j] ?? MISSING;
      out.push({
        seed: ref.seed,
        ops: ref.ops,
        only: ref.only,
        line: j,
        kernel: kernelLine,
        ntsyncd: ntsyncdLine,
        op: opOfLine(kernelLine) ?? opOfLine(ntsyncdLine),
      });
      break;
    }
  }
  return out;
}

/** Operations run, over all sequences (each counted once, however many lines it printed). */
export function countOps(sequences: readonly SequenceTrace[]): number {
  let n = 0;
  for (const s of sequences) n += new Set(s.lines.map(opOfLine).filter((o) => o !== undefined)).size;
  return n;
}
