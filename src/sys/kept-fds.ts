// Fds kept open per key (a thread's /proc directory, a process's pidfd), at most `capacity` of
// them: the oldest is closed to make room.
import { sysClose } from './io';

export class KeptFds {
  /** key → fd, in insertion order. */
  private readonly fds = new Map<number, number>();

  constructor(readonly capacity: number) {}

  get(key: number): number | undefined {
    return this.fds.get(key);
  }

  /** Keeps `fd` under `key` (which must not hold one), closing the oldest kept fd if full. */
  keep(key: number, fd: number): void {
    if (this.fds.size >= this.capacity) this.forget(this.fds.keys().next().value!);
    this.fds.set(key, fd);
  }

  /** Closes the fd kept under `key`, if any. */
  forget(key: number): void {
    const fd = this.fds.get(key);
    if (fd === undefined) return;
    this.fds.delete(key);
    sysClose(fd);
  }

  /** Closes every kept fd. */
  clear(): void {
    for (const fd of this.fds.values()) sysClose(fd);
    this.fds.clear();
  }
}
