// timerfd with absolute deadlines. Its hrtimer is armed with no slack (unlike a poll timeout,
// which the kernel may defer by the thread's timer slack), so it fires within microseconds.
import { libc, lastErrno } from './libc';
import { sysClose } from './io';
import { readInto } from './raw-io';

const c_timerfd_create = libc.func('int timerfd_create(int clockid, int flags)');
const c_timerfd_settime = libc.func('int timerfd_settime(int fd, int flags, const void *newValue, void *oldValue)');

export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;
const TFD_NONBLOCK = 0o4000;
const TFD_CLOEXEC = 0o2000000;
const TFD_TIMER_ABSTIME = 1;

const NS_PER_S = 1_000_000_000n;

/** A non-blocking timerfd armed with absolute deadlines in nanoseconds on its clock. */
export class AbsoluteTimer {
  readonly fd: number;
  /** struct itimerspec: it_interval {sec, nsec} (always 0), it_value {sec, nsec}. */
  private readonly spec = new BigInt64Array(4);
  private readonly expirations = new Uint8Array(8);

  constructor(readonly clockId: number) {
    const fd = c_timerfd_create(clockId, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0) throw new Error(`timerfd_create(${clockId}) failed: errno ${lastErrno()}`);
    this.fd = fd;
  }

  /** Fires (becomes readable) once `deadlineNs` has passed; a past deadline fires at once. */
  arm(deadlineNs: bigint): void {
    // it_value {0, 0} would disarm instead of firing: the earliest absolute time is 1 ns.
    const at = deadlineNs > 0n ? deadlineNs : 1n;
    this.spec[2] = at / NS_PER_S;
    this.spec[3] = at % NS_PER_S;
    this.settime();
  }

  disarm(): void {
    this.spec[2] = 0n;
    this.spec[3] = 0n;
    this.settime();
  }

  /** Consumes the expiration count so the fd stops being readable. */
  acknowledge(): void {
    // EAGAIN (nothing to consume) is harmless; read() on a timerfd never blocks with TFD_NONBLOCK.
    readInto(this.fd, this.expirations, 8);
  }

  close(): void {
    sysClose(this.fd);
  }

  private settime(): void {
    if (c_timerfd_settime(this.fd, TFD_TIMER_ABSTIME, this.spec, null) < 0) {
      throw new Error(`timerfd_settime failed: errno ${lastErrno()}`);
    }
  }
}
