// The fourteen ntsync ioctls, one method each, over raw memory: arguments are written into the
// case's scratch memory and the ioctl gets their address, exactly as a C client would call it.
// Every method returns what the kernel returned (result or -errno) plus the bytes it wrote,
// read back from memory that was first filled with a sentinel, so a case can tell "written"
// from "left alone".
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
} from '../../ioctl/numbers';
import type { ScratchMemory } from '../sys/memory';
import type { SysCalls } from '../sys/native';

/** Filled into every output before a call; a field still holding it was not written. */
export const SENTINEL = 0xa5a5a5a5;

export interface PrevResult {
  ret: number;
  /** The previous count/state the ioctl wrote back (SENTINEL if it wrote nothing). */
  prev: number;
}
export interface SemState {
  ret: number;
  count: number;
  max: number;
}
export interface MutexState {
  ret: number;
  owner: number;
  count: number;
}
export interface EventState {
  ret: number;
  manual: number;
  signaled: number;
}

export class NtsyncCalls {
  constructor(
    readonly sys: SysCalls,
    readonly mem: ScratchMemory,
  ) {}

  private pair(a: number, b: number): number {
    const addr = this.mem.alloc(8);
    this.mem.setU32(addr, a);
    this.mem.setU32(addr + 4, b);
    return addr;
  }

  private u32(value: number): number {
    const addr = this.mem.alloc(4);
    this.mem.setU32(addr, value);
    return addr;
  }

  ioctl(fd: number, cmd: number | bigint, arg: number): number {
    return this.sys.ioctl(fd, cmd, arg);
  }

  createSem(dev: number, count: number, max: number): number {
    return this.sys.ioctl(dev, NTSYNC_IOC_CREATE_SEM, this.pair(count, max));
  }
  createMutex(dev: number, owner: number, count: number): number {
    return this.sys.ioctl(dev, NTSYNC_IOC_CREATE_MUTEX, this.pair(owner, count));
  }
  createEvent(dev: number, manual: number, signaled: number): number {
    return this.sys.ioctl(dev, NTSYNC_IOC_CREATE_EVENT, this.pair(manual, signaled));
  }

  semRelease(obj: number, amount: number): PrevResult {
    const addr = this.u32(amount);
    const ret = this.sys.ioctl(obj, NTSYNC_IOC_SEM_RELEASE, addr);
    return { ret, prev: this.mem.getU32(addr) };
  }

  mutexUnlock(obj: number, owner: number): PrevResult & { ownerField: number } {
    const addr = this.pair(owner, SENTINEL);
    const ret = this.sys.ioctl(obj, NTSYNC_IOC_MUTEX_UNLOCK, addr);
    return { ret, prev: this.mem.getU32(addr + 4), ownerField: this.mem.getU32(addr) };
  }

  mutexKill(obj: number, owner: number): number {
    return this.sys.ioctl(obj, NTSYNC_IOC_MUTEX_KILL, this.u32(owner));
  }

  private eventOp(obj: number, cmd: number): PrevResult {
    const addr = this.u32(SENTINEL);
    const ret = this.sys.ioctl(obj, cmd, addr);
    return { ret, prev: this.mem.getU32(addr) };
  }
  eventSet(obj: number): PrevResult {
    return this.eventOp(obj, NTSYNC_IOC_EVENT_SET);
  }
  eventReset(obj: number): PrevResult {
    return this.eventOp(obj, NTSYNC_IOC_EVENT_RESET);
  }
  eventPulse(obj: number): PrevResult {
    return this.eventOp(obj, NTSYNC_IOC_EVENT_PULSE);
  }

  semRead(obj: number): SemState {
    const addr = this.pair(SENTINEL, SENTINEL);
    const ret = this.sys.ioctl(obj, NTSYNC_IOC_SEM_READ, addr);
    return { ret, count: this.mem.getU32(addr), max: this.mem.getU32(addr + 4) };
  }
  mutexRead(obj: number): MutexState {
    const addr = this.pair(SENTINEL, SENTINEL);
    const ret = this.sys.ioctl(obj, NTSYNC_IOC_MUTEX_READ, addr);
    return { ret, owner: this.mem.getU32(addr), count: this.mem.getU32(addr + 4) };
  }
  eventRead(obj: number): EventState {
    const addr = this.pair(SENTINEL, SENTINEL);
    const ret = this.sys.ioctl(obj, NTSYNC_IOC_EVENT_READ, addr);
    return { ret, manual: this.mem.getU32(addr), signaled: this.mem.getU32(addr + 4) };
  }
}
