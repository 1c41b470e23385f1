// Differential test: the real engine (src/core/engine.ts) and the naive model (test/model)
// run the same random operation sequences and must agree after EVERY step on: each operation's
// return value, each immediate wait outcome (status/index) and deadline, the set and order of
// woken waits with their status/index, cancel results, and the full observable state (type,
// device and read of every object ever created, live devices, pending waits, done flags).
//
// On divergence fast-check shrinks the program and prints the seed; the error message shows the
// minimal program step by step as both sides resolved it, and the first differing field.

import fc from 'fast-check';
import {
  contentionProgram,
  Driver,
  EngineSubject,
  ModelSubject,
  formatProgram,
  program,
  semaphoreFifoProgram,
  withReadableToString,
} from './arbitraries';
import type { Op, StepRecord } from './arbitraries';
import { ObjectType, U32_MAX } from '../../src/core/types';
import { EINVAL, EOVERFLOW, EOWNERDEAD, ETIMEDOUT } from '../../src/core/errno';

function show(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() + 'n' : x));
}

/** Field-by-field comparison; returns human-readable differences. */
function diff(e: StepRecord, m: StepRecord): string[] {
  const out: string[] = [];
  const cmp = (what: string, a: unknown, b: unknown) => {
    const sa = show(a);
    const sb = show(b);
    if (sa !== sb) out.push(`${what}: engine ${sa} / model ${sb}`);
  };
  cmp('skipped', e.skipped, m.skipped);
  cmp('return value', e.ret, m.ret);
  cmp('wait outcome', e.waitResult, m.waitResult);
  cmp('cancel results', e.cancels, m.cancels);
  cmp('woken (order, status, index)', e.woken, m.woken);
  const n = Math.max(e.snapshot.objects.length, m.snapshot.objects.length);
  for (let i = 0; i < n; i++) cmp(`state of o${i}`, e.snapshot.objects[i], m.snapshot.objects[i]);
  cmp('live devices', e.snapshot.liveDevices, m.snapshot.liveDevices);
  cmp('pending waits', e.snapshot.pending, m.snapshot.pending);
  cmp('done flags of waits', e.snapshot.waitDone, m.snapshot.waitDone);
  if (out.length === 0) cmp('step', e.desc, m.desc);
  return out;
}

function runDifferential(ops: Op[]): void {
  const eng = new Driver(new EngineSubject());
  const mod = new Driver(new ModelSubject());
  const trace: string[] = [];
  for (let i = 0; i < ops.length; i++) {
    let e: StepRecord;
    let m: StepRecord;
    try {
      e = eng.step(ops[i]);
    } catch (err) {
      throw new Error(`engine threw at step ${i}: ${(err as Error).stack}\n\nProgram so far:\n${trace.join('\n')}`);
    }
    m = mod.step(ops[i]);
    const d = diff(e, m);
    const woken = (r: StepRecord) =>
      r.woken.length ? `   woken: ${r.woken.map((w) => `w${w.tag}(${w.status}, index ${w.index})`).join(' ')}` : '';
    if (d.length === 0) {
      trace.push(`  ${String(i).padStart(3)}: ${e.desc}${woken(e)}`);
      continue;
    }
    trace.push(`>>${String(i).padStart(3)}: engine: ${e.desc}${woken(e)}`);
    trace.push(`         model:  ${m.desc}${woken(m)}`);
    throw new Error(
      `engine and model diverge at step ${i}:\n  ${d.join('\n  ')}\n\n` +
        `Program (resolved; oN = Nth object created, dN = Nth device, wN = Nth wait issued):\n` +
        `${trace.join('\n')}\n\nRaw ops:\n${formatProgram(ops.slice(0, i + 1))}`,
    );
  }
}

const RUNS = Number(process.env.NTSYNC_DIFF_RUNS ?? 1000);

/**
 * Which corner cases a generator reaches, counted over a fixed-seed sample (on the model, so
 * this says something about the generators, not about the engine).
 */
function coverage(arb: fc.Arbitrary<Op[]>, runs: number): Record<string, number> {
  const st: Record<string, number> = {};
  const inc = (k: string) => (st[k] = (st[k] ?? 0) + 1);
  fc.assert(
    fc.property(arb, (ops) => {
      const d = new Driver(new ModelSubject());
      let before = d.snapshot();
      for (const op of ops) {
        const r = d.step(op);
        const o = d.lastObject;
        const was = o ? before.objects[o.h]?.read : undefined;
        if (op.t === 'semRelease' && r.ret === -EOVERFLOW && was && was.a + op.amount > U32_MAX) inc('sem u32 wrap');
        if (op.t === 'mutexUnlock' && r.ret === U32_MAX && r.woken.length > 0) inc('unlock from 0xFFFFFFFF woke');
        if (op.t === 'mutexUnlock' && r.woken.length >= 2) inc('unlock woke several (same owner)');
        if (op.t === 'eventPulse' && r.woken.length >= 2) inc('pulse woke several');
        if (op.t === 'semRelease' && r.woken.length >= 2) inc('release woke several');
        if (op.t === 'tick' && r.cancels.length > 0) inc('deadline expired');
        for (const c of r.cancels) inc(c.result ? 'cancel true' : 'cancel false');
        for (const w of r.woken) {
          const h = d.waits[w.tag]!;
          const viaAlert = h.alert !== null && w.index === h.objs.length;
          if (h.all && !viaAlert) inc(w.status === -EOWNERDEAD ? 'wait-all EOWNERDEAD' : 'wait-all woken');
          if (h.all && viaAlert) inc('wait-all woken by alert');
          if (!h.all && viaAlert) inc('wait-any woken by alert');
          if (!h.all && new Set(h.objs).size < h.objs.length) inc('wait-any with duplicates woken');
          if (!h.all && w.status === -EOWNERDEAD) inc('wait-any EOWNERDEAD');
          if (viaAlert && h.alert!.type !== ObjectType.Event) inc('non-event alert');
        }
        const lw = d.lastWait;
        if (lw && !lw.pending && lw.all && lw.objs.length === 0 && lw.alert) inc('wait-all count 0 with alert');
        if (lw && !lw.pending && lw.status === -ETIMEDOUT) inc('poll timed out');
        if (lw && !lw.pending && lw.status === -EINVAL) inc('wait EINVAL');
        r.snapshot.objects.forEach((x, i) => {
          if (before.objects[i]?.type && !x.type && op.t !== 'closeObject') inc('closed object freed by a wait ending');
        });
        if (r.snapshot.liveDevices.some((h) => d.devices[h].closed)) inc('closed device kept alive');
        before = r.snapshot;
      }
    }),
    { numRuns: runs, seed: 1 },
  );
  return st;
}

describe('engine vs naive model (differential)', () => {
  test(`random programs over all operations (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(program(60).map(withReadableToString), (ops) => runDifferential(ops)),
      { numRuns: RUNS },
    );
  });

  test(`dense contention on a few objects (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(contentionProgram(60).map(withReadableToString), (ops) => runDifferential(ops)),
      { numRuns: RUNS },
    );
  });

  test(`semaphore-heavy wait-any programs (${RUNS / 2} runs)`, () => {
    fc.assert(
      fc.property(semaphoreFifoProgram(50).map(withReadableToString), (ops) => runDifferential(ops)),
      { numRuns: RUNS / 2 },
    );
  });

  test('the generators reach every corner case (fixed-seed sample)', () => {
    const all = coverage(program(60), 300);
    const cont = coverage(contentionProgram(60), 300);
    const fifo = coverage(semaphoreFifoProgram(50), 100);
    const sum = (k: string) => (all[k] ?? 0) + (cont[k] ?? 0);
    const wanted = [
      'sem u32 wrap',
      'unlock from 0xFFFFFFFF woke',
      'unlock woke several (same owner)',
      'pulse woke several',
      'release woke several',
      'deadline expired',
      'cancel true',
      'cancel false',
      'wait-all woken',
      'wait-all EOWNERDEAD',
      'wait-all woken by alert',
      'wait-any woken by alert',
      'wait-any with duplicates woken',
      'wait-any EOWNERDEAD',
      'non-event alert',
      'wait-all count 0 with alert',
      'poll timed out',
      'wait EINVAL',
      'closed object freed by a wait ending',
      'closed device kept alive',
    ];
    expect(wanted.filter((k) => sum(k) === 0)).toEqual([]);
    expect(fifo['release woke several'] ?? 0).toBeGreaterThan(0);
  });

  test('a pending count-0 wait keeps its closed, empty device alive until it ends', () => {
    runDifferential([
      { t: 'openDevice' },
      {
        t: 'wait',
        d: 2,
        all: false,
        objs: [],
        alert: null,
        owner: 1,
        timeout: 'infinite',
        realtime: false,
        distinct: true,
      },
      { t: 'closeDevice', d: 2 },
      { t: 'cancel', w: 0, status: 'ERESTARTSYS' },
    ]);
  });

  test('regression: a mutex at 0xFFFFFFFF unlocked by its owner wakes that owner’s waiter', () => {
    runDifferential([
      { t: 'createMutex', d: 0, owner: 1, count: 0xffffffff },
      {
        t: 'wait',
        d: 0,
        all: false,
        objs: [{ k: 'own', i: 0 }],
        alert: null,
        owner: 1,
        timeout: 'infinite',
        realtime: false,
        distinct: true,
      },
      {
        t: 'wait',
        d: 0,
        all: true,
        objs: [{ k: 'own', i: 0 }],
        alert: null,
        owner: 1,
        timeout: 'infinite',
        realtime: false,
        distinct: true,
      },
      { t: 'mutexUnlock', o: 0, owner: 1, anyKind: false },
      { t: 'mutexUnlock', o: 0, owner: 1, anyKind: false },
    ]);
  });
});
