// The fds are watched by Node's own libuv loop (koffi.node.poll, an epoll watcher): nothing
// runs between requests but libuv, and signal handlers, child processes and timers of the
// rest of the program keep working with no polling at all.
import { koffi } from '../../sys/libc';
import type { EventLoop } from './event-loop';

type PollHandle = ReturnType<typeof koffi.node.poll>;

export class UvLoop implements EventLoop {
  private readonly handles = new Map<number, PollHandle>();
  private readonly pending: [number, () => void][] = [];
  private running = false;

  watch(fd: number, onReadable: () => void): void {
    if (!this.running) {
      this.pending.push([fd, onReadable]);
      return;
    }
    // libuv watches level-triggered: a handler that leaves requests queued is called again.
    const handle = koffi.node.poll(fd, { readable: true }, onReadable);
    this.handles.set(fd, handle);
  }

  unwatch(fd: number): void {
    const handle = this.handles.get(fd);
    if (!handle) return;
    this.handles.delete(fd);
    handle.close();
  }

  start(): void {
    this.running = true;
    for (const [fd, cb] of this.pending.splice(0)) this.watch(fd, cb);
  }

  stop(): void {
    this.running = false;
    for (const fd of [...this.handles.keys()]) this.unwatch(fd);
  }
}
