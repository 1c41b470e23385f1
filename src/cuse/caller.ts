// The Caller the dispatcher needs for WAIT: the calling thread's memory and fd table, reached
// through process_vm_readv and /proc/<tid>/fd, and for fds a process waits on again, through fd
// witnesses (src/sys/fd-witness.ts). One instance is reused for every request; the server points
// it at the request's thread id first.
import { EFAULT } from '../core/errno';
import type { Caller } from '../ioctl/dispatch';
import { DEFAULT_WITNESSES, FdWitnesses } from '../sys/fd-witness';
import { closeInBackground, sysClose } from '../sys/io';
import { KeptFds } from '../sys/kept-fds';
import { pidfdGetfd, pidfdOpen } from '../sys/pidfd';
import { openFilesLimit, readProcessIds } from '../sys/proc';
import { ProcessMemoryReader } from '../sys/process-memory';
import { ProcFdStat } from '../sys/statx';
import { objectIdOfIno } from './object-fs';

const EPERM = 1;
const ESRCH = 3;
/** pidfds kept for recent callers' processes. */
const MAX_PIDFDS = 256;
/** Threads whose process is remembered; the whole table is forgotten when it is full. */
const MAX_THREADS = 8192;

export class ProcessCaller implements Caller {
  /** The thread that issued the current request (the FUSE header's pid). */
  tid = 0;
  /** st_dev of the object mount: set once the mount exists. */
  mountDevMajor = -1;
  mountDevMinor = -1;
  /** fds resolved through /proc (a witness, if any, did not vouch for them). */
  resolvedThroughProc = 0;

  private readonly memory = new ProcessMemoryReader(512);
  private readonly fdStat = new ProcFdStat();
  /** Set by enableWitnesses(): not before the kernel stops sending POLL to the mount. */
  private witnesses: FdWitnesses | null = null;
  /** tgid → pidfd. */
  private readonly pidfds = new KeptFds(MAX_PIDFDS);
  /** tid → tgid, for callers since witnesses were enabled. */
  private readonly processOf = new Map<number, number>();

  readMemory(pointer: Uint8Array, at: number, length: number, into: Uint8Array): number {
    // A gone thread, a bad pointer or a pid outside our namespace (0) all look like a bad
    // pointer to the caller: the kernel would report EFAULT for what it cannot copy.
    if (this.tid <= 0) return -EFAULT;
    return this.memory.readAtPointer(this.tid, pointer, at, length, into) === 0 ? 0 : -EFAULT;
  }

  /**
   * Lets resolveFd keep witnesses (see src/sys/fd-witness.ts). Only once the kernel answers
   * poll() on the mount without asking us: taking a witness polls the file.
   */
  enableWitnesses(capacity = DEFAULT_WITNESSES): void {
    if (this.witnesses) return;
    // Each witness is an fd: leave most of the daemon's fd limit to everything else.
    this.witnesses = new FdWitnesses(Math.min(capacity, Math.floor(openFilesLimit() / 4)));
  }

  /** Witness counters for the status report; null while witnesses are off. */
  witnessStats(): { hits: number; held: number } | null {
    const w = this.witnesses;
    return w ? { hits: w.hits, held: w.size } : null;
  }

  /** Releases the /proc directories, pidfds and witnesses kept for recent callers. */
  close(): void {
    this.fdStat.close();
    this.witnesses?.close();
    this.pidfds.clear();
    this.processOf.clear();
  }

  resolveFd(fd: number): number {
    if (fd < 0 || this.tid <= 0) return 0;
    const w = this.witnesses;
    const owner = w !== null && w.usable ? this.ownerOf(this.tid) : 0;
    if (w !== null && owner > 0) {
      const vouched = w.check(owner, this.tid, fd);
      if (vouched !== 0) return vouched;
    }
    this.resolvedThroughProc++;
    const st = this.fdStat;
    if (st.stat(this.tid, fd) !== 0) return 0;
    if (st.devMajor !== this.mountDevMajor || st.devMinor !== this.mountDevMinor) return 0;
    const id = objectIdOfIno(st.ino);
    if (id !== 0 && w !== null && owner > 0 && w.worthTaking(owner, fd)) this.takeWitness(w, owner, fd, id);
    return id;
  }

  /** The process of thread `tid`, 0 if it is gone. A tid reused since only costs witness misses. */
  private ownerOf(tid: number): number {
    const known = this.processOf.get(tid);
    if (known !== undefined) return known;
    const tgid = readProcessIds(tid)?.tgid ?? 0;
    if (tgid === 0) return 0;
    if (this.processOf.size >= MAX_THREADS) this.processOf.clear();
    this.processOf.set(tid, tgid);
    return tgid;
  }

  private takeWitness(w: FdWitnesses, owner: number, fd: number, id: number): void {
    const pidfd = this.pidfdOf(owner);
    if (pidfd < 0) return;
    const file = pidfdGetfd(pidfd, fd);
    if (file < 0) {
      // The process is gone, its pid maybe reused: look it up afresh next time.
      if (file === -ESRCH) {
        this.pidfds.forget(owner);
        this.processOf.delete(this.tid);
      }
      // No ptrace access (Yama's ptrace_scope 3, an LSM): no witness can ever be taken.
      if (file === -EPERM) w.usable = false;
      return;
    }
    // The fd may have changed since /proc named it: vouch only for the file we now hold.
    const st = this.fdStat;
    const ours = st.statOpenFile(file) === 0 && st.devMajor === this.mountDevMajor && st.devMinor === this.mountDevMinor;
    if (!ours) {
      // A file of another file system may flush on close (NFS, another FUSE server): not here.
      closeInBackground(file);
      return;
    }
    if (objectIdOfIno(st.ino) === id && !w.remember(owner, this.tid, fd, file, id)) {
      // This thread's fd is not the process's (its own fd table, or a tid reused by another
      // process): look its process up afresh.
      this.processOf.delete(this.tid);
    }
    // Our files never flush (FOPEN_NOFLUSH), and if this was the last reference the RELEASE is
    // sent without waiting for us: closing here cannot block.
    sysClose(file);
  }

  private pidfdOf(tgid: number): number {
    const kept = this.pidfds.get(tgid);
    if (kept !== undefined) return kept;
    const pidfd = pidfdOpen(tgid, 0);
    if (pidfd >= 0) this.pidfds.keep(tgid, pidfd);
    return pidfd;
  }
}
