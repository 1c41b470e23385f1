// The fds are watched by our own ppoll(2) loop on the JS thread. It keeps serving for a short
// slice and then yields to Node with setImmediate, and it never sleeps in ppoll longer than
// MAX_SLEEP_NS, so Node's signal handlers and child-process events still run (late by at most
// that much).
import { POLLERR, POLLHUP, POLLIN, POLLNVAL, PollSet } from '../../sys/ppoll';
import type { EventLoop } from './event-loop';

/** Longest single sleep in ppoll: bounds how late a SIGTERM handler can run. */
const MAX_SLEEP_NS = 50_000_000;
/** How long to keep serving a busy fd before letting Node's loop run. */
const SLICE_NS = 5_000_000n;

export class PpollLoop implements EventLoop {
  private set = new PollSet(8);
  private handlers: (() => void)[] = [];
  private readonly watched: [number, () => void][] = [];
  private running = false;
  private scheduled = false;

  watch(fd: number, onReadable: () => void): void {
    this.watched.push([fd, onReadable]);
    this.rebuild();
  }

  unwatch(fd: number): void {
    const i = this.watched.findIndex(([f]) => f === fd);
    if (i >= 0) this.watched.splice(i, 1);
    this.rebuild();
  }

  start(): void {
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
  }

  private rebuild(): void {
    const set = new PollSet(Math.max(8, this.watched.length));
    for (const [fd] of this.watched) set.add(fd, POLLIN);
    this.set = set;
    this.handlers = this.watched.map(([, cb]) => cb);
  }

  private schedule(): void {
    if (this.scheduled || !this.running) return;
    this.scheduled = true;
    setImmediate(this.tick);
  }

  private readonly tick = (): void => {
    this.scheduled = false;
    const sliceEnd = process.hrtime.bigint() + SLICE_NS;
    while (this.running) {
      const set = this.set;
      const n = set.wait(MAX_SLEEP_NS);
      if (n === 0) break; // slept the whole period: give Node its turn
      if (n < 0) break; // EINTR (a signal): let Node's handler run
      const handlers = this.handlers;
      for (let i = 0; i < set.size && this.running; i++) {
        if (set.revents(i) & (POLLIN | POLLERR | POLLHUP | POLLNVAL)) handlers[i]();
        // A handler may have changed the watched set; the next ppoll uses the new one.
        if (this.set !== set) break;
      }
      if (process.hrtime.bigint() >= sliceEnd) break;
    }
    this.schedule();
  };
}
