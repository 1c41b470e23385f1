// ppoll(2) over a fixed set of fds with a nanosecond timeout.
import { libc, lastErrno } from './libc';

const c_ppoll = libc.func('int ppoll(void *fds, unsigned long nfds, const void *timeout, const void *sigmask)');

export const POLLIN = 0x1;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;

const POLLFD_SIZE = 8; // int fd; short events; short revents

/** A reusable struct pollfd array: add fds once, then wait() repeatedly without allocating. */
export class PollSet {
  private readonly fds: Uint8Array;
  private readonly view: DataView;
  /** struct timespec as four 32-bit halves (little-endian 64-bit longs), to avoid BigInts. */
  private readonly timeout = new Int32Array(4);
  private count = 0;

  constructor(readonly capacity: number) {
    this.fds = new Uint8Array(capacity * POLLFD_SIZE);
    this.view = new DataView(this.fds.buffer);
  }

  get size(): number {
    return this.count;
  }

  /** Returns the slot index of the fd. */
  add(fd: number, events = POLLIN): number {
    if (this.count === this.capacity) throw new Error('PollSet is full');
    const at = this.count * POLLFD_SIZE;
    this.view.setInt32(at, fd, true);
    this.view.setInt16(at + 4, events, true);
    this.view.setInt16(at + 6, 0, true);
    return this.count++;
  }

  fdAt(slot: number): number {
    return this.view.getInt32(slot * POLLFD_SIZE, true);
  }

  revents(slot: number): number {
    return this.view.getUint16(slot * POLLFD_SIZE + 6, true);
  }

  /**
   * Waits until an fd is ready or `timeoutNs` (a non-negative integer number of ns, or -1 for
   * no limit) has passed. Returns the number of ready fds, 0 on timeout, or -errno.
   */
  wait(timeoutNs: number): number {
    let n: number;
    if (timeoutNs < 0) {
      n = c_ppoll(this.fds, this.count, null, null);
    } else {
      this.timeout[0] = Math.min(Math.floor(timeoutNs / 1e9), 0x7fffffff);
      this.timeout[2] = timeoutNs % 1e9;
      n = c_ppoll(this.fds, this.count, this.timeout, null);
    }
    return n < 0 ? -lastErrno() : n;
  }
}
