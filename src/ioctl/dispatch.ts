// From (device-or-object handle, cmd, copied-in bytes) to the engine and back to
// (result, copied-out bytes): the whole ntsync ioctl ABI, with no I/O of its own. Reading the
// caller's `objs` array and resolving its fd numbers are delegated to a Caller.
import type { Engine, Wait } from '../core/engine';
import { WaitRequest } from '../core/wait';
import { EFAULT, ENOTTY, EOWNERDEAD } from '../core/errno';
import { checkWaitArgs } from '../core/wait-args';
import { NTSYNC_MAX_WAIT_COUNT, NTSYNC_WAIT_REALTIME, TIMEOUT_INFINITE, type ClockNow, type DeviceId, type EventState, type MutexState, type ObjectId, type SemaphoreState } from '../core/types';
import { copyBytes, getI32, getU32, getU64, putU32 } from './bytes';
import { WAIT_OFF, WAIT_REPLY_SIZE } from './structs';
// Named imports: a namespace import compiles to getter calls in the per-request switch.
import {
  NTSYNC_IOC_CREATE_EVENT,
  NTSYNC_IOC_CREATE_MUTEX,
  NTSYNC_IOC_CREATE_SEM,
  NTSYNC_IOC_EVENT_PULSE,
  NTSYNC_IOC_EVENT_READ,
  NTSYNC_IOC_EVENT_RESET,
  NTSYNC_IOC_EVENT_SET,
  NTSYNC_IOC_MUTEX_KILL,
  NTSYNC_IOC_MUTEX_READ,
  NTSYNC_IOC_MUTEX_UNLOCK,
  NTSYNC_IOC_SEM_READ,
  NTSYNC_IOC_SEM_RELEASE,
  NTSYNC_IOC_WAIT_ALL,
  NTSYNC_IOC_WAIT_ANY,
} from './numbers';
import { assertGenericIocArch } from './ioc';
import { endianness } from 'node:os';

export interface Caller {
  /**
   * Copies `length` bytes at a caller's address into `into`: 0 or -EFAULT. The address is the
   * little-endian u64 at `pointer[at..at+8)`, passed as it sits in the struct, so that a wait
   * turns it into no number at all (no BigInt, no heap number for a high address).
   */
  readMemory(pointer: Uint8Array, at: number, length: number, into: Uint8Array): number;
  /** The object id behind the caller's fd number, or 0 when it is not one of our objects. */
  resolveFd(fd: number): number;
}

/** Returned by deviceIoctl for a wait that sleeps; `dispatcher.pending` holds it. */
export const PENDING = -0x40000000;

export class Dispatcher<Tag> {
  /** Bytes of `output` to copy back to the caller after the last call. */
  outLength = 0;
  pending: Wait<Tag> | null = null;

  private readonly request = new WaitRequest<Tag>();
  private readonly objsBytes = new Uint8Array(NTSYNC_MAX_WAIT_COUNT * 4);
  /** What a pending wait writes back when it completes: its struct up to and incl. `index`. */
  private readonly replyHeads = new Map<Wait<Tag>, Uint8Array>();
  private readonly sem: SemaphoreState = { count: 0, max: 0 };
  private readonly mutex: MutexState = { owner: 0, count: 0 };
  private readonly event: EventState = { manual: 0, signaled: 0 };

  constructor(
    readonly engine: Engine<Tag>,
    private readonly now: ClockNow,
  ) {
    // Wrong numbers or byte order would not fail loudly: every ioctl would just be ENOTTY or
    // garbage. Refuse to serve instead.
    assertGenericIocArch(process.arch);
    if (endianness() !== 'LE') throw new Error('ntsyncd supports little-endian machines only');
    this.request.objects = new Array<ObjectId>(NTSYNC_MAX_WAIT_COUNT).fill(0);
  }

  deviceIoctl(device: DeviceId, cmd: number, input: Uint8Array, output: Uint8Array, caller: Caller, tag: Tag): number {
    this.outLength = 0;
    this.pending = null;
    const e = this.engine;
    switch (cmd) {
      case NTSYNC_IOC_CREATE_SEM:
        return e.createSemaphore(device, getU32(input, 0), getU32(input, 4));
      case NTSYNC_IOC_CREATE_MUTEX:
        return e.createMutex(device, getU32(input, 0), getU32(input, 4));
      case NTSYNC_IOC_CREATE_EVENT:
        return e.createEvent(device, getU32(input, 0), getU32(input, 4));
      case NTSYNC_IOC_WAIT_ANY:
        return this.wait(device, false, input, output, caller, tag);
      case NTSYNC_IOC_WAIT_ALL:
        return this.wait(device, true, input, output, caller, tag);
      default:
        return -ENOTTY;
    }
  }

  objectIoctl(object: ObjectId, cmd: number, input: Uint8Array, output: Uint8Array): number {
    this.outLength = 0;
    this.pending = null;
    const e = this.engine;
    switch (cmd) {
      case NTSYNC_IOC_SEM_RELEASE:
        return this.replyU32(output, e.semRelease(object, getU32(input, 0)));
      case NTSYNC_IOC_MUTEX_UNLOCK: {
        const prev = e.mutexUnlock(object, getU32(input, 0));
        if (prev < 0) return prev;
        // Only `count` is written back; `owner` goes back exactly as it came in.
        copyBytes(input, 0, output, 0, 4);
        putU32(output, 4, prev);
        this.outLength = 8;
        return 0;
      }
      case NTSYNC_IOC_MUTEX_KILL:
        return e.mutexKill(object, getU32(input, 0));
      case NTSYNC_IOC_EVENT_SET:
        return this.replyU32(output, e.eventSet(object));
      case NTSYNC_IOC_EVENT_RESET:
        return this.replyU32(output, e.eventReset(object));
      case NTSYNC_IOC_EVENT_PULSE:
        return this.replyU32(output, e.eventPulse(object));
      case NTSYNC_IOC_SEM_READ: {
        const r = e.semRead(object, this.sem);
        return r < 0 ? r : this.replyPair(output, this.sem.count, this.sem.max, r);
      }
      case NTSYNC_IOC_MUTEX_READ: {
        // An abandoned mutex still copies out its {0, 0} before failing with EOWNERDEAD.
        const r = e.mutexRead(object, this.mutex);
        return r < 0 && r !== -EOWNERDEAD ? r : this.replyPair(output, this.mutex.owner, this.mutex.count, r);
      }
      case NTSYNC_IOC_EVENT_READ: {
        const r = e.eventRead(object, this.event);
        return r < 0 ? r : this.replyPair(output, this.event.manual, this.event.signaled, r);
      }
      default:
        return -ENOTTY;
    }
  }

  /** The answer of a pending wait that completed (woken, timed out or cancelled). */
  completeWait(wait: Wait<Tag>, output: Uint8Array): number {
    const head = this.replyHeads.get(wait);
    this.replyHeads.delete(wait);
    this.outLength = 0;
    if (wait.status === 0 || wait.status === -EOWNERDEAD) {
      if (head) copyBytes(head, 0, output, 0, WAIT_OFF.index);
      putU32(output, WAIT_OFF.index, wait.index);
      this.outLength = WAIT_REPLY_SIZE;
    }
    return wait.status;
  }

  private wait(device: DeviceId, all: boolean, input: Uint8Array, output: Uint8Array, caller: Caller, tag: Tag): number {
    const count = getU32(input, WAIT_OFF.count);
    const flags = getU32(input, WAIT_OFF.flags);
    const owner = getU32(input, WAIT_OFF.owner);
    const bad = checkWaitArgs(flags, getU32(input, WAIT_OFF.pad), owner, count);
    if (bad !== 0) return bad;
    if (count > 0 && caller.readMemory(input, WAIT_OFF.objs, count * 4, this.objsBytes) !== 0) {
      return -EFAULT;
    }

    const req = this.request;
    for (let i = 0; i < count; i++) req.objects[i] = caller.resolveFd(getI32(this.objsBytes, i * 4));
    const alertFd = getU32(input, WAIT_OFF.alert);
    req.alert = alertFd === 0 ? 0 : caller.resolveFd(alertFd) || -1;
    req.device = device;
    req.all = all;
    req.count = count;
    req.owner = owner;
    req.timeout = decodeTimeout(input, WAIT_OFF.timeout);
    req.realtime = (flags & NTSYNC_WAIT_REALTIME) !== 0;
    req.tag = tag;

    const wait = this.engine.wait(req, this.now);
    if (wait) {
      const head = new Uint8Array(WAIT_OFF.index);
      copyBytes(input, 0, head, 0, WAIT_OFF.index);
      this.replyHeads.set(wait, head);
      this.pending = wait;
      return PENDING;
    }
    if (req.status === 0 || req.status === -EOWNERDEAD) {
      copyBytes(input, 0, output, 0, WAIT_OFF.index);
      putU32(output, WAIT_OFF.index, req.index);
      this.outLength = WAIT_REPLY_SIZE;
    }
    return req.status;
  }

  private replyU32(output: Uint8Array, value: number): number {
    if (value < 0) return value;
    putU32(output, 0, value);
    this.outLength = 4;
    return 0;
  }

  private replyPair(output: Uint8Array, first: number, second: number, result: number): number {
    putU32(output, 0, first);
    putU32(output, 4, second);
    this.outLength = 8;
    return result;
  }
}

/**
 * The wait's u64 timeout. Wine's two common values, "forever" and "poll", come from constants:
 * a wait that completes at once then allocates no BigInt at all.
 */
function decodeTimeout(input: Uint8Array, off: number): bigint {
  // Signed halves: -1 and 0 are small integers, where 0xffffffff would be a heap number.
  const lo = getI32(input, off);
  const hi = getI32(input, off + 4);
  if (lo === -1 && hi === -1) return TIMEOUT_INFINITE;
  if (lo === 0 && hi === 0) return 0n;
  return getU64(input, off);
}
