// Property tests of the real engine over random operation sequences (fast-check). Each
// property is checked after EVERY step of every generated program; on failure fast-check
// shrinks the program and prints its seed, and the message shows the resolved steps.
//
// No model is involved here: each property is a law of ntsync-abi.md stated on what the engine
// shows (return values, woken waits, cancel results, reads of every object).

import fc from 'fast-check';
import type { Wait } from '../../src/core/engine';
import { ObjectType, U32_MAX } from '../../src/core/types';
import { EOWNERDEAD } from '../../src/core/errno';
import {
  contentionProgram,
  Driver,
  EngineSubject,
  formatProgram,
  program,
  semaphoreFifoProgram,
  withReadableToString,
} from './arbitraries';
import type { HObject, HWait, ObjectSnapshot, Op, Snapshot, StepRecord } from './arbitraries';

type EDriver = Driver<Wait<number>>;

interface Ctx {
  d: EDriver;
  op: Op;
  rec: StepRecord;
  before: Snapshot;
  after: Snapshot;
  /** waits that were pending just before the step, in arrival order */
  pendingBefore: HWait<Wait<number>>[];
  /** waits that are pending after the step (per the step's own reports), in arrival order */
  pendingAfter: HWait<Wait<number>>[];
  /** tags of the waits that had ended before this step (woken, cancelled, or immediate) */
  endedBefore: Set<number>;
}

type Check = (c: Ctx) => void;

class Violation extends Error {}

function fail(msg: string): never {
  throw new Violation(msg);
}

const show = (v: unknown) => JSON.stringify(v);

/** Runs a program on the engine and applies `check` after every step. */
function runProperty(ops: Op[], check: Check): void {
  const d: EDriver = new Driver(new EngineSubject());
  const ended = new Set<number>();
  let before = d.snapshot();
  const trace: string[] = [];
  for (let i = 0; i < ops.length; i++) {
    const pendingBefore = d.pendingIssued.filter((h) => !ended.has(h.tag));
    const endedBefore = new Set(ended);
    const rec = d.step(ops[i]);
    const woken = rec.woken.length ? `   woken: ${rec.woken.map((w) => `w${w.tag}(${w.status}, index ${w.index})`).join(' ')}` : '';
    trace.push(`  ${String(i).padStart(3)}: ${rec.desc}${woken}`);
    // what ended in this step, per the engine's own reports
    for (const w of rec.woken) ended.add(w.tag);
    for (const c of rec.cancels) if (c.result) ended.add(c.tag);
    if (d.lastWait && !d.lastWait.pending) ended.add(d.lastWait.tag);
    const pendingAfter = d.pendingIssued.filter((h) => !ended.has(h.tag));
    try {
      check({ d, op: ops[i], rec, before, after: rec.snapshot, pendingBefore, pendingAfter, endedBefore });
    } catch (e) {
      if (!(e instanceof Violation)) throw e;
      trace[trace.length - 1] = '>>' + trace[trace.length - 1].slice(2);
      throw new Error(
        `property violated at step ${i}: ${e.message}\n\n` +
          `Program (resolved; oN = Nth object created, dN = Nth device, wN = Nth wait issued):\n${trace.join('\n')}\n\n` +
          `Raw ops:\n${formatProgram(ops.slice(0, i + 1))}`,
      );
    }
    before = rec.snapshot;
  }
}

const RUNS = Number(process.env.NTSYNC_PROP_RUNS ?? 400);

/** Both general generators, half and half. */
const programs = fc.oneof(program(60), contentionProgram(60)).map(withReadableToString);

function property(check: Check, arb: fc.Arbitrary<Op[]> = programs, runs = RUNS): void {
  fc.assert(
    fc.property(arb, (ops) => runProperty(ops, check)),
    { numRuns: runs },
  );
}

// ---------------------------------------------------------------- helpers on snapshots

function live(s: ObjectSnapshot | undefined): s is ObjectSnapshot & { read: NonNullable<ObjectSnapshot['read']> } {
  return s !== undefined && s.type !== 0 && s.read !== null;
}

/** Entry number -> the object it names, for a wait as issued. */
function entryObject(w: { objs: (HObject | null)[]; alert: HObject | null }, index: number): HObject | null {
  return index < w.objs.length ? w.objs[index] : w.alert;
}

/**
 * What a satisfied wait acquired: a wait-all with index 0 took all its objects (a count-0
 * wait-all, "all of nothing", took nothing, and its alert is not consumed); otherwise one entry.
 */
function acquiredObjects(w: { all: boolean; objs: (HObject | null)[]; alert: HObject | null }, index: number): HObject[] {
  if (w.all && index === 0) return w.objs as HObject[];
  const o = entryObject(w, index);
  return o ? [o] : [];
}

function signaledFor(s: ObjectSnapshot, owner: number): boolean {
  const r = s.read!;
  if (s.type === ObjectType.Semaphore) return r.a > 0;
  if (s.type === ObjectType.Mutex) return (r.a === 0 || r.a === owner) && r.b < U32_MAX;
  return r.b === 1;
}

// ---------------------------------------------------------------- the properties

describe('engine properties over random operation sequences', () => {
  test(`a mutex's owner is 0 exactly when its count is 0, and the count stays a u32 (${RUNS} runs)`, () => {
    property(({ after }) => {
      after.objects.forEach((s, i) => {
        if (!live(s) || s.type !== ObjectType.Mutex) return;
        if ((s.read.a === 0) !== (s.read.b === 0)) fail(`o${i}: mutex {owner ${s.read.a}, count ${s.read.b}}`);
        if (s.read.b > U32_MAX) fail(`o${i}: mutex recursion count ${s.read.b} beyond 0xFFFFFFFF`);
        if (s.read.ret === -EOWNERDEAD && (s.read.a !== 0 || s.read.b !== 0)) {
          fail(`o${i}: abandoned mutex reads {owner ${s.read.a}, count ${s.read.b}}, not {0, 0}`);
        }
      });
    });
  });

  test(`a semaphore never exceeds its max (${RUNS} runs)`, () => {
    property(({ after }) => {
      after.objects.forEach((s, i) => {
        if (!live(s) || s.type !== ObjectType.Semaphore) return;
        if (s.read.a > s.read.b || s.read.a < 0 || s.read.b > U32_MAX) fail(`o${i}: sem {count ${s.read.a}, max ${s.read.b}}`);
      });
    });
  });

  test(`no wait is satisfied twice, nor after a successful cancel (${RUNS} runs)`, () => {
    property(({ d, rec, pendingBefore, pendingAfter, endedBefore }) => {
      const wasPending = new Set(pendingBefore.map((h) => h.tag));
      const seen = new Set<number>();
      for (const w of rec.woken) {
        if (seen.has(w.tag)) fail(`w${w.tag} woken twice in one step`);
        seen.add(w.tag);
        if (endedBefore.has(w.tag)) fail(`w${w.tag} woken although it had already ended (woken, cancelled or answered at once)`);
        if (!wasPending.has(w.tag)) fail(`w${w.tag} woken although it was not pending before this step`);
        const hw = d.waits[w.tag]!;
        if (!hw.w.done) fail(`w${w.tag} woken but not done`);
        if (w.status !== 0 && w.status !== -EOWNERDEAD) fail(`w${w.tag} woken with status ${w.status}`);
        const entries = hw.objs.length + (hw.alert ? 1 : 0);
        if (w.index < 0 || w.index >= Math.max(entries, 1)) fail(`w${w.tag} woken with index ${w.index} of ${entries} entries`);
      }
      for (const c of rec.cancels) {
        const expected = wasPending.has(c.tag) && !seen.has(c.tag);
        if (c.result !== expected) {
          fail(`cancel(w${c.tag}) returned ${c.result}; the wait was ${expected ? 'pending' : 'already ended'}`);
        }
      }
      if (d.lastWait && !d.lastWait.pending && rec.snapshot.pending.includes(d.lastWait.tag)) {
        fail(`w${d.lastWait.tag} answered at once but the engine still lists it as pending`);
      }
      const mine = pendingAfter.map((h) => h.tag);
      if (show(mine) !== show(rec.snapshot.pending)) {
        fail(`pending waits: engine lists ${show(rec.snapshot.pending)}, the step reports leave ${show(mine)}`);
      }
    });
  });

  test(`a satisfied wait-all took all its objects in one step; state changes are fully accounted for (${RUNS} runs)`, () => {
    property(({ d, op, rec, before, after }) => {
      // every acquisition this step made: woken waits, plus the issued wait if it succeeded at once
      const acq = new Map<number, { owner: number; status: number; tag: number }[]>();
      const add = (w: { all: boolean; objs: (HObject | null)[]; alert: HObject | null; owner: number; tag: number }, status: number, index: number) => {
        for (const o of acquiredObjects(w, index)) {
          const list = acq.get(o.h) ?? [];
          list.push({ owner: w.owner, status, tag: w.tag });
          acq.set(o.h, list);
        }
      };
      for (const w of rec.woken) add(d.waits[w.tag]!, w.status, w.index);
      const lw = d.lastWait;
      if (lw && !lw.pending && (lw.status === 0 || lw.status === -EOWNERDEAD)) add(lw, lw.status, lw.index);

      const target = d.lastObject;
      const ok = rec.ret !== null && rec.ret >= 0;
      d.objects.forEach((o, i) => {
        const b = before.objects[i];
        const a = after.objects[i];
        const k = acq.get(i) ?? [];
        if (!live(a)) {
          if (k.length > 0 && o.closed === false) fail(`o${i} was acquired but is not live afterwards`);
          return; // a closed object whose last wait just ended: nothing to compare
        }
        if (!live(b)) {
          // created in this step
          if (k.length > 0) fail(`o${i} was acquired in the step that created it`);
          return;
        }
        const here = target === o && ok;
        const who = k.map((x) => `w${x.tag}`).join(',');
        if (o.type === ObjectType.Semaphore) {
          const released = here && op.t === 'semRelease' ? op.amount : 0;
          const want = b.read.a + released - k.length;
          if (a.read.a !== want || a.read.b !== b.read.b) {
            fail(`o${i} sem: {${b.read.a}, ${b.read.b}} + release ${released} - ${k.length} acquisitions (${who}) should be {${want}, ${b.read.b}}, is {${a.read.a}, ${a.read.b}}`);
          }
        } else if (o.type === ObjectType.Mutex) {
          let owner = b.read.a;
          let count = b.read.b;
          let abandoned = b.read.ret === -EOWNERDEAD;
          if (here && op.t === 'mutexUnlock') {
            count -= 1;
            if (count === 0) owner = 0;
          } else if (here && op.t === 'mutexKill') {
            owner = 0;
            count = 0;
            abandoned = true;
          }
          if (k.length > 0) {
            const x = k[0].owner;
            if (k.some((y) => y.owner !== x)) fail(`o${i} mutex acquired by several owners in one step: ${show(k)}`);
            if (owner !== 0 && owner !== x) fail(`o${i} mutex owned by ${owner} was acquired by ${x} (${who})`);
            if (abandoned && !k.some((y) => y.status === -EOWNERDEAD)) fail(`o${i} abandoned mutex acquired without EOWNERDEAD (${who})`);
            owner = x;
            count += k.length;
            abandoned = false;
          }
          const ret = abandoned ? -EOWNERDEAD : 0;
          if (a.read.a !== owner || a.read.b !== count || a.read.ret !== ret) {
            fail(`o${i} mutex: expected {owner ${owner}, count ${count}}${abandoned ? ' abandoned' : ''} after ${k.length} acquisitions (${who}), read {owner ${a.read.a}, count ${a.read.b}} ret ${a.read.ret}`);
          }
        } else {
          const manual = b.read.a === 1;
          let sig = b.read.b === 1;
          const setLike = here && (op.t === 'eventSet' || op.t === 'eventPulse');
          if (setLike) sig = true;
          if (here && op.t === 'eventReset') sig = false;
          if (k.length > 0 && !sig) fail(`o${i} unsignaled event acquired (${who})`);
          if (!manual && k.length > 1) fail(`o${i} auto event acquired ${k.length} times in one step (${who})`);
          if (!manual && k.length > 0) sig = false;
          if (here && op.t === 'eventPulse') sig = false;
          if (a.read.a !== b.read.a || a.read.b !== (sig ? 1 : 0)) {
            fail(`o${i} event: expected {manual ${b.read.a}, signaled ${sig ? 1 : 0}} after ${k.length} acquisitions (${who}), read {${a.read.a}, ${a.read.b}}`);
          }
        }
      });
    });
  });

  test(`per-object FIFO: a semaphore released with only wait-any waiters serves them in queueing order (${RUNS} runs)`, () => {
    const check: Check = ({ d, op, rec, before, after, pendingBefore }) => {
      const s = d.lastObject;
      if (op.t !== 'semRelease' || s === null || s.type !== ObjectType.Semaphore || rec.ret === null || rec.ret < 0) return;
      if (pendingBefore.some((h) => h.all && h.objs.includes(s))) return; // wait-all waiters come first: not this law
      const waiters = pendingBefore.filter((h) => h.objs.includes(s) || h.alert === s);
      const avail = before.objects[s.h].read!.a + op.amount;
      const expected = waiters.slice(0, avail).map((h) => {
        const i = h.objs.indexOf(s);
        return { tag: h.tag, status: 0, index: i >= 0 ? i : h.objs.length };
      });
      if (show(rec.woken) !== show(expected)) {
        fail(`release of o${s.h} by ${op.amount}: queue ${waiters.map((h) => `w${h.tag}`).join(' ')}; expected woken ${show(expected)}, got ${show(rec.woken)}`);
      }
      const left = avail - expected.length;
      if (after.objects[s.h].read!.a !== left) fail(`o${s.h} count ${after.objects[s.h].read!.a}, expected ${left}`);
    };
    property(check, semaphoreFifoProgram(50).map(withReadableToString));
    property(check, programs, RUNS / 2);
  });

  test(`a cancelled wait changed nothing (${RUNS} runs)`, () => {
    property(({ d, rec, before, after, pendingAfter }) => {
      if (rec.cancels.length === 0) return;
      if (rec.woken.length > 0) fail(`a cancel woke ${show(rec.woken)}`);
      const cancelled = new Set(rec.cancels.filter((c) => c.result).map((c) => c.tag));
      d.objects.forEach((o, i) => {
        const b = before.objects[i];
        const a = after.objects[i];
        if (a.type !== 0) {
          if (show(a) !== show(b)) fail(`o${i} changed across a cancel: ${show(b)} -> ${show(a)}`);
          return;
        }
        if (b.type === 0) return;
        // it vanished: only a closed object whose last reference was a cancelled wait may
        const heldByCancelled = [...cancelled].some((t) => {
          const h = d.waits[t]!;
          return h.objs.includes(o) || h.alert === o;
        });
        const stillHeld = pendingAfter.some((h) => h.objs.includes(o) || h.alert === o);
        if (!o.closed || !heldByCancelled || stillHeld) fail(`o${i} vanished across a cancel`);
      });
      before.waitDone.forEach((done, t) => {
        if (after.waitDone[t] !== done && !cancelled.has(t)) fail(`w${t} changed its done flag across a cancel of others`);
      });
      for (const t of cancelled) {
        const w = d.waits[t]!.w;
        if (!w.done) fail(`w${t} cancelled but not done`);
      }
    });
  });

  test(`lifetimes: a closed object lives exactly while a pending wait holds it; devices likewise (${RUNS} runs)`, () => {
    property(({ d, after, pendingAfter }) => {
      const held = (o: HObject) => pendingAfter.some((h) => h.objs.includes(o) || h.alert === o);
      d.objects.forEach((o, i) => {
        const a = after.objects[i];
        const alive = !o.closed || held(o);
        if ((a.type !== 0) !== alive) {
          fail(`o${i} (${o.closed ? 'closed' : 'open'}, ${held(o) ? '' : 'not '}held by a pending wait) has typeOf ${a.type}`);
        }
        if (!alive) return;
        if (a.type !== o.type || a.dev !== o.dev.h) fail(`o${i} typeOf/deviceOf ${a.type}/d${a.dev}, created as ${o.type} on d${o.dev.h}`);
        if (a.read === null || (a.read.ret !== 0 && a.read.ret !== -EOWNERDEAD)) fail(`o${i} is live but its read fails: ${show(a.read)}`);
      });
      const liveDevs = d.devices
        .filter(
          (dev) =>
            !dev.closed ||
            d.objects.some((o, i) => o.dev === dev && after.objects[i].type !== 0) ||
            pendingAfter.some((h) => h.dev === dev),
        )
        .map((dev) => dev.h);
      if (show(liveDevs) !== show(after.liveDevices)) fail(`live devices ${show(after.liveDevices)}, expected ${show(liveDevs)}`);
    });
  });

  test(`no lost wake-up: after every step no pending wait could be satisfied (${RUNS} runs)`, () => {
    property(({ after, pendingAfter }) => {
      for (const h of pendingAfter) {
        const st = (o: HObject) => after.objects[o.h];
        const objs = h.objs as HObject[];
        if (h.alert && signaledFor(st(h.alert), h.owner)) fail(`pending w${h.tag}: its alert o${h.alert.h} is signaled for owner ${h.owner}`);
        if (h.all) {
          if (objs.every((o) => signaledFor(st(o), h.owner))) fail(`pending wait-all w${h.tag}: every object is signaled for owner ${h.owner}`);
        } else {
          const o = objs.find((x) => signaledFor(st(x), h.owner));
          if (o) fail(`pending wait-any w${h.tag}: o${o.h} is signaled for owner ${h.owner}: ${show(st(o))}`);
        }
      }
    });
  });
});
