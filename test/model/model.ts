// A deliberately naive reference model of the ntsync rules (ntsync-abi.md sections 4-10),
// written independently of src/core/engine.ts. Nothing here is clever or fast:
//   * every object ever created stays in one array (never removed);
//   * every pending wait sits in ONE global array, in arrival order;
//   * an object's wait-any / wait-all queues are not stored: they are recomputed by a whole
//     rescan of the pending list each time they are needed (arrival order, then entry index
//     order inside one wait, which is exactly the kernel's tail-append order);
//   * liveness of objects and devices is recomputed from scratch on every query.
// Same public shape as the engine contract (docs/ENGINE-API.md) so one driver can run both.

import { ObjectType, U32_MAX, TIMEOUT_INFINITE, TIMEOUT_NEVER_FROM } from '../../src/core/types';
import type { ClockNow, DeviceId, EventState, MutexState, ObjectId, SemaphoreState } from '../../src/core/types';
import { EINVAL, EOVERFLOW, EOWNERDEAD, EPERM, ETIMEDOUT } from '../../src/core/errno';

/** Reusable input/output record of a wait, as in the engine contract. */
export class ModelWaitRequest<Tag> {
  device: DeviceId = 0;
  all = false;
  objects: ObjectId[] = [];
  count = 0;
  /** 0 = no alert; -1 = an alert fd that did not resolve. */
  alert = 0;
  owner = 0;
  timeout = 0n;
  realtime = false;
  tag!: Tag;
  // outputs (valid when wait() returned null)
  status = 0;
  index = 0;
}

/** One wait. Pending until `done`. */
export class ModelWait<Tag> {
  status = 0;
  index = 0;
  done = false;
  /** set when this wait acquired an abandoned mutex */
  ownerdead = false;
  constructor(
    readonly tag: Tag,
    readonly deadline: bigint,
    readonly realtime: boolean,
    readonly device: DeviceId,
    readonly all: boolean,
    /** the `count` real objects, in index order */
    readonly objs: ObjectId[],
    /** 0 = none */
    readonly alert: ObjectId,
    readonly owner: number,
  ) {}

  /** Entry list: objs[0..count-1] then the alert, with their entry numbers and queue kind. */
  entries(): { obj: ObjectId; index: number; queue: 'any' | 'all' }[] {
    const out: { obj: ObjectId; index: number; queue: 'any' | 'all' }[] = [];
    for (let i = 0; i < this.objs.length; i++) {
      out.push({ obj: this.objs[i], index: i, queue: this.all ? 'all' : 'any' });
    }
    // The alert always goes on the alert object's normal wait-any queue (also for WAIT_ALL).
    if (this.alert !== 0) out.push({ obj: this.alert, index: this.objs.length, queue: 'any' });
    return out;
  }
}

interface MObject {
  id: ObjectId;
  dev: DeviceId;
  type: ObjectType;
  /** the object's file was released (closeObject) */
  closed: boolean;
  // semaphore
  count: number;
  max: number;
  // mutex (count shared with the semaphore field above)
  owner: number;
  abandoned: boolean;
  // event
  manual: boolean;
  signaled: boolean;
}

interface MDevice {
  id: DeviceId;
  closed: boolean;
}

export class NaiveModel<Tag> {
  private readonly objects: MObject[] = [];
  private readonly devices: MDevice[] = [];
  /** every pending wait, in arrival order */
  private pending: ModelWait<Tag>[] = [];
  /** ids: one counter for devices and objects, like "positive, never reused" */
  private nextId = 1;
  /** the wait currently arriving: it returns its result directly, not through `woken` */
  private arriving: ModelWait<Tag> | null = null;

  /** pending waits satisfied by the last operations, in the order they were satisfied */
  woken: ModelWait<Tag>[] = [];

  // ---------------------------------------------------------------- lifetimes

  private findObject(id: ObjectId): MObject | undefined {
    return this.objects.find((o) => o.id === id);
  }

  private findDevice(id: DeviceId): MDevice | undefined {
    return this.devices.find((d) => d.id === id);
  }

  /** An object lives while its file is open or while a pending wait references it. */
  private objectAlive(o: MObject): boolean {
    if (!o.closed) return true;
    return this.pending.some((w) => w.entries().some((e) => e.obj === o.id));
  }

  /** A device lives while its file is open, while any of its objects lives, or a wait on it pends. */
  deviceAlive(id: DeviceId): boolean {
    const d = this.findDevice(id);
    if (d === undefined) return false;
    if (!d.closed) return true;
    if (this.objects.some((o) => o.dev === id && this.objectAlive(o))) return true;
    return this.pending.some((w) => w.device === id);
  }

  private liveObject(id: ObjectId): MObject | undefined {
    const o = this.findObject(id);
    return o !== undefined && this.objectAlive(o) ? o : undefined;
  }

  /** Number of pending waits (for tests). */
  pendingCount(): number {
    return this.pending.length;
  }

  /** Tags of the pending waits, in arrival order (for tests). */
  pendingTagsForTests(): Tag[] {
    return this.pending.map((w) => w.tag);
  }

  // ---------------------------------------------------------------- devices and creation

  openDevice(): DeviceId {
    const id = this.nextId++;
    this.devices.push({ id, closed: false });
    return id;
  }

  closeDevice(dev: DeviceId): void {
    const d = this.findDevice(dev);
    if (d !== undefined) d.closed = true;
  }

  private newObject(dev: DeviceId, type: ObjectType): MObject {
    const o: MObject = {
      id: this.nextId++,
      dev,
      type,
      closed: false,
      count: 0,
      max: 0,
      owner: 0,
      abandoned: false,
      manual: false,
      signaled: false,
    };
    this.objects.push(o);
    return o;
  }

  private deviceUsable(dev: DeviceId): boolean {
    const d = this.findDevice(dev);
    return d !== undefined && !d.closed;
  }

  createSemaphore(dev: DeviceId, count: number, max: number): number {
    if (!this.deviceUsable(dev)) return -EINVAL;
    if (count > max) return -EINVAL;
    const o = this.newObject(dev, ObjectType.Semaphore);
    o.count = count;
    o.max = max;
    return o.id;
  }

  createMutex(dev: DeviceId, owner: number, count: number): number {
    if (!this.deviceUsable(dev)) return -EINVAL;
    if ((owner === 0) !== (count === 0)) return -EINVAL;
    const o = this.newObject(dev, ObjectType.Mutex);
    o.owner = owner;
    o.count = count;
    return o.id;
  }

  createEvent(dev: DeviceId, manual: number, signaled: number): number {
    if (!this.deviceUsable(dev)) return -EINVAL;
    const o = this.newObject(dev, ObjectType.Event);
    o.manual = manual !== 0;
    o.signaled = signaled !== 0;
    return o.id;
  }

  closeObject(obj: ObjectId): void {
    const o = this.findObject(obj);
    if (o !== undefined) o.closed = true;
  }

  typeOf(obj: ObjectId): ObjectType | 0 {
    const o = this.liveObject(obj);
    return o === undefined ? 0 : o.type;
  }

  deviceOf(obj: ObjectId): DeviceId | 0 {
    const o = this.liveObject(obj);
    return o === undefined ? 0 : o.dev;
  }

  // ---------------------------------------------------------------- signaled / acquire (6.2)

  private isSignaled(o: MObject, owner: number): boolean {
    switch (o.type) {
      case ObjectType.Semaphore:
        return o.count > 0;
      case ObjectType.Mutex:
        if (o.owner !== 0 && o.owner !== owner) return false;
        return o.count < U32_MAX;
      case ObjectType.Event:
        return o.signaled;
    }
  }

  private acquire(o: MObject, w: ModelWait<Tag>): void {
    switch (o.type) {
      case ObjectType.Semaphore:
        o.count -= 1;
        break;
      case ObjectType.Mutex:
        if (o.abandoned) w.ownerdead = true;
        o.abandoned = false;
        o.count += 1;
        o.owner = w.owner;
        break;
      case ObjectType.Event:
        if (!o.manual) o.signaled = false;
        break;
    }
  }

  /** The one-shot "compare-and-swap" of the wait's result slot. */
  private satisfy(w: ModelWait<Tag>, index: number): void {
    if (w.done) throw new Error('model bug: satisfy() on a done wait');
    w.done = true;
    w.index = index;
    w.status = w.ownerdead ? -EOWNERDEAD : 0;
    this.pending = this.pending.filter((p) => p !== w);
    if (w !== this.arriving) this.woken.push(w);
  }

  // ---------------------------------------------------------------- queues, by rescan

  /** wait-any queue of `obj`: (wait, entry index), arrival order then index order. */
  private anyQueue(obj: ObjectId): { w: ModelWait<Tag>; index: number }[] {
    const q: { w: ModelWait<Tag>; index: number }[] = [];
    for (const w of this.pending) {
      for (const e of w.entries()) {
        if (e.queue === 'any' && e.obj === obj) q.push({ w, index: e.index });
      }
    }
    return q;
  }

  /** wait-all queue of `obj`: the pending WAIT_ALLs that name it, in arrival order. */
  private allQueue(obj: ObjectId): ModelWait<Tag>[] {
    return this.pending.filter((w) => w.all && w.objs.includes(obj));
  }

  // ---------------------------------------------------------------- wake procedures (section 7)

  /** 6.4 step 2 / 7.1: test every object of a WAIT_ALL; if all signaled, take them all. */
  private tryWakeAll(w: ModelWait<Tag>): void {
    if (w.done) return;
    const objs = w.objs.map((id) => this.findObject(id)!);
    if (!objs.every((o) => this.isSignaled(o, w.owner))) return;
    for (const o of objs) this.acquire(o, w); // array order
    this.satisfy(w, 0);
  }

  /** 7.2: walk the object's whole wait-any queue in FIFO order with the per-kind rules. */
  private wakeAny(o: MObject): void {
    const queue = this.anyQueue(o.id);
    for (const { w, index } of queue) {
      if (o.type === ObjectType.Semaphore) {
        if (o.count === 0) break;
        if (w.done) continue; // lost the compare-and-swap
        this.acquire(o, w);
        this.satisfy(w, index);
      } else if (o.type === ObjectType.Mutex) {
        if (o.count === U32_MAX) break;
        if (o.owner !== 0 && o.owner !== w.owner) continue; // skip, do not stop
        if (w.done) continue;
        this.acquire(o, w);
        this.satisfy(w, index);
      } else {
        if (!o.signaled) break;
        if (w.done) continue;
        this.acquire(o, w);
        this.satisfy(w, index);
      }
    }
  }

  /** The full procedure run by a state-changing operation on `o`. */
  private wake(o: MObject): void {
    for (const w of this.allQueue(o.id)) this.tryWakeAll(w);
    this.wakeAny(o);
  }

  // ---------------------------------------------------------------- object operations

  private objectOfType(obj: ObjectId, type: ObjectType): MObject | undefined {
    const o = this.liveObject(obj);
    return o !== undefined && o.type === type ? o : undefined;
  }

  semRelease(obj: ObjectId, amount: number): number {
    const o = this.objectOfType(obj, ObjectType.Semaphore);
    if (o === undefined) return -EINVAL;
    const sum = o.count + amount; // exact in a double: both are < 2^32
    if (sum > U32_MAX || sum > o.max) return -EOVERFLOW;
    const prev = o.count;
    o.count = sum;
    this.wake(o);
    return prev;
  }

  mutexUnlock(obj: ObjectId, owner: number): number {
    if (owner === 0) return -EINVAL;
    const o = this.objectOfType(obj, ObjectType.Mutex);
    if (o === undefined) return -EINVAL;
    if (o.owner !== owner) return -EPERM;
    const prev = o.count;
    o.count -= 1;
    if (o.count === 0) o.owner = 0;
    // The kernel runs the wake procedure on every successful unlock, not only at count 0:
    // it matters when the count was 0xFFFFFFFF (the owner's own waiters become eligible).
    this.wake(o);
    return prev;
  }

  mutexKill(obj: ObjectId, owner: number): number {
    if (owner === 0) return -EINVAL;
    const o = this.objectOfType(obj, ObjectType.Mutex);
    if (o === undefined) return -EINVAL;
    if (o.owner !== owner) return -EPERM;
    o.abandoned = true;
    o.owner = 0;
    o.count = 0;
    this.wake(o);
    return 0;
  }

  eventSet(obj: ObjectId): number {
    return this.setOrPulse(obj, false);
  }

  eventPulse(obj: ObjectId): number {
    return this.setOrPulse(obj, true);
  }

  private setOrPulse(obj: ObjectId, pulse: boolean): number {
    const o = this.objectOfType(obj, ObjectType.Event);
    if (o === undefined) return -EINVAL;
    const prev = o.signaled ? 1 : 0;
    o.signaled = true;
    this.wake(o);
    if (pulse) o.signaled = false;
    return prev;
  }

  eventReset(obj: ObjectId): number {
    const o = this.objectOfType(obj, ObjectType.Event);
    if (o === undefined) return -EINVAL;
    const prev = o.signaled ? 1 : 0;
    o.signaled = false;
    return prev;
  }

  semRead(obj: ObjectId, out: SemaphoreState): number {
    const o = this.objectOfType(obj, ObjectType.Semaphore);
    if (o === undefined) return -EINVAL;
    out.count = o.count;
    out.max = o.max;
    return 0;
  }

  mutexRead(obj: ObjectId, out: MutexState): number {
    const o = this.objectOfType(obj, ObjectType.Mutex);
    if (o === undefined) return -EINVAL;
    out.owner = o.owner;
    out.count = o.count;
    return o.abandoned ? -EOWNERDEAD : 0;
  }

  eventRead(obj: ObjectId, out: EventState): number {
    const o = this.objectOfType(obj, ObjectType.Event);
    if (o === undefined) return -EINVAL;
    out.manual = o.manual ? 1 : 0;
    out.signaled = o.signaled ? 1 : 0;
    return 0;
  }

  // ---------------------------------------------------------------- waits (section 6)

  /** An id a NEW wait may name: an object whose file is still open, of this device. */
  private usableForWait(id: ObjectId, dev: DeviceId): boolean {
    const o = this.findObject(id);
    return o !== undefined && !o.closed && o.dev === dev;
  }

  wait(req: ModelWaitRequest<Tag>, now: ClockNow): ModelWait<Tag> | null {
    const objs = req.objects.slice(0, req.count);
    // 6.1 step 7: resolve every object, then the alert.
    for (const id of objs) {
      if (!this.usableForWait(id, req.device)) return this.fail(req, -EINVAL);
    }
    if (req.alert !== 0 && !this.usableForWait(req.alert, req.device)) return this.fail(req, -EINVAL);
    // 6.1 step 8: WAIT_ALL needs distinct objects, alert included.
    if (req.all) {
      const all = req.alert !== 0 ? [...objs, req.alert] : objs;
      for (let i = 0; i < all.length; i++) {
        for (let j = 0; j < i; j++) if (all[i] === all[j]) return this.fail(req, -EINVAL);
      }
    }

    const deadline = req.timeout >= TIMEOUT_NEVER_FROM ? TIMEOUT_INFINITE : req.timeout;
    const w = new ModelWait<Tag>(req.tag, deadline, req.realtime, req.device, req.all, objs, req.alert, req.owner);

    // Queue: appended at the tail of the global arrival list = tail of every queue it joins.
    this.pending.push(w);
    this.arriving = w;
    if (req.all) {
      // 6.4: test only itself; then, only if not satisfied, the alert's normal wake-any pass.
      this.tryWakeAll(w);
      if (!w.done && w.alert !== 0) this.wakeAny(this.findObject(w.alert)!);
    } else {
      // 6.3: the wait-any procedure of each of its objects in index order, then the alert,
      // stopping as soon as this wait is satisfied. No wait-all pass.
      for (const e of w.entries()) {
        if (w.done) break;
        this.wakeAny(this.findObject(e.obj)!);
      }
    }
    this.arriving = null;

    if (w.done) {
      req.status = w.status;
      req.index = w.index;
      return null;
    }
    if (deadline !== TIMEOUT_INFINITE && deadline <= now(req.realtime)) {
      // a poll: nothing was available, dequeue and time out at once
      this.pending = this.pending.filter((p) => p !== w);
      w.done = true;
      w.status = -ETIMEDOUT;
      req.status = -ETIMEDOUT;
      return null;
    }
    return w;
  }

  private fail(req: ModelWaitRequest<Tag>, status: number): null {
    req.status = status;
    return null;
  }

  /** End a pending wait without acquiring anything. False if it had already completed. */
  cancel(w: ModelWait<Tag>, status: number): boolean {
    if (w.done || !this.pending.includes(w)) return false;
    this.pending = this.pending.filter((p) => p !== w);
    w.done = true;
    w.status = status;
    return true;
  }
}
