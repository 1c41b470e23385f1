// Shared fast-check generators of random ntsync operation sequences, and a small driver that
// runs one sequence against anything with the engine's public shape (the real Engine or the
// naive model), recording after every step what a caller could observe.
//
// Ops name objects, devices and waits by small "pick" numbers taken modulo the current list
// of candidates. That keeps every generated sequence meaningful after shrinking (removing an
// op never makes a later op refer to nothing), and both sides of a differential run make the
// same choices as long as their results agree.

import fc from 'fast-check';
import { Engine, WaitRequest } from '../../src/core/engine';
import type { Wait } from '../../src/core/engine';
import { ObjectType, U32_MAX, TIMEOUT_INFINITE } from '../../src/core/types';
import type { ClockNow } from '../../src/core/types';
import { ERESTARTSYS, ETIMEDOUT } from '../../src/core/errno';
import { NaiveModel, ModelWaitRequest } from '../model/model';
import type { ModelWait } from '../model/model';

// ==================================================================== op vocabulary

/** A small number used modulo the candidate list it indexes. */
export type Pick = number;

/** How a wait names an object. */
export type WaitRef =
  | { k: 'own'; i: Pick } // an open object of the wait's device
  | { k: 'zero' } // an fd that did not resolve
  | { k: 'closed'; i: Pick } // an object whose file was closed (maybe still alive)
  | { k: 'foreign'; i: Pick } // an open object of another device
  | { k: 'bogus' } // an id that was never allocated
  | { k: 'unresolved' }; // alert only: -1

export type TimeoutSpec = 'zero' | 'nowMinus1' | 'now' | 'nowPlus1' | 'future' | 'far' | 'never' | 'infinite';

export type Op =
  | { t: 'openDevice' }
  | { t: 'closeDevice'; d: Pick }
  | { t: 'createSem'; d: Pick; count: number; max: number }
  | { t: 'createMutex'; d: Pick; owner: number; count: number }
  | { t: 'createEvent'; d: Pick; manual: number; signaled: number }
  | { t: 'closeObject'; o: Pick }
  | { t: 'semRelease'; o: Pick; amount: number; anyKind: boolean }
  | { t: 'mutexUnlock'; o: Pick; owner: number | 'current'; anyKind: boolean }
  | { t: 'mutexKill'; o: Pick; owner: number | 'current'; anyKind: boolean }
  | { t: 'eventSet' | 'eventReset' | 'eventPulse'; o: Pick; anyKind: boolean }
  | { t: 'read'; o: Pick; as: ObjectType }
  | {
      t: 'wait';
      d: Pick;
      all: boolean;
      objs: WaitRef[];
      alert: WaitRef | null;
      owner: number;
      timeout: TimeoutSpec;
      realtime: boolean;
      /** resolve 'own' refs to objects not already named by this wait (when possible) */
      distinct: boolean;
    }
  | { t: 'cancel'; w: Pick; status: 'ETIMEDOUT' | 'ERESTARTSYS' }
  | { t: 'tick'; ns: number };

// ==================================================================== generators

const U32_EDGE = [0, 1, 2, 3, U32_MAX - 1, U32_MAX];
const pick = fc.nat({ max: 7 });
/** Devices: mostly the first one, so that objects and waits meet. */
const devPick = fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.nat({ max: 3 }) });
const owner = fc.constantFrom(1, 2, 3);
/** 10% of object operations pick among objects of every kind (wrong kind: -EINVAL). */
const anyKindArb = fc.integer({ min: 0, max: 9 }).map((n) => n === 0);

const createSem = fc
  .record({
    d: devPick,
    max: fc.constantFrom(...U32_EDGE, 5),
    rel: fc.constantFrom('0', '0', '0', '0', '1', 'max-1', 'max', 'max+1'),
  })
  .map(({ d, max, rel }): Op => {
    let count: number;
    switch (rel) {
      case '0':
        count = 0;
        break;
      case '1':
        count = Math.min(1, max);
        break;
      case 'max-1':
        count = Math.max(0, max - 1);
        break;
      case 'max':
        count = max;
        break;
      default:
        count = max === U32_MAX ? U32_MAX : max + 1; // max+1 is -EINVAL (except at the top)
    }
    return { t: 'createSem', d, count, max };
  });

const createMutex = fc.oneof(
  { weight: 3, arbitrary: fc.record({ d: devPick }).map(({ d }): Op => ({ t: 'createMutex', d, owner: 0, count: 0 })) },
  {
    weight: 5,
    arbitrary: fc
      .record({ d: devPick, owner, count: fc.constantFrom(1, 1, 1, 2, U32_MAX - 1, U32_MAX) })
      .map(({ d, owner, count }): Op => ({ t: 'createMutex', d, owner, count })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ d: devPick, owner: fc.constantFrom(0, 1, 2), count: fc.constantFrom(...U32_EDGE) })
      .map(({ d, owner, count }): Op => ({ t: 'createMutex', d, owner, count })),
  },
);

const bool32 = fc.constantFrom(0, 1, 2, U32_MAX);
const mostlyFalse = fc.constantFrom(0, 0, 0, 0, 1, 2, U32_MAX);
const createEvent = fc
  .record({ d: devPick, manual: bool32, signaled: mostlyFalse })
  .map((r): Op => ({ t: 'createEvent', ...r }));

const ownRef: fc.Arbitrary<WaitRef> = pick.map((i): WaitRef => ({ k: 'own', i }));
const waitRef: fc.Arbitrary<WaitRef> = fc.oneof(
  { weight: 4, arbitrary: ownRef },
  { weight: 1, arbitrary: fc.constant<WaitRef>({ k: 'zero' }) },
  { weight: 1, arbitrary: pick.map((i): WaitRef => ({ k: 'closed', i })) },
  { weight: 1, arbitrary: pick.map((i): WaitRef => ({ k: 'foreign', i })) },
  { weight: 1, arbitrary: fc.constant<WaitRef>({ k: 'bogus' }) },
);

const alertRef: fc.Arbitrary<WaitRef | null> = fc.oneof(
  { weight: 24, arbitrary: fc.constant(null) },
  { weight: 12, arbitrary: ownRef },
  { weight: 1, arbitrary: fc.constant<WaitRef>({ k: 'unresolved' }) },
  { weight: 1, arbitrary: waitRef },
);

const timeoutSpec: fc.Arbitrary<TimeoutSpec> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<TimeoutSpec>('zero', 'nowMinus1', 'now') },
  { weight: 1, arbitrary: fc.constant<TimeoutSpec>('nowPlus1') },
  { weight: 4, arbitrary: fc.constant<TimeoutSpec>('future') },
  { weight: 1, arbitrary: fc.constantFrom<TimeoutSpec>('far', 'never') },
  { weight: 5, arbitrary: fc.constant<TimeoutSpec>('infinite') },
);

export const waitOp: fc.Arbitrary<Op> = fc
  .record({
    d: devPick,
    all: fc.boolean(),
    distinct: fc.integer({ min: 0, max: 3 }).map((n) => n !== 0),
    // mostly valid objects (duplicates allowed); 1 in 10 waits may name anything
    objs: fc.oneof(
      { weight: 1, arbitrary: fc.constant<WaitRef[]>([]) },
      { weight: 12, arbitrary: fc.array(ownRef, { minLength: 1, maxLength: 3 }) },
      { weight: 3, arbitrary: fc.array(ownRef, { minLength: 4, maxLength: 5 }) },
      { weight: 2, arbitrary: fc.array(waitRef, { minLength: 1, maxLength: 5 }) },
    ),
    alert: alertRef,
    owner,
    timeout: timeoutSpec,
    realtime: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  })
  .map((r): Op => ({ t: 'wait', ...r }));

const amount = fc.constantFrom(0, 1, 1, 1, 1, 1, 1, 2, 2, 3, U32_MAX - 1, U32_MAX);
const semRelease = fc.record({ o: pick, amount, anyKind: anyKindArb }).map((r): Op => ({ t: 'semRelease', ...r }));
/** 'current': whoever owns the mutex now (read just before), so that unlocks often succeed. */
const opOwner = fc.oneof(
  { weight: 6, arbitrary: owner },
  { weight: 6, arbitrary: fc.constant<'current'>('current') },
  { weight: 1, arbitrary: fc.constant(0) },
);
const mutexUnlock = fc
  .record({ o: pick, owner: opOwner, anyKind: anyKindArb })
  .map((r): Op => ({ t: 'mutexUnlock', ...r }));
const mutexKill = fc.record({ o: pick, owner: opOwner, anyKind: anyKindArb }).map((r): Op => ({ t: 'mutexKill', ...r }));
const eventOp = fc
  .record({ t: fc.constantFrom('eventSet' as const, 'eventReset' as const, 'eventPulse' as const), o: pick, anyKind: anyKindArb })
  .map((r): Op => r);

const cancelOp = fc
  .record({ w: fc.nat({ max: 15 }), status: fc.constantFrom('ETIMEDOUT' as const, 'ERESTARTSYS' as const) })
  .map((r): Op => ({ t: 'cancel', ...r }));

/** One random operation, weighted towards waits and state changes. */
export const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<Op>({ t: 'openDevice' }) },
  { weight: 1, arbitrary: devPick.map((d): Op => ({ t: 'closeDevice', d })) },
  { weight: 4, arbitrary: createSem },
  { weight: 4, arbitrary: createMutex },
  { weight: 4, arbitrary: createEvent },
  { weight: 3, arbitrary: pick.map((o): Op => ({ t: 'closeObject', o })) },
  { weight: 10, arbitrary: semRelease },
  { weight: 10, arbitrary: mutexUnlock },
  { weight: 3, arbitrary: mutexKill },
  { weight: 12, arbitrary: eventOp },
  {
    weight: 2,
    arbitrary: fc
      .record({ o: pick, as: fc.constantFrom(ObjectType.Semaphore, ObjectType.Mutex, ObjectType.Event) })
      .map((r): Op => ({ t: 'read', ...r })),
  },
  { weight: 28, arbitrary: waitOp },
  { weight: 5, arbitrary: cancelOp },
  { weight: 3, arbitrary: fc.constantFrom(1, 10, 1000, 1_000_000).map((ns): Op => ({ t: 'tick', ns })) },
);

/** A few objects on the first device to start with (shrinkable like any other op). */
const prelude = fc.array(
  fc.oneof(
    createSem.map((o) => ({ ...o, d: 0 }) as Op),
    createMutex.map((o) => ({ ...o, d: 0 }) as Op),
    createEvent.map((o) => ({ ...o, d: 0 }) as Op),
  ),
  { minLength: 2, maxLength: 6, size: 'max' },
);

/** A random program: a prelude of creates, then any operations. */
export function program(maxLength = 60): fc.Arbitrary<Op[]> {
  return fc
    .tuple(prelude, fc.array(op, { maxLength, size: 'max' }))
    .map(([a, b]) => [...a, ...b]);
}

/**
 * Dense contention: a handful of objects made up front, then only waits, state changes, cancels
 * and clock ticks (objects are rarely closed), so that most waits block and get woken.
 */
export function contentionProgram(maxLength = 60): fc.Arbitrary<Op[]> {
  const cop = fc.oneof(
    { weight: 12, arbitrary: waitOp },
    { weight: 4, arbitrary: semRelease },
    { weight: 4, arbitrary: mutexUnlock },
    { weight: 1, arbitrary: mutexKill },
    { weight: 5, arbitrary: eventOp },
    { weight: 2, arbitrary: cancelOp },
    { weight: 1, arbitrary: fc.constantFrom(10, 1_000_000).map((ns): Op => ({ t: 'tick', ns })) },
    { weight: 1, arbitrary: pick.map((o): Op => ({ t: 'closeObject', o })) },
  );
  const few = fc.array(
    fc.oneof(
      createSem.map((o) => ({ ...o, d: 0 }) as Op),
      createMutex.map((o) => ({ ...o, d: 0 }) as Op),
      createEvent.map((o) => ({ ...o, d: 0 }) as Op),
    ),
    { minLength: 2, maxLength: 4, size: 'max' },
  );
  return fc.tuple(few, fc.array(cop, { maxLength, size: 'max' })).map(([a, b]) => [...a, ...b]);
}

/** Semaphores and wait-any only: for the FIFO property. */
export function semaphoreFifoProgram(maxLength = 50): fc.Arbitrary<Op[]> {
  const sop = fc.oneof(
    {
      weight: 2,
      arbitrary: fc
        .record({ d: devPick, max: fc.constantFrom(3, 10, U32_MAX) })
        .map(({ d, max }): Op => ({ t: 'createSem', d, count: 0, max })),
    },
    {
      weight: 8,
      arbitrary: fc
        .record({
          d: devPick,
          distinct: fc.boolean(),
          objs: fc.array(pick.map((i): WaitRef => ({ k: 'own', i })), { minLength: 1, maxLength: 4 }),
          alert: fc.option(pick.map((i): WaitRef => ({ k: 'own', i })), { freq: 4 }),
          owner,
        })
        .map((r): Op => ({ t: 'wait', all: false, timeout: 'infinite', realtime: false, ...r })),
    },
    { weight: 2, arbitrary: fc.record({ o: pick }).map(({ o }): Op => ({ t: 'semRelease', o, amount: 1, anyKind: false })) },
    { weight: 1, arbitrary: fc.record({ o: pick }).map(({ o }): Op => ({ t: 'semRelease', o, amount: 2, anyKind: false })) },
    { weight: 1, arbitrary: fc.constant<Op>({ t: 'openDevice' }) },
    { weight: 1, arbitrary: cancelOp },
  );
  return fc.array(sop, { minLength: 1, maxLength, size: 'max' });
}

// ==================================================================== the subjects

/** What a wait handle exposes, on both sides. */
export interface SubjectWait {
  readonly tag: number;
  readonly deadline: bigint;
  readonly realtime: boolean;
  readonly status: number;
  readonly index: number;
  readonly done: boolean;
}

export interface WaitParams {
  device: number;
  all: boolean;
  objects: number[];
  alert: number;
  owner: number;
  timeout: bigint;
  realtime: boolean;
  tag: number;
}

export interface ReadResult {
  ret: number;
  a: number; // count | owner | manual
  b: number; // max | count | signaled
}

/** The engine's public shape, normalised so that one driver runs the engine and the model. */
export interface Subject<W extends SubjectWait = SubjectWait> {
  openDevice(): number;
  closeDevice(d: number): void;
  createSemaphore(d: number, count: number, max: number): number;
  createMutex(d: number, owner: number, count: number): number;
  createEvent(d: number, manual: number, signaled: number): number;
  closeObject(o: number): void;
  typeOf(o: number): number;
  deviceOf(o: number): number;
  semRelease(o: number, amount: number): number;
  mutexUnlock(o: number, owner: number): number;
  mutexKill(o: number, owner: number): number;
  eventSet(o: number): number;
  eventReset(o: number): number;
  eventPulse(o: number): number;
  read(o: number, as: ObjectType): ReadResult;
  wait(p: WaitParams, now: ClockNow): { w: W | null; status: number; index: number };
  cancel(w: W, status: number): boolean;
  /** the waits woken since the last call, in order; clears the subject's list */
  takeWoken(): W[];
  liveDeviceIds(): number[];
  pendingTags(): number[];
}

/** Shared by both adapters: fill a reusable request, leaving stale ids beyond `count`. */
function fillRequest(
  req: {
    device: number;
    all: boolean;
    objects: number[];
    count: number;
    alert: number;
    owner: number;
    timeout: bigint;
    realtime: boolean;
    tag: number;
  },
  p: WaitParams,
): void {
  req.device = p.device;
  req.all = p.all;
  for (let i = 0; i < p.objects.length; i++) req.objects[i] = p.objects[i];
  req.count = p.objects.length;
  req.alert = p.alert;
  req.owner = p.owner;
  req.timeout = p.timeout;
  req.realtime = p.realtime;
  req.tag = p.tag;
}

function readVia(
  s: {
    semRead(o: number, out: { count: number; max: number }): number;
    mutexRead(o: number, out: { owner: number; count: number }): number;
    eventRead(o: number, out: { manual: number; signaled: number }): number;
  },
  o: number,
  as: ObjectType,
): ReadResult {
  if (as === ObjectType.Semaphore) {
    const x = { count: -1, max: -1 };
    const ret = s.semRead(o, x);
    return { ret, a: x.count, b: x.max };
  }
  if (as === ObjectType.Mutex) {
    const x = { owner: -1, count: -1 };
    const ret = s.mutexRead(o, x);
    return { ret, a: x.owner, b: x.count };
  }
  const x = { manual: -1, signaled: -1 };
  const ret = s.eventRead(o, x);
  return { ret, a: x.manual, b: x.signaled };
}

export class EngineSubject implements Subject<Wait<number>> {
  readonly engine = new Engine<number>();
  private readonly req = new WaitRequest<number>();
  openDevice = () => this.engine.openDevice();
  closeDevice = (d: number) => this.engine.closeDevice(d);
  createSemaphore = (d: number, c: number, m: number) => this.engine.createSemaphore(d, c, m);
  createMutex = (d: number, o: number, c: number) => this.engine.createMutex(d, o, c);
  createEvent = (d: number, m: number, s: number) => this.engine.createEvent(d, m, s);
  closeObject = (o: number) => this.engine.closeObject(o);
  typeOf = (o: number) => this.engine.typeOf(o);
  deviceOf = (o: number) => this.engine.deviceOf(o);
  semRelease = (o: number, a: number) => this.engine.semRelease(o, a);
  mutexUnlock = (o: number, w: number) => this.engine.mutexUnlock(o, w);
  mutexKill = (o: number, w: number) => this.engine.mutexKill(o, w);
  eventSet = (o: number) => this.engine.eventSet(o);
  eventReset = (o: number) => this.engine.eventReset(o);
  eventPulse = (o: number) => this.engine.eventPulse(o);
  read = (o: number, as: ObjectType) => readVia(this.engine, o, as);
  wait(p: WaitParams, now: ClockNow) {
    fillRequest(this.req, p);
    const w = this.engine.wait(this.req, now);
    return { w, status: this.req.status, index: this.req.index };
  }
  cancel = (w: Wait<number>, status: number) => this.engine.cancel(w, status);
  takeWoken(): Wait<number>[] {
    const out = this.engine.woken.slice();
    this.engine.woken.length = 0;
    return out;
  }
  liveDeviceIds = () => [...this.engine.liveDevices()].map((d) => d.id);
  pendingTags = () => [...this.engine.waitsPending()].map((w) => w.tag);
}

export class ModelSubject implements Subject<ModelWait<number>> {
  readonly model = new NaiveModel<number>();
  private readonly req = new ModelWaitRequest<number>();
  private readonly devs: number[] = [];
  openDevice = () => {
    const d = this.model.openDevice();
    this.devs.push(d);
    return d;
  };
  closeDevice = (d: number) => this.model.closeDevice(d);
  createSemaphore = (d: number, c: number, m: number) => this.model.createSemaphore(d, c, m);
  createMutex = (d: number, o: number, c: number) => this.model.createMutex(d, o, c);
  createEvent = (d: number, m: number, s: number) => this.model.createEvent(d, m, s);
  closeObject = (o: number) => this.model.closeObject(o);
  typeOf = (o: number) => this.model.typeOf(o);
  deviceOf = (o: number) => this.model.deviceOf(o);
  semRelease = (o: number, a: number) => this.model.semRelease(o, a);
  mutexUnlock = (o: number, w: number) => this.model.mutexUnlock(o, w);
  mutexKill = (o: number, w: number) => this.model.mutexKill(o, w);
  eventSet = (o: number) => this.model.eventSet(o);
  eventReset = (o: number) => this.model.eventReset(o);
  eventPulse = (o: number) => this.model.eventPulse(o);
  read = (o: number, as: ObjectType) => readVia(this.model, o, as);
  wait(p: WaitParams, now: ClockNow) {
    fillRequest(this.req, p);
    const w = this.model.wait(this.req, now);
    return { w, status: this.req.status, index: this.req.index };
  }
  cancel = (w: ModelWait<number>, status: number) => this.model.cancel(w, status);
  takeWoken(): ModelWait<number>[] {
    const out = this.model.woken.slice();
    this.model.woken.length = 0;
    return out;
  }
  liveDeviceIds = () => this.devs.filter((d) => this.model.deviceAlive(d));
  pendingTags = () => this.model.pendingTagsForTests();
}

// ==================================================================== the driver

export interface HDevice {
  h: number; // handle: creation order, 0-based
  id: number;
  closed: boolean;
}

export interface HObject {
  h: number;
  id: number;
  dev: HDevice;
  type: ObjectType;
  closed: boolean;
}

/** A wait that went pending, as the driver issued it. */
export interface HWait<W extends SubjectWait> {
  tag: number;
  w: W;
  dev: HDevice;
  all: boolean;
  /** resolved objects (null = an id that was not a usable object) */
  objs: (HObject | null)[];
  alert: HObject | null;
  owner: number;
  /** ended: woken or cancelled with true */
  ended: boolean;
}

/** A wait as issued, whatever became of it. */
export interface IssuedWait {
  tag: number;
  all: boolean;
  objs: (HObject | null)[];
  alert: HObject | null;
  owner: number;
  pending: boolean;
  /** immediate outcome (valid when !pending) */
  status: number;
  index: number;
}

export interface ObjectSnapshot {
  /** typeOf */
  type: number;
  /** handle of deviceOf, or -1 for 0 */
  dev: number;
  /** read by its own kind, when live */
  read: ReadResult | null;
}

export interface Snapshot {
  objects: ObjectSnapshot[]; // by object handle
  liveDevices: number[]; // handles, sorted
  pending: number[]; // tags, sorted
  waitDone: boolean[]; // by wait tag (pending-issued waits only; false for immediate ones)
}

export interface WokenRecord {
  tag: number;
  status: number;
  index: number;
}

/** Everything one step showed. Compared field by field in the differential test. */
export interface StepRecord {
  /** the op as resolved against the current handles, e.g. "semRelease(o3 sem, 1)" */
  desc: string;
  /** an op with nothing to act on is skipped (same decision on both sides) */
  skipped: boolean;
  /** return value of the operation (create: 1 = created / -errno; wait: see waitResult) */
  ret: number | null;
  waitResult: { pending: boolean; status: number; index: number; deadline: string | null } | null;
  cancels: { tag: number; result: boolean }[];
  woken: WokenRecord[];
  snapshot: Snapshot;
}

export const START_MONO = 1_000_000n;
export const START_REAL = 1_700_000_000_000_000_000n;

const TYPE_NAME: Record<number, string> = { 1: 'sem', 2: 'mutex', 3: 'event' };

function hex(n: number): string {
  return n >= 0x10000 ? '0x' + n.toString(16).toUpperCase() : String(n);
}

function statusName(s: number): string {
  const names: Record<number, string> = {
    [-1]: '-EPERM',
    [-22]: '-EINVAL',
    [-75]: '-EOVERFLOW',
    [-110]: '-ETIMEDOUT',
    [-130]: '-EOWNERDEAD',
    [-512]: '-ERESTARTSYS',
  };
  return names[s] ?? String(s);
}

export class Driver<W extends SubjectWait> {
  readonly devices: HDevice[] = [];
  readonly objects: HObject[] = [];
  /** every wait issued, by tag; null entries for waits that completed at once */
  readonly waits: (HWait<W> | null)[] = [];
  /** waits that went pending, in issue order */
  readonly pendingIssued: HWait<W>[] = [];
  /** the wait issued by the last step, if it was a wait (also when it completed at once) */
  lastWait: IssuedWait | null = null;
  /** the object the last step operated on (object operations only) */
  lastObject: HObject | null = null;
  mono = START_MONO;
  real = START_REAL;
  readonly now: ClockNow = (realtime: boolean) => (realtime ? this.real : this.mono);

  constructor(
    readonly s: Subject<W>,
    initialDevices = 2,
  ) {
    for (let i = 0; i < initialDevices; i++) this.openDevice();
  }

  private openDevice(): HDevice {
    const d: HDevice = { h: this.devices.length, id: this.s.openDevice(), closed: false };
    this.devices.push(d);
    return d;
  }

  openDevices(): HDevice[] {
    return this.devices.filter((d) => !d.closed);
  }
  openObjects(): HObject[] {
    return this.objects.filter((o) => !o.closed);
  }

  private pickFrom<T>(list: T[], i: number): T | undefined {
    return list.length === 0 ? undefined : list[i % list.length];
  }

  private pickObject(o: Pick, type: ObjectType | null): HObject | undefined {
    const open = this.openObjects();
    if (type !== null) {
      const ofType = open.filter((x) => x.type === type);
      if (ofType.length > 0) return this.pickFrom(ofType, o);
    }
    return this.pickFrom(open, o);
  }

  objName(o: HObject | null): string {
    return o === null ? '?' : `o${o.h}:${TYPE_NAME[o.type]}`;
  }

  private resolveRef(
    ref: WaitRef,
    dev: HDevice,
    alert: boolean,
    exclude: (HObject | null)[] = [],
  ): { id: number; h: HObject | null; text: string } {
    switch (ref.k) {
      case 'own': {
        const mine = this.objects.filter((x) => !x.closed && x.dev === dev);
        const o = this.pickFrom(
          mine.filter((x) => !exclude.includes(x)),
          ref.i,
        );
        return o ? { id: o.id, h: o, text: this.objName(o) } : { id: 0, h: null, text: 'unresolved(0)' };
      }
      case 'closed': {
        const o = this.pickFrom(
          this.objects.filter((x) => x.closed),
          ref.i,
        );
        return o ? { id: o.id, h: null, text: `closed ${this.objName(o)}` } : { id: 0, h: null, text: 'unresolved(0)' };
      }
      case 'foreign': {
        const o = this.pickFrom(
          this.objects.filter((x) => !x.closed && x.dev !== dev),
          ref.i,
        );
        return o ? { id: o.id, h: null, text: `foreign ${this.objName(o)}` } : { id: 0, h: null, text: 'unresolved(0)' };
      }
      case 'bogus':
        return { id: 1_000_000_000, h: null, text: 'bogus-id' };
      case 'zero':
        return { id: alert ? -1 : 0, h: null, text: alert ? 'unresolved(-1)' : 'unresolved(0)' };
      case 'unresolved':
        return { id: -1, h: null, text: 'unresolved(-1)' };
    }
  }

  timeoutValue(spec: TimeoutSpec, realtime: boolean): bigint {
    const now = this.now(realtime);
    switch (spec) {
      case 'zero':
        return 0n;
      case 'nowMinus1':
        return now - 1n;
      case 'now':
        return now;
      case 'nowPlus1':
        return now + 1n;
      case 'future':
        return now + 5000n;
      case 'far':
        return 0x7fffffffffffffffn; // finite, far away
      case 'never':
        return 0x8000000000000000n; // from 2^63: not a poll, never expires
      case 'infinite':
        return TIMEOUT_INFINITE;
    }
  }

  private woken(): WokenRecord[] {
    const out: WokenRecord[] = [];
    for (const w of this.s.takeWoken()) {
      out.push({ tag: w.tag, status: w.status, index: w.index });
      const hw = this.waits[w.tag];
      if (hw) hw.ended = true;
    }
    return out;
  }

  snapshot(): Snapshot {
    const devHandle = (id: number) => {
      if (id === 0) return -1;
      const d = this.devices.find((x) => x.id === id);
      return d ? d.h : -2;
    };
    const objects = this.objects.map((o): ObjectSnapshot => {
      const type = this.s.typeOf(o.id);
      return {
        type,
        dev: devHandle(this.s.deviceOf(o.id)),
        read: type !== 0 ? this.s.read(o.id, o.type) : null,
      };
    });
    const liveDevices = this.s
      .liveDeviceIds()
      .map(devHandle)
      .sort((a, b) => a - b);
    const pending = this.s.pendingTags().sort((a, b) => a - b);
    const waitDone = this.waits.map((hw) => (hw ? hw.w.done : false));
    return { objects, liveDevices, pending, waitDone };
  }

  /** Run one op; returns what it showed. */
  step(op: Op): StepRecord {
    this.lastWait = null;
    this.lastObject = null;
    const rec: StepRecord = {
      desc: '',
      skipped: false,
      ret: null,
      waitResult: null,
      cancels: [],
      woken: [],
      snapshot: undefined as unknown as Snapshot,
    };
    this.apply(op, rec);
    rec.woken = this.woken();
    rec.snapshot = this.snapshot();
    return rec;
  }

  private skip(rec: StepRecord, what: string): void {
    rec.skipped = true;
    rec.desc = `${what} (skipped: nothing to act on)`;
  }

  private apply(op: Op, rec: StepRecord): void {
    const s = this.s;
    switch (op.t) {
      case 'openDevice': {
        const d = this.openDevice();
        rec.desc = `openDevice() = d${d.h}`;
        return;
      }
      case 'closeDevice': {
        const d = this.pickFrom(this.openDevices(), op.d);
        if (!d) return this.skip(rec, 'closeDevice');
        d.closed = true;
        s.closeDevice(d.id);
        rec.desc = `closeDevice(d${d.h})`;
        return;
      }
      case 'createSem':
      case 'createMutex':
      case 'createEvent': {
        const d = this.pickFrom(this.openDevices(), op.d);
        if (!d) return this.skip(rec, op.t);
        let id: number;
        let type: ObjectType;
        if (op.t === 'createSem') {
          id = s.createSemaphore(d.id, op.count, op.max);
          type = ObjectType.Semaphore;
          rec.desc = `createSem(d${d.h}, count ${hex(op.count)}, max ${hex(op.max)})`;
        } else if (op.t === 'createMutex') {
          id = s.createMutex(d.id, op.owner, op.count);
          type = ObjectType.Mutex;
          rec.desc = `createMutex(d${d.h}, owner ${op.owner}, count ${hex(op.count)})`;
        } else {
          id = s.createEvent(d.id, op.manual, op.signaled);
          type = ObjectType.Event;
          rec.desc = `createEvent(d${d.h}, manual ${hex(op.manual)}, signaled ${hex(op.signaled)})`;
        }
        if (id > 0) {
          const o: HObject = { h: this.objects.length, id, dev: d, type, closed: false };
          this.objects.push(o);
          rec.ret = 1;
          rec.desc += ` = ${this.objName(o)}`;
        } else {
          rec.ret = id;
          rec.desc += ` = ${statusName(id)}`;
        }
        return;
      }
      case 'closeObject': {
        const o = this.pickFrom(this.openObjects(), op.o);
        if (!o) return this.skip(rec, 'closeObject');
        this.lastObject = o;
        o.closed = true;
        s.closeObject(o.id);
        rec.desc = `closeObject(${this.objName(o)})`;
        return;
      }
      case 'semRelease': {
        const o = this.pickObject(op.o, op.anyKind ? null : ObjectType.Semaphore);
        if (!o) return this.skip(rec, 'semRelease');
        this.lastObject = o;
        rec.ret = s.semRelease(o.id, op.amount);
        rec.desc = `semRelease(${this.objName(o)}, ${hex(op.amount)}) = ${statusName(rec.ret)}`;
        return;
      }
      case 'mutexUnlock':
      case 'mutexKill': {
        const o = this.pickObject(op.o, op.anyKind ? null : ObjectType.Mutex);
        if (!o) return this.skip(rec, op.t);
        this.lastObject = o;
        let owner: number;
        if (op.owner === 'current') {
          const cur = o.type === ObjectType.Mutex ? s.read(o.id, ObjectType.Mutex).a : 0;
          owner = cur > 0 ? cur : 1;
        } else {
          owner = op.owner;
        }
        rec.ret = op.t === 'mutexUnlock' ? s.mutexUnlock(o.id, owner) : s.mutexKill(o.id, owner);
        rec.desc = `${op.t}(${this.objName(o)}, owner ${owner}) = ${statusName(rec.ret)}`;
        return;
      }
      case 'eventSet':
      case 'eventReset':
      case 'eventPulse': {
        const o = this.pickObject(op.o, op.anyKind ? null : ObjectType.Event);
        if (!o) return this.skip(rec, op.t);
        this.lastObject = o;
        rec.ret = op.t === 'eventSet' ? s.eventSet(o.id) : op.t === 'eventReset' ? s.eventReset(o.id) : s.eventPulse(o.id);
        rec.desc = `${op.t}(${this.objName(o)}) = ${statusName(rec.ret)}`;
        return;
      }
      case 'read': {
        const o = this.pickFrom(this.openObjects(), op.o);
        if (!o) return this.skip(rec, 'read');
        this.lastObject = o;
        const r = s.read(o.id, op.as);
        rec.ret = r.ret;
        rec.desc = `read(${this.objName(o)} as ${TYPE_NAME[op.as]}) = ${statusName(r.ret)}`;
        return;
      }
      case 'wait': {
        // a device that has objects, if there is one (an empty wait may take any device)
        const withObjects = this.openDevices().filter((x) => this.objects.some((o) => !o.closed && o.dev === x));
        const d = this.pickFrom(
          withObjects.length > 0 && op.objs.length > 0 ? withObjects : this.openDevices(),
          op.d,
        );
        if (!d) return this.skip(rec, 'wait');
        // 'distinct': each 'own' ref takes an object this wait does not name yet; refs left
        // over when there are none are dropped (and such an alert becomes "none").
        const refs: { id: number; h: HObject | null; text: string }[] = [];
        const named = () => (op.distinct ? refs.map((x) => x.h) : []);
        for (const r of op.objs) {
          const x = this.resolveRef(r, d, false, named());
          if (op.distinct && r.k === 'own' && x.h === null) continue;
          refs.push(x);
        }
        let alert = op.alert === null ? { id: 0, h: null, text: 'none' } : this.resolveRef(op.alert, d, true, named());
        if (op.distinct && op.alert !== null && op.alert.k === 'own' && alert.h === null) {
          alert = { id: 0, h: null, text: 'none' };
        }
        const timeout = this.timeoutValue(op.timeout, op.realtime);
        const tag = this.waits.length;
        const p: WaitParams = {
          device: d.id,
          all: op.all,
          objects: refs.map((r) => r.id),
          alert: alert.id,
          owner: op.owner,
          timeout,
          realtime: op.realtime,
          tag,
        };
        const r = s.wait(p, this.now);
        this.lastWait = {
          tag,
          all: op.all,
          objs: refs.map((x) => x.h),
          alert: alert.h,
          owner: op.owner,
          pending: r.w !== null,
          status: r.status,
          index: r.index,
        };
        rec.desc =
          `w${tag} = ${op.all ? 'WAIT_ALL' : 'WAIT_ANY'}(d${d.h}, [${refs.map((x) => x.text).join(', ')}]` +
          `, alert ${alert.text}, owner ${op.owner}, timeout ${op.timeout}${op.realtime ? ' REALTIME' : ''})`;
        if (r.w === null) {
          this.waits.push(null);
          const ok = r.status === 0 || r.status === -130;
          rec.waitResult = { pending: false, status: r.status, index: ok ? r.index : -1, deadline: null };
          rec.desc += ` -> ${statusName(r.status)}${ok ? ` index ${r.index}` : ''}`;
        } else {
          const hw: HWait<W> = {
            tag,
            w: r.w,
            dev: d,
            all: op.all,
            objs: refs.map((x) => x.h),
            alert: alert.h,
            owner: op.owner,
            ended: false,
          };
          this.waits.push(hw);
          this.pendingIssued.push(hw);
          rec.waitResult = { pending: true, status: 0, index: -1, deadline: r.w.deadline.toString() };
          rec.desc += ` -> pending (deadline ${r.w.deadline === TIMEOUT_INFINITE ? 'infinite' : r.w.deadline})`;
        }
        return;
      }
      case 'cancel': {
        const hw = this.pickFrom(this.pendingIssued, op.w);
        if (!hw) return this.skip(rec, 'cancel');
        const status = op.status === 'ETIMEDOUT' ? -ETIMEDOUT : -ERESTARTSYS;
        const result = s.cancel(hw.w, status);
        if (result) hw.ended = true;
        rec.cancels.push({ tag: hw.tag, result });
        rec.desc = `cancel(w${hw.tag}, ${statusName(status)}) = ${result}`;
        return;
      }
      case 'tick': {
        this.mono += BigInt(op.ns);
        this.real += BigInt(op.ns);
        const expired: string[] = [];
        for (const hw of this.pendingIssued) {
          if (hw.w.done) continue;
          const dl = hw.w.deadline;
          if (dl !== TIMEOUT_INFINITE && dl <= this.now(hw.w.realtime)) {
            const result = s.cancel(hw.w, -ETIMEDOUT);
            if (result) hw.ended = true;
            rec.cancels.push({ tag: hw.tag, result });
            expired.push(`w${hw.tag}`);
          }
        }
        rec.desc = `tick(+${op.ns}ns)${expired.length ? ` expires ${expired.join(', ')}` : ''}`;
        return;
      }
    }
  }
}

/** Human-readable form of a whole program (raw ops). */
export function formatProgram(ops: Op[]): string {
  return ops.map((o, i) => `  ${String(i).padStart(3)}: ${JSON.stringify(o)}`).join('\n');
}

/** fast-check prints counterexamples with this. */
export function withReadableToString(ops: Op[]): Op[] {
  Object.defineProperty(ops, fc.toStringMethod, {
    value: () => `[\n${formatProgram(ops)}\n]`,
    enumerable: false,
  });
  return ops;
}
