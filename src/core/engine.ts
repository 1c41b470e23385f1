// The ntsync object engine: the state and wake procedure of drivers/misc/ntsync.c, as a pure,
// single-threaded state machine. Where the kernel takes locks to make a signalling call and its
// wake-ups one atomic step, here every call simply runs to completion.
import { EINVAL, EOVERFLOW, EOWNERDEAD, EPERM, ETIMEDOUT } from './errno';
import { Device } from './device';
import { SyncObject, WaitQueue } from './sync-object';
import {
  ObjectType,
  TIMEOUT_INFINITE,
  TIMEOUT_NEVER_FROM,
  U32_MAX,
  type ClockNow,
  type DeviceId,
  type EventState,
  type MutexState,
  type ObjectId,
  type SemaphoreState,
} from './types';
import { Wait, WaitEntry, WaitRequest } from './wait';

export { Wait, WaitRequest };

/** Running totals, cheap enough to keep always on (one increment per event). */
export class EngineCounters {
  creates = 0;
  signals = 0;
  reads = 0;
  waits = 0;
  waitsImmediate = 0;
  waitsPending = 0;
  waitsWoken = 0;
  waitsCancelled = 0;
}

export class Engine<Tag = unknown> {
  /** Waits satisfied since the caller last cleared this array, in the order satisfied. */
  readonly woken: Wait<Tag>[] = [];
  readonly counters = new EngineCounters();

  private readonly devices = new Map<DeviceId, Device>();
  private readonly objects = new Map<ObjectId, SyncObject<Tag>>();
  private readonly pendingWaits = new Set<Wait<Tag>>();
  private nextDeviceId = 1;
  private nextObjectId = 1;
  private stampCounter = 0;

  // ---- devices and objects -------------------------------------------------------------

  openDevice(): DeviceId {
    const id = this.nextDeviceId++;
    this.devices.set(id, new Device(id));
    return id;
  }

  /** The device file's last reference went. Its objects, and waits on them, live on. */
  closeDevice(id: DeviceId): void {
    const device = this.devices.get(id);
    if (!device || !device.handleOpen) return;
    device.handleOpen = false;
    this.unrefDevice(device);
  }

  createSemaphore(device: DeviceId, count: number, max: number): number {
    const dev = this.liveDevice(device);
    if (!dev) return -EINVAL;
    if (count > max) return -EINVAL;
    const obj = this.addObject(dev, ObjectType.Semaphore);
    obj.count = count;
    obj.max = max;
    return obj.id;
  }

  createMutex(device: DeviceId, owner: number, count: number): number {
    const dev = this.liveDevice(device);
    if (!dev) return -EINVAL;
    if ((owner === 0) !== (count === 0)) return -EINVAL;
    const obj = this.addObject(dev, ObjectType.Mutex);
    obj.owner = owner;
    obj.count = count;
    return obj.id;
  }

  createEvent(device: DeviceId, manual: number | boolean, signaled: number | boolean): number {
    const dev = this.liveDevice(device);
    if (!dev) return -EINVAL;
    const obj = this.addObject(dev, ObjectType.Event);
    obj.manual = !!manual;
    obj.signaled = !!signaled;
    return obj.id;
  }

  /** The object file's last reference went. Pending waits keep the object alive until they end. */
  closeObject(id: ObjectId): void {
    const obj = this.objects.get(id);
    if (!obj || !obj.handleOpen) return;
    obj.handleOpen = false;
    this.unrefObject(obj);
  }

  typeOf(id: ObjectId): ObjectType | 0 {
    return this.objects.get(id)?.type ?? 0;
  }

  deviceOf(id: ObjectId): DeviceId | 0 {
    return this.objects.get(id)?.device.id ?? 0;
  }

  // ---- object operations ---------------------------------------------------------------

  semRelease(id: ObjectId, amount: number): number {
    const sem = this.objectOfType(id, ObjectType.Semaphore);
    if (!sem) return -EINVAL;
    const prev = sem.count;
    // Both the u32 wrap and the max are overflow; either way nothing changes.
    if (prev + amount > U32_MAX || prev + amount > sem.max) return -EOVERFLOW;
    sem.count = prev + amount;
    this.counters.signals++;
    this.wake(sem);
    return prev;
  }

  mutexUnlock(id: ObjectId, owner: number): number {
    if (owner === 0) return -EINVAL;
    const mutex = this.objectOfType(id, ObjectType.Mutex);
    if (!mutex) return -EINVAL;
    if (mutex.owner !== owner) return -EPERM;
    const prev = mutex.count;
    if (--mutex.count === 0) mutex.owner = 0;
    this.counters.signals++;
    // Always, as the kernel does: from a count of U32_MAX, one unlock makes the mutex
    // acquirable again by its own owner, without freeing it.
    this.wake(mutex);
    return prev;
  }

  mutexKill(id: ObjectId, owner: number): number {
    if (owner === 0) return -EINVAL;
    const mutex = this.objectOfType(id, ObjectType.Mutex);
    if (!mutex) return -EINVAL;
    if (mutex.owner !== owner) return -EPERM;
    mutex.ownerDead = true;
    mutex.owner = 0;
    mutex.count = 0;
    this.counters.signals++;
    this.wake(mutex);
    return 0;
  }

  eventSet(id: ObjectId): number {
    return this.signalEvent(id, false);
  }

  eventPulse(id: ObjectId): number {
    return this.signalEvent(id, true);
  }

  eventReset(id: ObjectId): number {
    const event = this.objectOfType(id, ObjectType.Event);
    if (!event) return -EINVAL;
    const prev = event.signaled ? 1 : 0;
    event.signaled = false;
    this.counters.signals++;
    return prev;
  }

  semRead(id: ObjectId, out: SemaphoreState): number {
    const sem = this.objectOfType(id, ObjectType.Semaphore);
    if (!sem) return -EINVAL;
    this.counters.reads++;
    out.count = sem.count;
    out.max = sem.max;
    return 0;
  }

  /** Fills `out` even when the mutex is abandoned, and then reports -EOWNERDEAD. */
  mutexRead(id: ObjectId, out: MutexState): number {
    const mutex = this.objectOfType(id, ObjectType.Mutex);
    if (!mutex) return -EINVAL;
    this.counters.reads++;
    out.owner = mutex.owner;
    out.count = mutex.count;
    return mutex.ownerDead ? -EOWNERDEAD : 0;
  }

  eventRead(id: ObjectId, out: EventState): number {
    const event = this.objectOfType(id, ObjectType.Event);
    if (!event) return -EINVAL;
    this.counters.reads++;
    out.manual = event.manual ? 1 : 0;
    out.signaled = event.signaled ? 1 : 0;
    return 0;
  }

  // ---- waits ----------------------------------------------------------------------------

  /**
   * WAIT_ANY / WAIT_ALL after the struct checks (checkWaitArgs). Returns null when the wait
   * completed at once (req.status, req.index), or the pending Wait.
   */
  wait(req: WaitRequest<Tag>, now: ClockNow): Wait<Tag> | null {
    this.counters.waits++;
    const status = this.validateWaitObjects(req);
    if (status !== 0) return this.finishNow(req, status, 0);

    // The "already signaled?" pass. With no other thread in between, walking each object's
    // whole queue as the kernel does reduces to testing our own entries in order: any
    // earlier waiter that could take a signaled object would already have taken it.
    if (req.all) {
      if (this.allSignaled(req)) return this.finishNow(req, this.acquireAll(req), 0);
    } else {
      for (let i = 0; i < req.count; i++) {
        const obj = this.objects.get(req.objects[i])!;
        if (obj.isSignaledFor(req.owner)) {
          return this.finishNow(req, obj.acquire(req.owner) ? -EOWNERDEAD : 0, i);
        }
      }
    }
    if (req.alert > 0) {
      const alert = this.objects.get(req.alert)!;
      if (alert.isSignaledFor(req.owner)) {
        return this.finishNow(req, alert.acquire(req.owner) ? -EOWNERDEAD : 0, req.count);
      }
    }

    let deadline = req.timeout;
    if (deadline >= TIMEOUT_NEVER_FROM) deadline = TIMEOUT_INFINITE;
    else if (deadline <= now(req.realtime)) return this.finishNow(req, -ETIMEDOUT, 0);

    return this.enqueue(req, deadline);
  }

  /**
   * Ends a pending wait with `status` (-ETIMEDOUT, -ERESTARTSYS) without acquiring anything.
   * False if it had already completed: then it was satisfied, and that result stands.
   */
  cancel(wait: Wait<Tag>, status: number): boolean {
    if (wait.done) return false;
    wait.status = status;
    this.counters.waitsCancelled++;
    this.finish(wait);
    return true;
  }

  // ---- introspection (read-only views for status reporting and tests) ---------------------

  liveObjects(): IterableIterator<SyncObject<Tag>> {
    return this.objects.values();
  }

  deviceLive(id: DeviceId): boolean {
    return this.devices.has(id);
  }

  liveDevices(): IterableIterator<Device> {
    return this.devices.values();
  }

  waitsPending(): IterableIterator<Wait<Tag>> {
    return this.pendingWaits.values();
  }

  // ---- internals ------------------------------------------------------------------------

  private liveDevice(id: DeviceId): Device | undefined {
    const dev = this.devices.get(id);
    return dev && dev.handleOpen ? dev : undefined;
  }

  private addObject(device: Device, type: ObjectType): SyncObject<Tag> {
    const obj = new SyncObject<Tag>(this.nextObjectId++, type, device);
    device.refs++;
    this.objects.set(obj.id, obj);
    this.counters.creates++;
    return obj;
  }

  private objectOfType(id: ObjectId, type: ObjectType): SyncObject<Tag> | undefined {
    const obj = this.objects.get(id);
    return obj && obj.type === type ? obj : undefined;
  }

  private unrefObject(obj: SyncObject<Tag>): void {
    if (--obj.refs > 0) return;
    this.objects.delete(obj.id);
    this.unrefDevice(obj.device);
  }

  private unrefDevice(device: Device): void {
    if (--device.refs > 0) return;
    this.devices.delete(device.id);
  }

  private signalEvent(id: ObjectId, pulse: boolean): number {
    const event = this.objectOfType(id, ObjectType.Event);
    if (!event) return -EINVAL;
    const prev = event.signaled ? 1 : 0;
    event.signaled = true;
    this.counters.signals++;
    this.wake(event);
    if (pulse) event.signaled = false;
    return prev;
  }

  /** Spec 6.1 steps 7–8: every object live and of this device; WAIT_ALL without duplicates. */
  private validateWaitObjects(req: WaitRequest<Tag>): number {
    const device = this.devices.get(req.device);
    if (!device) return -EINVAL;
    const stamp = req.all ? ++this.stampCounter : 0;
    for (let i = 0; i < req.count; i++) {
      const obj = this.objects.get(req.objects[i]);
      if (!obj || !obj.handleOpen || obj.device !== device) return -EINVAL;
      if (req.all) {
        if (obj.stamp === stamp) return -EINVAL;
        obj.stamp = stamp;
      }
    }
    if (req.alert !== 0) {
      const alert = this.objects.get(req.alert);
      if (!alert || !alert.handleOpen || alert.device !== device) return -EINVAL;
      if (req.all && alert.stamp === stamp) return -EINVAL;
    }
    return 0;
  }

  private allSignaled(req: WaitRequest<Tag>): boolean {
    for (let i = 0; i < req.count; i++) {
      if (!this.objects.get(req.objects[i])!.isSignaledFor(req.owner)) return false;
    }
    return true;
  }

  /** Acquires every object of an immediate WAIT_ALL in array order; returns its status. */
  private acquireAll(req: WaitRequest<Tag>): number {
    let ownerDead = false;
    for (let i = 0; i < req.count; i++) {
      if (this.objects.get(req.objects[i])!.acquire(req.owner)) ownerDead = true;
    }
    return ownerDead ? -EOWNERDEAD : 0;
  }

  private finishNow(req: WaitRequest<Tag>, status: number, index: number): null {
    req.status = status;
    req.index = index;
    if (status === 0 || status === -EOWNERDEAD) this.counters.waitsImmediate++;
    return null;
  }

  private enqueue(req: WaitRequest<Tag>, deadline: bigint): Wait<Tag> {
    const wait = new Wait<Tag>(req.device, req.all, req.owner, req.count, deadline, req.realtime, req.tag);
    for (let i = 0; i < req.count; i++) {
      this.link(wait, this.objects.get(req.objects[i])!, i, req.all);
    }
    if (req.alert > 0) this.link(wait, this.objects.get(req.alert)!, req.count, false);
    this.devices.get(req.device)!.refs++;
    this.pendingWaits.add(wait);
    this.counters.waitsPending++;
    return wait;
  }

  private link(wait: Wait<Tag>, obj: SyncObject<Tag>, index: number, all: boolean): void {
    const entry = new WaitEntry<Tag>(wait, obj, index, all);
    wait.entries.push(entry);
    if (all) (obj.allQueue ??= new WaitQueue<Tag>()).push(entry);
    else (obj.anyQueue ??= new WaitQueue<Tag>()).push(entry);
    obj.refs++;
  }

  /** Unlinks a completed or cancelled wait and drops the references it held. */
  private finish(wait: Wait<Tag>): void {
    wait.done = true;
    this.pendingWaits.delete(wait);
    for (const entry of wait.entries) {
      (entry.inAllQueue ? entry.object.allQueue : entry.object.anyQueue)!.remove(entry);
    }
    for (const entry of wait.entries) this.unrefObject(entry.object);
    this.unrefDevice(this.devices.get(wait.device)!);
  }

  private satisfy(wait: Wait<Tag>, index: number): void {
    wait.index = index;
    wait.status = wait.ownerDead ? -EOWNERDEAD : 0;
    this.finish(wait);
    this.counters.waitsWoken++;
    this.woken.push(wait);
  }

  /** The kernel's wake procedure after a state change: wait-all waiters first, then wait-any. */
  private wake(obj: SyncObject<Tag>): void {
    if (obj.allQueue?.head) this.wakeAllWaitersOf(obj);
    if (obj.anyQueue?.head) this.wakeAnyWaitersOf(obj);
  }

  private wakeAllWaitersOf(obj: SyncObject<Tag>): void {
    for (let entry = obj.allQueue!.head; entry; ) {
      const next = entry.next;
      const wait = entry.wait;
      if (!wait.done && this.pendingAllSignaled(wait)) {
        for (let i = 0; i < wait.count; i++) {
          if (wait.entries[i].object.acquire(wait.owner)) wait.ownerDead = true;
        }
        this.satisfy(wait, 0);
      }
      entry = next;
    }
  }

  private pendingAllSignaled(wait: Wait<Tag>): boolean {
    for (let i = 0; i < wait.count; i++) {
      if (!wait.entries[i].object.isSignaledFor(wait.owner)) return false;
    }
    return true;
  }

  private wakeAnyWaitersOf(obj: SyncObject<Tag>): void {
    for (let entry = obj.anyQueue!.head; entry; ) {
      const next = entry.next;
      const wait = entry.wait;
      if (!wait.done) {
        switch (obj.type) {
          case ObjectType.Semaphore:
            if (obj.count === 0) return;
            break;
          case ObjectType.Mutex:
            if (obj.count === U32_MAX) return;
            // Skip, don't stop: a later waiter may share the current owner's id.
            if (obj.owner !== 0 && obj.owner !== wait.owner) {
              entry = next;
              continue;
            }
            break;
          case ObjectType.Event:
            if (!obj.signaled) return;
            break;
        }
        if (obj.acquire(wait.owner)) wait.ownerDead = true;
        this.satisfy(wait, entry.index);
      }
      entry = next;
    }
  }
}
