// Which file a caller's fd named the last time, checked in one syscall. Resolving an fd through
// /proc/<tid>/fd/<n> costs a path walk that /proc refuses to do under RCU, about 1.1 µs on the
// benchmark VM; the check here costs about half that.
//
// A witness is an epoll instance of our own with the caller's file registered in it. epoll holds
// no reference to the files it watches (an item goes away when its file is released), so the
// caller's close() still ends the file, and with it the object, when the kernel says so.
// kcmp(KCMP_EPOLL_TFD) compares the file at the caller's fd with the registered one: equal means
// the very same struct file, hence the same object, whatever happened to the fd number in between
// (closed, reused by another thread, dup2'ed over, the thread gone and its tid reused). Anything
// else is a miss, and the caller resolves through /proc again. This is why no fd cache of the
// plain (tid, fd) → object kind is used: close() empties the slot before the kernel sends FLUSH,
// so such a cache can be stale at a moment the program can observe.
//
// One epoll per witness: kcmp looks a target up by scanning all of an epoll's items.
//
// epoll_ctl polls the file when it adds it. For a file of our own FUSE mount that is a POLL
// request to this very thread, which would never be answered; callers only take witnesses once
// the kernel no longer sends POLL to the mount (see the Server's POLL handler).
import { koffi, libc, lastErrno } from './libc';
import { sysClose } from './io';

// kcmp has no glibc wrapper. The prototype is declared without the ellipsis: glibc's syscall()
// is a register shuffle that reads no vector-register count, and koffi calls a fixed prototype
// much faster than a variadic one.
const c_kcmp = libc.func('int syscall(long nr, int pid1, int pid2, int type, unsigned long idx1, void *idx2)');
const c_epoll_create1 = libc.func('int epoll_create1(int flags)');
const c_epoll_ctl = libc.func('int epoll_ctl(int epfd, int op, int fd, void *event)');

const SYS_KCMP: Partial<Record<string, number>> = { x64: 312, arm64: 272 };
const KCMP_EPOLL_TFD = 7;
const EPOLL_CLOEXEC = 0o2000000;
const EPOLL_CTL_ADD = 1;
const ENOSYS = 38;
const EPERM = 1;
const EOPNOTSUPP = 95;

/** Witnesses kept at most; the oldest goes first. Each costs one epoll instance (an fd). */
export const DEFAULT_WITNESSES = 4096;

export class FdWitnesses {
  /** Checks answered from a witness, and checks that found none or a stale one. */
  hits = 0;
  misses = 0;
  /** False once kcmp turned out to be missing or forbidden here: every check then misses. */
  usable: boolean;

  private readonly sysKcmp: number;
  private readonly selfPid = process.pid;
  /** struct kcmp_epoll_slot { u32 efd, tfd, toff } in native memory: one pointer per call. */
  private readonly slotMem = koffi.alloc('uint32_t', 3);
  private readonly slot = new Uint32Array(koffi.view(this.slotMem, 12));
  /** struct epoll_event, all zero: no events wanted, the item only has to exist. */
  private readonly eventMem = koffi.alloc('uint8_t', 16);

  // Witness i: the epoll fd, the fd number our duplicate had when it was added (the item's
  // key), and what it vouches for. epfd -1 = a free slot.
  private readonly epfd: Int32Array;
  private readonly tfd: Int32Array;
  private readonly ownerTid: Int32Array;
  private readonly callerFd: Int32Array;
  private readonly objectId: Float64Array;
  /** The next slot to fill; the slots are reused in ring order, so the oldest goes first. */
  private nextSlot = 0;
  /** tid → (fd → slot). */
  private readonly byThread = new Map<number, Map<number, number>>();
  private lastTid = -1;
  private lastByFd: Map<number, number> | undefined;

  constructor(readonly capacity = DEFAULT_WITNESSES) {
    this.sysKcmp = SYS_KCMP[process.arch] ?? -1;
    this.usable = this.sysKcmp > 0;
    this.epfd = new Int32Array(capacity).fill(-1);
    this.tfd = new Int32Array(capacity);
    this.ownerTid = new Int32Array(capacity);
    this.callerFd = new Int32Array(capacity);
    this.objectId = new Float64Array(capacity);
    new Uint8Array(koffi.view(this.eventMem, 16)).fill(0);
  }

  /** How many witnesses are held. */
  get size(): number {
    let n = 0;
    for (const m of this.byThread.values()) n += m.size;
    return n;
  }

  /**
   * The object id vouched for at `fd` of thread `tid`, if that fd still names the file it was
   * taken from; 0 otherwise (a stale witness is dropped).
   */
  check(tid: number, fd: number): number {
    const byFd = tid === this.lastTid ? this.lastByFd : this.byThread.get(tid);
    const at = byFd?.get(fd);
    if (at === undefined) {
      this.misses++;
      return 0;
    }
    this.lastTid = tid;
    this.lastByFd = byFd;
    if (this.same(tid, fd, at)) {
      this.hits++;
      return this.objectId[at];
    }
    this.misses++;
    this.free(at);
    return 0;
  }

  /**
   * Takes a witness that `fd` of thread `tid` is `file`, our own duplicate of it (pidfd_getfd),
   * which names object `objectId`. `file` stays the caller's to close. False if none was taken.
   */
  remember(tid: number, fd: number, file: number, objectId: number): boolean {
    if (!this.usable) return false;
    const ep = c_epoll_create1(EPOLL_CLOEXEC) as number;
    if (ep < 0) return false;
    if ((c_epoll_ctl(ep, EPOLL_CTL_ADD, file, this.eventMem) as number) < 0) {
      sysClose(ep);
      return false;
    }
    const at = this.nextSlot;
    this.nextSlot = (at + 1) % this.capacity;
    if (this.epfd[at] >= 0) this.free(at);
    this.epfd[at] = ep;
    this.tfd[at] = file;
    // The duplicate came from the caller's process, not necessarily from this thread's fd table
    // (a thread may have its own): the witness counts only once this thread's fd is that file.
    if (!this.same(tid, fd, at)) {
      sysClose(ep);
      this.epfd[at] = -1;
      return false;
    }
    this.ownerTid[at] = tid;
    this.callerFd[at] = fd;
    this.objectId[at] = objectId;
    let byFd = this.byThread.get(tid);
    if (!byFd) {
      byFd = new Map();
      this.byThread.set(tid, byFd);
    }
    const previous = byFd.get(fd);
    if (previous !== undefined) this.free(previous);
    byFd.set(fd, at);
    return true;
  }

  /** Drops every witness. */
  close(): void {
    for (let i = 0; i < this.capacity; i++) if (this.epfd[i] >= 0) this.free(i);
  }

  private same(tid: number, fd: number, at: number): boolean {
    const slot = this.slot;
    slot[0] = this.epfd[at];
    slot[1] = this.tfd[at];
    slot[2] = 0;
    const r = c_kcmp(this.sysKcmp, tid, this.selfPid, KCMP_EPOLL_TFD, fd, this.slotMem) as number;
    if (r === 0) return true;
    if (r < 0) {
      const errno = lastErrno();
      // No kcmp in this kernel (CONFIG_KCMP or CONFIG_EPOLL off), or no ptrace access to
      // callers: stop trying.
      if (errno === ENOSYS || errno === EOPNOTSUPP || errno === EPERM) this.usable = false;
    }
    return false;
  }

  private free(at: number): void {
    const ep = this.epfd[at];
    if (ep < 0) return;
    sysClose(ep);
    this.epfd[at] = -1;
    const tid = this.ownerTid[at];
    const byFd = this.byThread.get(tid);
    if (byFd && byFd.get(this.callerFd[at]) === at) {
      byFd.delete(this.callerFd[at]);
      if (byFd.size === 0) {
        this.byThread.delete(tid);
        if (tid === this.lastTid) this.lastTid = -1;
      }
    }
  }
}
