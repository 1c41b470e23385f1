// Everything a case works with, and everything it must give back. A case opens devices and
// creates objects through its context, which tracks every fd, every blocked wait and its own
// scratch memory; cleanup interrupts the waits still blocked, closes the fds and unmaps the
// memory, whatever the case did or failed to do. After a timeout the context is aborted: a
// case still running in the background can no longer issue a system call, so it cannot touch
// fds that the next case may already be reusing.
import { NTSYNC_IOC_WAIT_ALL, NTSYNC_IOC_WAIT_ANY } from '../../ioctl/numbers';
import { BlockedWait } from '../client/blocked-wait';
import { NtsyncCalls } from '../client/ntsync-calls';
import { WaitBlock, type WaitSpec } from '../client/wait-block';
import { monotonicNs, msToNs } from '../sys/clock';
import { ScratchMemory } from '../sys/memory';
import { O_CLOEXEC, O_RDONLY, type SysCalls } from '../sys/native';
import { describeResult } from './errno-names';
import { expectEqual, expectReturn, expectSuccess } from './expect';
import { fail } from './failure';

export type WaitKind = 'any' | 'all';

export class CaseAborted extends Error {
  constructor() {
    super('the case was aborted (timeout) and may not make further system calls');
  }
}

export class CaseContext {
  readonly mem = new ScratchMemory();
  readonly sys: SysCalls;
  readonly nt: NtsyncCalls;
  private readonly fds = new Set<number>();
  private readonly waits: BlockedWait[] = [];
  private aborted = false;

  constructor(
    readonly devicePath: string,
    rawSys: SysCalls,
  ) {
    this.sys = this.guard(rawSys);
    this.nt = new NtsyncCalls(this.sys, this.mem);
  }

  /** A SysCalls that refuses to run once the context is aborted. */
  private guard(raw: SysCalls): SysCalls {
    const ctx = this;
    return new Proxy(raw, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (ctx.aborted) throw new CaseAborted();
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }

  // ---- fds ----------------------------------------------------------------------------

  /** Tracks an fd the case got some other way, so cleanup closes it. */
  track(fd: number): number {
    if (fd >= 0) this.fds.add(fd);
    return fd;
  }

  /** Closes a tracked fd now; returns close()'s result. */
  close(fd: number): number {
    this.fds.delete(fd);
    return this.sys.close(fd);
  }

  /** Opens the device under test; the case fails if that fails. Default flags as the selftest. */
  openDevice(flags = O_RDONLY | O_CLOEXEC): number {
    const fd = this.sys.open(this.devicePath, flags);
    if (fd < 0) fail(`open(${this.devicePath}) failed: ${describeResult(fd)}`);
    return this.track(fd);
  }

  dup(fd: number): number {
    return this.track(expectSuccess(this.sys.dup(fd), `dup(${fd})`));
  }

  // ---- objects that must be created successfully ---------------------------------------

  sem(dev: number, count: number, max: number): number {
    return this.track(expectSuccess(this.nt.createSem(dev, count, max), `CREATE_SEM {count ${count}, max ${max}}`));
  }
  mutex(dev: number, owner: number, count: number): number {
    return this.track(expectSuccess(this.nt.createMutex(dev, owner, count), `CREATE_MUTEX {owner ${owner}, count ${count}}`));
  }
  event(dev: number, manual: boolean | number, signaled: boolean | number): number {
    return this.track(
      expectSuccess(this.nt.createEvent(dev, Number(manual), Number(signaled)), `CREATE_EVENT {manual ${Number(manual)}, signaled ${Number(signaled)}}`),
    );
  }

  // ---- state checks ---------------------------------------------------------------------

  expectSem(obj: number, count: number, max: number | undefined, when: string): void {
    const s = this.nt.semRead(obj);
    expectReturn(s.ret, 0, `SEM_READ ${when}`);
    expectEqual(s.count, count, `semaphore count ${when}`);
    if (max !== undefined) expectEqual(s.max, max, `semaphore max ${when}`);
  }

  /** `abandoned` true: MUTEX_READ must return EOWNERDEAD (with the data written). */
  expectMutex(obj: number, owner: number, count: number, when: string, abandoned = false): void {
    const s = this.nt.mutexRead(obj);
    if (abandoned) {
      if (s.ret !== -130) fail(`MUTEX_READ ${when}: expected EOWNERDEAD (130) for an abandoned mutex, got ${describeResult(s.ret)}`);
    } else {
      expectReturn(s.ret, 0, `MUTEX_READ ${when}`);
    }
    expectEqual(s.owner, owner, `mutex owner ${when}`);
    expectEqual(s.count, count, `mutex count ${when}`);
  }

  expectEvent(obj: number, manual: boolean, signaled: boolean, when: string): void {
    const s = this.nt.eventRead(obj);
    expectReturn(s.ret, 0, `EVENT_READ ${when}`);
    expectEqual(s.manual, Number(manual), `event manual ${when}`);
    expectEqual(s.signaled, Number(signaled), `event signaled ${when}`);
  }

  // ---- waits ----------------------------------------------------------------------------

  waitBlock(spec: WaitSpec): WaitBlock {
    return new WaitBlock(this.mem, spec);
  }

  static cmd(kind: WaitKind): number {
    return kind === 'any' ? NTSYNC_IOC_WAIT_ANY : NTSYNC_IOC_WAIT_ALL;
  }

  /** A wait on the main thread: for polls and for waits that fail validation. */
  wait(kind: WaitKind, dev: number, block: WaitBlock | WaitSpec): { ret: number; block: WaitBlock } {
    const b = block instanceof WaitBlock ? block : this.waitBlock(block);
    return { ret: this.sys.ioctl(dev, CaseContext.cmd(kind), b.addr), block: b };
  }

  /** A wait on a worker thread, returned once it is asleep in the ioctl. */
  startWait(kind: WaitKind, dev: number, block: WaitBlock | WaitSpec, label: string): Promise<BlockedWait> {
    const b = block instanceof WaitBlock ? block : this.waitBlock({ timeout: this.deadline(3000), ...block });
    return BlockedWait.start(this.sys, label, dev, CaseContext.cmd(kind), b, (w) => this.waits.push(w));
  }

  /** An absolute CLOCK_MONOTONIC deadline `ms` from now. */
  deadline(ms: number): bigint {
    return monotonicNs() + msToNs(ms);
  }

  // ---- end of case ----------------------------------------------------------------------

  /** Makes every further system call of this case throw. */
  abort(): void {
    this.aborted = true;
  }

  /**
   * Interrupts waits still blocked, closes fds, unmaps memory. Returns a problem to report, if
   * any wait could not be ended (its memory then stays mapped: the kernel may still write it).
   */
  async cleanup(raw: SysCalls): Promise<string | undefined> {
    let stuck = 0;
    for (const w of this.waits) if (!(await w.stop())) stuck++;
    for (const fd of this.fds) raw.close(fd);
    this.fds.clear();
    if (stuck) return `${stuck} blocked wait(s) could not be interrupted`;
    this.mem.release();
    return undefined;
  }
}
