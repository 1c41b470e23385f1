// The daemon's single event loop: kernel connections and deadline timers are fds; a handler
// runs whenever its fd is readable and must consume what it can without ever blocking.
export interface EventLoop {
  watch(fd: number, onReadable: () => void): void;
  unwatch(fd: number): void;
  start(): void;
  /** Stops watching every fd; the loop stops calling handlers at once. */
  stop(): void;
}

/** Requests handled per readiness callback before the other fds get a turn. */
export const DRAIN_BUDGET = 64;
