// Drives the Dispatcher the way the transport does: copied-in bytes per _IOC direction, an
// output buffer, a fake caller (memory + fd table), a fake clock. The struct bytes are built
// here with DataView, independently of src/ioctl/structs.ts, so layout slips there show up.
import { Engine, Wait } from '../../src/core/engine';
import type { DeviceId, ObjectId } from '../../src/core/types';
import { Dispatcher, PENDING } from '../../src/ioctl/dispatch';
import * as N from '../../src/ioctl/numbers';
import { FakeCaller } from './fake-caller';
import { FakeClock } from './fake-clock';

export { PENDING };

export interface IoctlResult {
  ret: number;
  /** The bytes the transport would copy back: output[0 .. outLength). */
  out: Uint8Array;
}

/** struct ntsync_wait_args fields, all optional (0 by default). */
export interface WaitFields {
  timeout?: bigint;
  objs?: bigint;
  count?: number;
  index?: number;
  flags?: number;
  owner?: number;
  alert?: number;
  pad?: number;
}

export function u32s(...values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 4);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setUint32(i * 4, x >>> 0, true));
  return b;
}

export function readU32(b: Uint8Array, off: number): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off, true);
}

export function readU64(b: Uint8Array, off: number): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(off, true);
}

/** The 40-byte struct ntsync_wait_args, laid out as in the uapi header. */
export function waitArgs(f: WaitFields): Uint8Array {
  const b = new Uint8Array(40);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, f.timeout ?? 0n, true);
  v.setBigUint64(8, f.objs ?? 0n, true);
  v.setUint32(16, (f.count ?? 0) >>> 0, true);
  v.setUint32(20, (f.index ?? 0xdeadbeef) >>> 0, true);
  v.setUint32(24, (f.flags ?? 0) >>> 0, true);
  v.setUint32(28, (f.owner ?? 0) >>> 0, true);
  v.setUint32(32, (f.alert ?? 0) >>> 0, true);
  v.setUint32(36, (f.pad ?? 0) >>> 0, true);
  return b;
}

/** The bytes the kernel copies in for `cmd`: none for _IOR, the struct for _IOW/_IOWR. */
export function inputFor(cmd: number, bytes: Uint8Array): Uint8Array {
  const dir = cmd >>> 30;
  return dir & 1 ? bytes : new Uint8Array(0);
}

export class IoctlHarness {
  readonly engine = new Engine<string>();
  readonly clock = new FakeClock();
  readonly dispatcher = new Dispatcher<string>(this.engine, this.clock.now);
  readonly caller = new FakeCaller();
  readonly dev: DeviceId;
  /** fd numbers handed out by create(); 0..2 are left for stdio like a real process. */
  private nextFd = 3;
  private tagCounter = 0;
  /** The output buffer; refilled with 0xEE before each call so stale bytes stand out. */
  private readonly output = new Uint8Array(64);

  constructor() {
    this.dev = this.engine.openDevice();
  }

  device(cmd: number, input: Uint8Array, opts: { dev?: DeviceId; caller?: FakeCaller; tag?: string } = {}): IoctlResult {
    this.output.fill(0xee);
    const ret = this.dispatcher.deviceIoctl(
      opts.dev ?? this.dev,
      cmd,
      input,
      this.output,
      opts.caller ?? this.caller,
      opts.tag ?? `t${++this.tagCounter}`,
    );
    return { ret, out: this.output.slice(0, this.dispatcher.outLength) };
  }

  object(obj: ObjectId, cmd: number, input: Uint8Array = new Uint8Array(0)): IoctlResult {
    this.output.fill(0xee);
    const ret = this.dispatcher.objectIoctl(obj, cmd, input, this.output);
    return { ret, out: this.output.slice(0, this.dispatcher.outLength) };
  }

  complete(wait: Wait<string>): IoctlResult {
    this.output.fill(0xee);
    const ret = this.dispatcher.completeWait(wait, this.output);
    return { ret, out: this.output.slice(0, this.dispatcher.outLength) };
  }

  /** Installs an fd for `obj` in the caller's table; returns the fd. */
  installFd(obj: ObjectId, caller: FakeCaller = this.caller): number {
    const fd = this.nextFd++;
    caller.fds.set(fd, obj);
    return fd;
  }

  /** CREATE_* through the dispatcher (must succeed); returns the object id and an fd for it. */
  create(cmd: number, a: number, b: number, dev: DeviceId = this.dev): { id: ObjectId; fd: number } {
    const r = this.device(cmd, u32s(a, b), { dev });
    if (r.ret <= 0) throw new Error(`create ${cmd.toString(16)}(${a}, ${b}) failed: ${r.ret}`);
    return { id: r.ret, fd: this.installFd(r.ret) };
  }

  sem(count: number, max: number, dev?: DeviceId) {
    return this.create(N.NTSYNC_IOC_CREATE_SEM, count, max, dev);
  }

  mutex(owner: number, count: number, dev?: DeviceId) {
    return this.create(N.NTSYNC_IOC_CREATE_MUTEX, owner, count, dev);
  }

  event(manual: number, signaled: number, dev?: DeviceId) {
    return this.create(N.NTSYNC_IOC_CREATE_EVENT, manual, signaled, dev);
  }

  /**
   * WAIT_ANY / WAIT_ALL with the fds mapped as `objs`; by default a poll (MONOTONIC now).
   * Returns the result, the output, the input bytes, and the pending Wait if it blocked.
   */
  wait(all: boolean, fds: readonly number[], fields: WaitFields = {}, tag?: string) {
    const objs = fields.objs ?? (fds.length > 0 ? this.caller.mapInts(fds) : 0n);
    const input = waitArgs({
      timeout: this.clock.monotonic,
      count: fds.length,
      owner: 123,
      ...fields,
      objs,
    });
    const r = this.device(all ? N.NTSYNC_IOC_WAIT_ALL : N.NTSYNC_IOC_WAIT_ANY, input, tag === undefined ? {} : { tag });
    const pending = r.ret === PENDING ? this.dispatcher.pending : null;
    return { ...r, input, pending };
  }

  semState(id: ObjectId): [number, number] {
    const r = this.object(id, N.NTSYNC_IOC_SEM_READ);
    expect(r.ret).toBe(0);
    return [readU32(r.out, 0), readU32(r.out, 4)];
  }

  mutexState(id: ObjectId): [number, number] {
    const r = this.object(id, N.NTSYNC_IOC_MUTEX_READ);
    return [readU32(r.out, 0), readU32(r.out, 4)];
  }

  eventState(id: ObjectId): [number, number] {
    const r = this.object(id, N.NTSYNC_IOC_EVENT_READ);
    expect(r.ret).toBe(0);
    return [readU32(r.out, 0), readU32(r.out, 4)];
  }

  takeWoken(): Wait<string>[] {
    const w = this.engine.woken.slice();
    this.engine.woken.length = 0;
    return w;
  }
}
