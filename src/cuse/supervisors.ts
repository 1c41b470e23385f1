// Registered supervisors (ntsync-run instances) and the ancestry test for device opens.
//
// A process may open the device only if a registered supervisor is the process itself or one
// of its ancestors: only then will its CREATE ioctls be turned into object fds by the
// launcher. Anything else would get a device on which every CREATE fails, which breaks Wine,
// while a failing open() makes Wine fall back to its server-side synchronization cleanly.
import { readProcessIds, type ProcessIds } from '../sys/proc';

/** How far up the process tree to look before giving up (a loop guard, not a real limit). */
const MAX_ANCESTRY_DEPTH = 1024;

export class Supervisors {
  /** Thread-group id → number of live registrations (control opens that did REGISTER). */
  private readonly registrations = new Map<number, number>();

  constructor(private readonly readIds: (pid: number) => ProcessIds | null = readProcessIds) {}

  get size(): number {
    return this.registrations.size;
  }

  register(tgid: number): void {
    this.registrations.set(tgid, (this.registrations.get(tgid) ?? 0) + 1);
  }

  /** Drops one registration; true when that was the supervisor's last one. */
  unregister(tgid: number): boolean {
    const n = this.registrations.get(tgid) ?? 0;
    if (n <= 1) {
      this.registrations.delete(tgid);
      return n === 1;
    }
    this.registrations.set(tgid, n - 1);
    return false;
  }

  has(tgid: number): boolean {
    return this.registrations.has(tgid);
  }

  /** The thread-group id of a thread, or 0 when it is gone or unknown (pid 0). */
  tgidOf(tid: number): number {
    if (tid <= 0) return 0;
    // A supervisor's own requests come from its main thread, whose id is its process id; no
    // other live thread can have that id. This spares two /proc reads per CREATE.
    if (this.registrations.has(tid)) return tid;
    return this.readIds(tid)?.tgid ?? 0;
  }

  /**
   * The registered supervisor that is `tid`'s own process or its nearest ancestor, or 0.
   * `tid` 0 (a caller outside our pid namespace) has none we can see.
   */
  supervisorOf(tid: number): number {
    if (tid <= 0 || this.registrations.size === 0) return 0;
    const first = this.readIds(tid);
    if (!first) return 0;
    let pid = first.tgid;
    let ppid = first.ppid;
    for (let depth = 0; depth < MAX_ANCESTRY_DEPTH; depth++) {
      if (this.registrations.has(pid)) return pid;
      if (ppid <= 0) return 0;
      const ids = this.readIds(ppid);
      if (!ids) return 0;
      pid = ids.tgid;
      ppid = ids.ppid;
    }
    return 0;
  }
}
