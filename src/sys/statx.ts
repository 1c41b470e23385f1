// statx(2) of a caller's fd through /proc: which file a caller's fd number names.
//
// The fd directory /proc/<tid>/fd of each recent caller is kept open, and the fd is looked
// up relative to it: that saves the walk of /proc and <tid> on every fd of every wait, and no
// string is built on the way. A kept directory stays bound to its thread: once the thread is
// gone, lookups in it fail (they never reach a newer thread that reuses the number), and the
// directory is then reopened once before the failure counts.
import { koffi, libc, lastErrno } from './libc';
import { sysOpen, O_CLOEXEC, O_RDONLY } from './io';
import { KeptFds } from './kept-fds';
import { AT_EMPTY_PATH, AT_STATX_DONT_SYNC, STATX_INO } from './stat';

const c_statx = libc.func('int statx(int dirfd, const void *path, int flags, unsigned int mask, void *buf)');

export { AT_STATX_DONT_SYNC, STATX_INO };

// The path is passed as raw bytes (no string built per lookup), hence a binding of its own.
const O_DIRECTORY = 0o200000;

const STATX_SIZE = 256;
const OFF_INO = 32;
const OFF_DEV_MAJOR = 136;
const OFF_DEV_MINOR = 140;

/** Open fd directories kept, most recent callers first out of the door last. */
const MAX_KEPT_DIRS = 256;

export class ProcFdStat {
  /** After a successful stat(): the file's device and inode number. */
  devMajor = 0;
  devMinor = 0;
  /** The inode number; exact up to 2^53, far beyond what the daemon's counter reaches. */
  ino = 0;

  // Native memory allocated once: each statx then passes two fixed pointers (no typed-array
  // conversion per call; a wait makes one call per fd).
  private readonly nameMem = koffi.alloc('uint8_t', 16);
  private readonly bufMem = koffi.alloc('uint8_t', STATX_SIZE);
  private readonly name = new Uint8Array(koffi.view(this.nameMem, 16));
  private readonly words = new Uint32Array(koffi.view(this.bufMem, STATX_SIZE));
  /** tid → fd of /proc/<tid>/fd. */
  private readonly dirs = new KeptFds(MAX_KEPT_DIRS);
  /** The directory of the thread looked up last (-1 = none); always one of `dirs`. */
  private lastTid = -1;
  private lastDir = -1;

  /** Follows the caller's fd `fd` (in /proc/<tid>/fd) with AT_STATX_DONT_SYNC. Returns 0 or -errno. */
  stat(tid: number, fd: number): number {
    putDecimalZ(this.name, fd);
    // A wait resolves all its fds for one thread: the last directory usually serves again.
    const kept = tid === this.lastTid ? this.lastDir : this.dirs.get(tid);
    if (kept !== undefined) {
      if (this.statAt(kept) === 0) {
        this.lastTid = tid;
        this.lastDir = kept;
        return 0;
      }
      // The thread may be gone and its number reused: look again through a fresh directory.
      this.forget(tid);
    }
    const dir = this.openDir(tid);
    if (dir < 0) return dir;
    this.lastTid = tid;
    this.lastDir = dir;
    return this.statAt(dir);
  }

  /** The same for a file of our own (such as a pidfd_getfd duplicate). Returns 0 or -errno. */
  statOpenFile(fd: number): number {
    this.name[0] = 0;
    if (c_statx(fd, this.nameMem, AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_INO, this.bufMem) < 0) return -lastErrno();
    this.readResult();
    return 0;
  }

  /** Closes every kept directory. */
  close(): void {
    this.dirs.clear();
    this.lastTid = -1;
  }

  private statAt(dir: number): number {
    if (c_statx(dir, this.nameMem, AT_STATX_DONT_SYNC, STATX_INO, this.bufMem) < 0) return -lastErrno();
    this.readResult();
    return 0;
  }

  private readResult(): void {
    const w = this.words;
    this.ino = w[OFF_INO / 4] + w[OFF_INO / 4 + 1] * 0x100000000;
    this.devMajor = w[OFF_DEV_MAJOR / 4];
    this.devMinor = w[OFF_DEV_MINOR / 4];
  }

  private openDir(tid: number): number {
    const dir = sysOpen(`/proc/${tid}/fd`, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return dir;
    // The directory evicted to make room may be the last one: stat() replaces that at once.
    this.dirs.keep(tid, dir);
    return dir;
  }

  private forget(tid: number): void {
    if (tid === this.lastTid) this.lastTid = -1;
    this.dirs.forget(tid);
  }
}

/** Writes a non-negative integer in decimal followed by a NUL. */
function putDecimalZ(into: Uint8Array, value: number): void {
  let digits = 1;
  for (let v = value; v >= 10; v = (v / 10) | 0) digits++;
  let v = value;
  for (let i = digits - 1; i >= 0; i--) {
    into[i] = 48 + (v % 10);
    v = (v / 10) | 0;
  }
  into[digits] = 0;
}
