// Waits that sleep: the request stays unanswered until the engine satisfies the wait, its
// deadline passes, or the caller is interrupted. Deadlines are kept in one heap per clock, and
// one absolute timerfd per clock is armed at the earliest of them.
import type { Wait } from '../core/engine';
import { TIMEOUT_INFINITE } from '../core/types';
import { AbsoluteTimer, CLOCK_MONOTONIC, CLOCK_REALTIME } from '../sys/timerfd';
import { DeadlineHeap, type HeapMember } from './deadline-heap';
import type { Session } from './session';

/** The engine's tag for a wait: where and to which request the answer goes. */
export class PendingWait implements HeapMember {
  session: Session | null = null;
  unique = 0;
  /** The IOCTL's out_size: the most bytes the reply may carry. */
  outSize = 0;
  wait: Wait<PendingWait> | null = null;
  deadline = 0n;
  realtime = false;
  heapIndex = -1;
  /** For the status file: the calling thread and when the wait began (performance.now()). */
  tid = 0;
  startedMs = 0;
}

const NO_TIMER = -1n;

export class PendingWaits {
  readonly timers: readonly [AbsoluteTimer, AbsoluteTimer];
  private readonly heaps = [new DeadlineHeap<PendingWait>(), new DeadlineHeap<PendingWait>()];
  /** The deadline each timer is armed for, or NO_TIMER. */
  private readonly armedAt = [NO_TIMER, NO_TIMER];
  private readonly pool: PendingWait[] = [];
  private spare: PendingWait | null = null;
  private count = 0;

  constructor() {
    this.timers = [new AbsoluteTimer(CLOCK_MONOTONIC), new AbsoluteTimer(CLOCK_REALTIME)];
  }

  get size(): number {
    return this.count;
  }

  /** A blank record to pass to the dispatcher as the tag of a wait that may sleep. */
  take(): PendingWait {
    // Most waits complete at once and hand their record straight back: a spare slot serves
    // them without the pool array shrinking and growing its backing store every time.
    const spare = this.spare;
    if (spare) {
      this.spare = null;
      return spare;
    }
    return this.pool.pop() ?? new PendingWait();
  }

  /** Returns a record that did not become pending (or no longer is). */
  recycle(rec: PendingWait): void {
    rec.session = null;
    rec.wait = null;
    if (!this.spare) this.spare = rec;
    else this.pool.push(rec);
  }

  /** Starts tracking a wait the dispatcher returned as pending; `rec` is its tag. */
  add(rec: PendingWait, session: Session, unique: number, outSize: number, wait: Wait<PendingWait>): void {
    rec.session = session;
    rec.unique = unique;
    rec.outSize = outSize;
    rec.wait = wait;
    rec.deadline = wait.deadline;
    rec.realtime = wait.realtime;
    session.waits.set(unique, rec);
    this.count++;
    if (wait.deadline === TIMEOUT_INFINITE) return;
    const clock = rec.realtime ? 1 : 0;
    this.heaps[clock].push(rec);
    const armed = this.armedAt[clock];
    // Re-arm only for an earlier deadline: a timer left armed for a wait that has since ended
    // costs one spurious wake-up, which is cheaper than a settime per ended wait.
    if (armed === NO_TIMER || rec.deadline < armed) this.arm(clock, rec.deadline);
  }

  /** Stops tracking a wait that has been answered. */
  remove(rec: PendingWait): void {
    if (rec.session) rec.session.waits.delete(rec.unique);
    this.heaps[rec.realtime ? 1 : 0].remove(rec);
    this.count--;
    this.recycle(rec);
  }

  /** After a clock's timer fired and its expired waits were answered: consumes the expiry. */
  timerFired(clock: 0 | 1): void {
    this.timers[clock].acknowledge();
    this.armedAt[clock] = NO_TIMER;
  }

  /** The earliest wait on `clock` whose deadline is at or before `now`, or undefined. */
  firstExpired(clock: 0 | 1, now: bigint): PendingWait | undefined {
    const top = this.heaps[clock].peek();
    return top && top.deadline <= now ? top : undefined;
  }

  /** After expiring: arms the clock's timer for the earliest remaining deadline, if any. */
  rearm(clock: 0 | 1): void {
    const top = this.heaps[clock].peek();
    if (top && (this.armedAt[clock] === NO_TIMER || top.deadline < this.armedAt[clock])) this.arm(clock, top.deadline);
  }

  close(): void {
    for (const t of this.timers) t.close();
  }

  private arm(clock: number, deadline: bigint): void {
    this.timers[clock].arm(deadline);
    this.armedAt[clock] = deadline;
  }
}
