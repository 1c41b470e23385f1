// A wait running on a libuv worker thread while the case goes on on the main thread: the only
// way to check wake order, acquisition inside the signalling call, signals and timeouts with
// real blocked threads. start() returns once the waiting thread is seen asleep inside this very
// ioctl (so waits started one after the other are queued in that order); every method that
// waits for it is bounded, and the case's cleanup interrupts whatever is still blocked.
import { describeResult } from '../framework/errno-names';
import { fail } from '../framework/failure';
import type { SysCalls } from '../sys/native';
import { signalThread, threadSignals } from '../sys/signals';
import { findThreadInIoctl } from '../sys/threads';
import type { WaitBlock } from './wait-block';

/** How long a wait may take to show up asleep in its ioctl. */
const BLOCK_DEADLINE_MS = 3000;
/**
 * Pause after the thread is seen asleep. On the kernel driver it has queued itself already; on
 * a FUSE/CUSE device the request is queued in the kernel and the daemon answers requests in
 * order, but a moment more makes "A before B" robust on slow (emulated) machines.
 */
const SETTLE_MS = 25;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class BlockedWait {
  private outcome: { ret: number } | { error: unknown } | undefined;
  readonly done: Promise<void>;
  tid = 0;

  private constructor(
    readonly label: string,
    readonly fd: number,
    readonly cmd: number,
    readonly block: WaitBlock,
    call: Promise<number>,
  ) {
    this.done = call.then(
      (ret) => {
        this.outcome = { ret };
      },
      (error) => {
        this.outcome = { error };
      },
    );
  }

  /**
   * Starts the wait and returns once its thread sleeps in the ioctl. Fails the case if the wait
   * returns at once or never shows up asleep. `register` lets the case context interrupt the
   * wait during cleanup, whatever happens to the case.
   */
  static async start(
    sys: SysCalls,
    label: string,
    fd: number,
    cmd: number,
    block: WaitBlock,
    register: (w: BlockedWait) => void,
  ): Promise<BlockedWait> {
    const w = new BlockedWait(label, fd, cmd, block, sys.ioctlAsync(fd, cmd, block.addr));
    register(w);
    const until = Date.now() + BLOCK_DEADLINE_MS;
    let lastState = '';
    while (Date.now() < until) {
      if (w.outcome) fail(`${label}: returned ${w.describeOutcome()} at once instead of blocking`);
      const t = findThreadInIoctl(fd, cmd, block.addr);
      if (t) {
        w.tid = t.tid;
        lastState = t.state;
        if (t.state === 'S') {
          await sleep(SETTLE_MS);
          if (w.outcome) fail(`${label}: returned ${w.describeOutcome()} at once instead of blocking`);
          return w;
        }
      }
      await sleep(2);
    }
    fail(`${label}: not seen asleep in its ioctl within ${BLOCK_DEADLINE_MS} ms` + (lastState ? ` (state ${lastState})` : ''));
  }

  get settled(): boolean {
    return this.outcome !== undefined;
  }

  private describeOutcome(): string {
    if (!this.outcome) return 'nothing yet';
    if ('error' in this.outcome) return `an exception (${String(this.outcome.error)})`;
    return describeResult(this.outcome.ret);
  }

  /** The ioctl's result, waiting at most `ms` for it; fails the case if it is still blocked. */
  async result(ms = 3000): Promise<number> {
    await Promise.race([this.done, sleep(ms)]);
    if (!this.outcome) fail(`${this.label}: still blocked after ${ms} ms`);
    if ('error' in this.outcome) throw this.outcome.error;
    return this.outcome.ret;
  }

  /** Fails the case if the wait ends within `ms`. */
  async expectStillBlocked(ms = 100, why = ''): Promise<void> {
    await Promise.race([this.done, sleep(ms)]);
    if (this.outcome) fail(`${this.label}: returned ${this.describeOutcome()} but should still be blocked${why ? ` (${why})` : ''}`);
  }

  /** Sends one of the suite's two signals to the waiting thread. */
  signal(kind: 'interrupting' | 'restarting'): void {
    if (!this.tid) fail(`${this.label}: no thread to signal`);
    if (this.settled) return;
    const r = signalThread(this.tid, threadSignals()[kind]);
    if (r < 0 && !this.settled) fail(`${this.label}: tgkill failed: ${describeResult(r)}`);
  }

  /**
   * Cleanup: interrupts the wait (signals without SA_RESTART) until it returns, for at most
   * `ms`. Returns whether it ended. Only signals a thread still seen inside this ioctl, so a
   * worker thread that has moved on to other work is never hit.
   */
  async stop(ms = 2000): Promise<boolean> {
    const until = Date.now() + ms;
    while (!this.settled && Date.now() < until) {
      const t = findThreadInIoctl(this.fd, this.cmd, this.block.addr);
      if (t) signalThread(t.tid, threadSignals().interrupting);
      await Promise.race([this.done, sleep(20)]);
    }
    return this.settled;
  }
}
