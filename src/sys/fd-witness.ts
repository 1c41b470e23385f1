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

/** Witnesses kept at most; each costs one epoll instance (an fd). */
export const DEFAULT_WITNESSES = 4096;

/** Bits of the filter that admits a witness for an fd only when it is resolved a second time. */
const SEEN_BITS = 16;

export class FdWitnesses {
  /** Checks answered from a witness. */
  hits = 0;
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
  // key), whose fd it is, and what it vouches for. epfd -1 = a free slot.
  private readonly epfd: Int32Array;
  private readonly tfd: Int32Array;
  private readonly owner: Int32Array;
  private readonly callerFd: Int32Array;
  private readonly objectId: Float64Array;
  /** Set when a witness vouches; the clock hand spares a witness once per round for it. */
  private readonly used: Uint8Array;
  private hand = 0;
  /** owner → (fd → slot). */
  private readonly byOwner = new Map<number, Map<number, number>>();
  private lastOwner = -1;
  private lastByFd: Map<number, number> | undefined;
  /** (owner, fd) pairs resolved once, hashed: a wait on a fresh object does not pay for a witness. */
  private readonly seen = new Uint8Array(1 << SEEN_BITS);

  constructor(readonly capacity = DEFAULT_WITNESSES) {
    this.sysKcmp = SYS_KCMP[process.arch] ?? -1;
    this.usable = this.sysKcmp > 0 && capacity > 0;
    this.epfd = new Int32Array(capacity).fill(-1);
    this.tfd = new Int32Array(capacity);
    this.owner = new Int32Array(capacity);
    this.callerFd = new Int32Array(capacity);
    this.objectId = new Float64Array(capacity);
    this.used = new Uint8Array(capacity);
    new Uint8Array(koffi.view(this.eventMem, 16)).fill(0);
  }

  /** How many witnesses are held. */
  get size(): number {
    let n = 0;
    for (const m of this.byOwner.values()) n += m.size;
    return n;
  }

  /**
   * The object id vouched for at `fd` of `owner` (the caller's process), if `fd` of thread `tid`
   * still names the file the witness was taken from; 0 otherwise (a stale witness is dropped).
   * Whose fd table a witness came from does not matter: kcmp looks at `tid`'s own.
   */
  check(owner: number, tid: number, fd: number): number {
    const byFd = owner === this.lastOwner ? this.lastByFd : this.byOwner.get(owner);
    const at = byFd?.get(fd);
    if (at === undefined) return 0;
    this.lastOwner = owner;
    this.lastByFd = byFd;
    if (this.same(tid, fd, at)) {
      this.hits++;
      this.used[at] = 1;
      return this.objectId[at];
    }
    this.free(at);
    return 0;
  }

  /**
   * Whether a witness is worth taking for `fd` of `owner`, which was just resolved the long
   * way: yes from its second resolution on (or a colliding pair's).
   */
  worthTaking(owner: number, fd: number): boolean {
    if (!this.usable) return false;
    const h = (Math.imul(owner, 0x9e3779b1) ^ Math.imul(fd, 0x85ebca6b)) >>> (32 - SEEN_BITS);
    if (this.seen[h] !== 0) return true;
    this.seen[h] = 1;
    return false;
  }

  /**
   * Takes a witness that `fd` of thread `tid` (of process `owner`) is `file`, our own duplicate
   * of it (pidfd_getfd), which names object `objectId`. `file` stays the caller's to close.
   * False if none was taken.
   */
  remember(owner: number, tid: number, fd: number, file: number, objectId: number): boolean {
    if (!this.usable) return false;
    const ep = c_epoll_create1(EPOLL_CLOEXEC) as number;
    if (ep < 0) return false;
    if ((c_epoll_ctl(ep, EPOLL_CTL_ADD, file, this.eventMem) as number) < 0) {
      sysClose(ep);
      return false;
    }
    const at = this.freeSlot();
    this.epfd[at] = ep;
    this.tfd[at] = file;
    // The duplicate came from the process's fd table, not necessarily from this thread's (a
    // thread may have its own): the witness counts only once this thread's fd is that file.
    if (!this.same(tid, fd, at)) {
      sysClose(ep);
      this.epfd[at] = -1;
      return false;
    }
    this.owner[at] = owner;
    this.callerFd[at] = fd;
    this.objectId[at] = objectId;
    this.used[at] = 0;
    // Replaced first: freeing it may drop the owner's map when it was the last entry.
    const previous = this.byOwner.get(owner)?.get(fd);
    if (previous !== undefined) this.free(previous);
    let byFd = this.byOwner.get(owner);
    if (!byFd) {
      byFd = new Map();
      this.byOwner.set(owner, byFd);
    }
    byFd.set(fd, at);
    return true;
  }

  /** Drops every witness. */
  close(): void {
    for (let i = 0; i < this.capacity; i++) if (this.epfd[i] >= 0) this.free(i);
  }

  /** A free slot, made by dropping the first witness the clock hand finds unused since its last round. */
  private freeSlot(): number {
    for (;;) {
      const at = this.hand;
      this.hand = (at + 1) % this.capacity;
      if (this.epfd[at] < 0) return at;
      if (this.used[at] !== 0) {
        this.used[at] = 0;
        continue;
      }
      this.free(at);
      return at;
    }
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
    const owner = this.owner[at];
    const byFd = this.byOwner.get(owner);
    if (byFd && byFd.get(this.callerFd[at]) === at) {
      byFd.delete(this.callerFd[at]);
      if (byFd.size === 0) {
        this.byOwner.delete(owner);
        if (owner === this.lastOwner) this.lastOwner = -1;
      }
    }
  }
}
