// A thin driver around the engine for scenario tests: one device, a fixed fake clock, and the
// selftest's helpers (wait_any()/wait_all() polls, check_*_state()) expressed against the engine.
// A blocked thread of the selftest is a pending Wait here; "the thread returned" is "the wait
// appeared in engine.woken".
import { Engine, Wait, WaitRequest } from '../../src/core/engine';
import { checkWaitArgs } from '../../src/core/wait-args';
import type { DeviceId, EventState, MutexState, ObjectId, SemaphoreState } from '../../src/core/types';
import { FakeClock } from './fake-clock';

/** The result of a wait that completed inside wait(): a poll, an error, or an immediate success. */
export interface Done {
  status: number;
  index: number;
}

export interface WaitOptions {
  /** Alert object id; 0 = none (default). -1 = an alert fd that did not resolve. */
  alert?: number;
  /** Absolute deadline; default: a poll (MONOTONIC now). */
  timeout?: bigint;
  realtime?: boolean;
  tag?: string;
  /** Raw struct fields for checkWaitArgs (default 0). */
  flags?: number;
  pad?: number;
  /** The device the ioctl is issued on (default: the harness's device). */
  device?: DeviceId;
  /** The struct's `count` when it is not objs.length (e.g. 0xFFFFFFFF). */
  count?: number;
}

export class EngineHarness {
  readonly engine = new Engine<string>();
  readonly clock = new FakeClock();
  readonly dev: DeviceId;
  private readonly req = new WaitRequest<string>();
  private tagCounter = 0;

  constructor() {
    this.dev = this.engine.openDevice();
  }

  // ---- creation (expects success) ---------------------------------------------------------

  sem(count: number, max: number, dev: DeviceId = this.dev): ObjectId {
    const id = this.engine.createSemaphore(dev, count, max);
    if (id <= 0) throw new Error(`createSemaphore(${count}, ${max}) failed: ${id}`);
    return id;
  }

  mutex(owner: number, count: number, dev: DeviceId = this.dev): ObjectId {
    const id = this.engine.createMutex(dev, owner, count);
    if (id <= 0) throw new Error(`createMutex(${owner}, ${count}) failed: ${id}`);
    return id;
  }

  event(manual: number | boolean, signaled: number | boolean, dev: DeviceId = this.dev): ObjectId {
    const id = this.engine.createEvent(dev, manual, signaled);
    if (id <= 0) throw new Error(`createEvent(${manual}, ${signaled}) failed: ${id}`);
    return id;
  }

  // ---- waits ------------------------------------------------------------------------------

  /**
   * WAIT_ANY / WAIT_ALL as the ioctl path issues it: the struct checks (checkWaitArgs) first,
   * then engine.wait(). Returns the immediate result, or the pending Wait.
   */
  issue(all: boolean, objs: readonly number[], owner: number, opts: WaitOptions = {}): Wait<string> | Done {
    const flags = opts.flags ?? (opts.realtime ? 1 : 0);
    const count = opts.count ?? objs.length;
    const argStatus = checkWaitArgs(flags, opts.pad ?? 0, owner, count);
    if (argStatus !== 0) return { status: argStatus, index: -1 };
    const req = this.req;
    req.device = opts.device ?? this.dev;
    req.all = all;
    req.objects = objs.slice();
    req.count = count;
    req.alert = opts.alert ?? 0;
    req.owner = owner;
    req.realtime = opts.realtime ?? false;
    req.timeout = opts.timeout ?? this.clock.now(req.realtime);
    req.tag = opts.tag ?? `wait${++this.tagCounter}`;
    req.status = 0xdead;
    req.index = 0xdeadbeef;
    const wokenBefore = this.engine.woken.length;
    const w = this.engine.wait(req, this.clock.now);
    if (w) return w;
    // A wait that completed at once is not a pending wait: it never shows up in `woken`.
    expect(this.engine.woken.length).toBe(wokenBefore);
    return { status: req.status, index: req.index };
  }

  /** The selftest's wait_any(): a poll ("now" on MONOTONIC) that must complete at once. */
  pollAny(objs: readonly number[], owner: number, alert = 0, opts: WaitOptions = {}): Done {
    return this.mustComplete(this.issue(false, objs, owner, { alert, ...opts }));
  }

  /** The selftest's wait_all(). */
  pollAll(objs: readonly number[], owner: number, alert = 0, opts: WaitOptions = {}): Done {
    return this.mustComplete(this.issue(true, objs, owner, { alert, ...opts }));
  }

  /** A wait that must block (a selftest thread still running after wait_for_thread()). */
  blockAny(objs: readonly number[], owner: number, opts: WaitOptions = {}): Wait<string> {
    return this.mustBlock(this.issue(false, objs, owner, { timeout: this.clock.inMs(1000), ...opts }));
  }

  blockAll(objs: readonly number[], owner: number, opts: WaitOptions = {}): Wait<string> {
    return this.mustBlock(this.issue(true, objs, owner, { timeout: this.clock.inMs(1000), ...opts }));
  }

  mustComplete(r: Wait<string> | Done): Done {
    if (r instanceof Wait) throw new Error(`expected the wait to complete at once; it is pending (${r.tag})`);
    return r;
  }

  mustBlock(r: Wait<string> | Done): Wait<string> {
    if (!(r instanceof Wait)) throw new Error(`expected the wait to block; it completed: ${JSON.stringify(r)}`);
    expect(r.done).toBe(false);
    return r;
  }

  /** Takes the waits satisfied since the last call and clears engine.woken, as the caller must. */
  takeWoken(): Wait<string>[] {
    const w = this.engine.woken.slice();
    this.engine.woken.length = 0;
    return w;
  }

  /** Asserts that exactly these waits were woken, in this order, with these results. */
  expectWoken(...expected: [Wait<string>, number, number][]): void {
    const woken = this.takeWoken();
    expect(woken.map((w) => w.tag)).toEqual(expected.map(([w]) => w.tag));
    for (const [w, status, index] of expected) {
      expect(w.done).toBe(true);
      expect({ tag: w.tag, status: w.status, index: w.index }).toEqual({ tag: w.tag, status, index });
    }
  }

  /** pthread_tryjoin_np() == EBUSY: nothing woken, and these waits are still pending. */
  expectNoneWoken(...stillPending: Wait<string>[]): void {
    expect(this.takeWoken().map((w) => w.tag)).toEqual([]);
    for (const w of stillPending) expect(w.done).toBe(false);
  }

  // ---- reads (the selftest's check_*_state: ret 0 and the values) ----------------------------

  readSem(id: ObjectId): { ret: number } & SemaphoreState {
    const out: SemaphoreState = { count: 0xcccccccc, max: 0xcccccccc };
    const ret = this.engine.semRead(id, out);
    return { ret, ...out };
  }

  readMutex(id: ObjectId): { ret: number } & MutexState {
    const out: MutexState = { owner: 0xcccccccc, count: 0xcccccccc };
    const ret = this.engine.mutexRead(id, out);
    return { ret, ...out };
  }

  readEvent(id: ObjectId): { ret: number } & EventState {
    const out: EventState = { manual: 0xcccccccc, signaled: 0xcccccccc };
    const ret = this.engine.eventRead(id, out);
    return { ret, ...out };
  }

  expectSem(id: ObjectId, count: number, max: number): void {
    expect(this.readSem(id)).toEqual({ ret: 0, count, max });
  }

  expectMutex(id: ObjectId, count: number, owner: number): void {
    expect(this.readMutex(id)).toEqual({ ret: 0, count, owner });
  }

  expectEvent(id: ObjectId, signaled: number, manual: number): void {
    expect(this.readEvent(id)).toEqual({ ret: 0, signaled, manual });
  }
}
