// statx(2) of /proc/<tid>/fd/<n>: which file a caller's fd number names. The path is built
// byte by byte in a reusable buffer, so resolving the fds of a wait creates no strings.
import { libc, lastErrno } from './libc';

const c_statx = libc.func('int statx(int dirfd, const void *path, int flags, unsigned int mask, void *buf)');

const AT_FDCWD = -100;
/**
 * Use the attributes the kernel has cached. Without it, a stat of a file on our own FUSE
 * mount could send GETATTR to the very thread that is waiting for this call: a deadlock.
 */
export const AT_STATX_DONT_SYNC = 0x4000;
export const STATX_INO = 0x100;

const STATX_SIZE = 256;
const OFF_INO = 32;
const OFF_DEV_MAJOR = 136;
const OFF_DEV_MINOR = 140;

const PREFIX = '/proc/';
const MIDDLE = '/fd/';

export class ProcFdStat {
  /** After a successful stat(): the file's device and inode number. */
  devMajor = 0;
  devMinor = 0;
  /** The inode number; exact up to 2^53, far beyond what the daemon's counter reaches. */
  ino = 0;

  private readonly path = new Uint8Array(64);
  private readonly buf = new Uint8Array(STATX_SIZE);
  private readonly words = new Uint32Array(this.buf.buffer);

  /** Follows /proc/<tid>/fd/<fd> with AT_STATX_DONT_SYNC. Returns 0 or -errno. */
  stat(tid: number, fd: number): number {
    let at = putAscii(this.path, 0, PREFIX);
    at = putDecimal(this.path, at, tid);
    at = putAscii(this.path, at, MIDDLE);
    at = putDecimal(this.path, at, fd);
    this.path[at] = 0;
    if (c_statx(AT_FDCWD, this.path, AT_STATX_DONT_SYNC, STATX_INO, this.buf) < 0) return -lastErrno();
    const w = this.words;
    this.ino = w[OFF_INO / 4] + w[OFF_INO / 4 + 1] * 0x100000000;
    this.devMajor = w[OFF_DEV_MAJOR / 4];
    this.devMinor = w[OFF_DEV_MINOR / 4];
    return 0;
  }
}

function putAscii(into: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) into[at++] = text.charCodeAt(i);
  return at;
}

/** Writes a non-negative integer in decimal; returns the offset after it. */
function putDecimal(into: Uint8Array, at: number, value: number): number {
  let digits = 1;
  for (let v = value; v >= 10; v = Math.floor(v / 10)) digits++;
  let v = value;
  for (let i = digits - 1; i >= 0; i--) {
    into[at + i] = 48 + (v % 10);
    v = Math.floor(v / 10);
  }
  return at + digits;
}
