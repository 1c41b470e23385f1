// statx(2) reduced to what identifies a file: which filesystem it is on, which device node it
// is, which inode. Device numbers come as major/minor pairs, as the kernel reports them in
// statx (no dev_t packing to get wrong).
import { endianness } from 'node:os';
import { libc, lastErrno } from './libc';

const c_statx = libc.func('int statx(int dirfd, const char *path, int flags, unsigned int mask, _Out_ uint8_t *buf)');

export const AT_FDCWD = -100;
export const AT_EMPTY_PATH = 0x1000;
/**
 * Use cached attributes: a FUSE file otherwise costs a GETATTR round trip to its daemon, and a
 * daemon stat-ing its own mount from its reading thread would wait for itself.
 */
export const AT_STATX_DONT_SYNC = 0x4000;
export const STATX_TYPE = 0x1;
export const STATX_INO = 0x100;

export const S_IFMT = 0o170000;
export const S_IFCHR = 0o020000;
export const S_IFREG = 0o100000;

const STATX_SIZE = 256;

export interface FileIdentity {
  mode: number;
  ino: bigint;
  devMajor: number;
  devMinor: number;
  rdevMajor: number;
  rdevMinor: number;
}

export function newFileIdentity(): FileIdentity {
  return { mode: 0, ino: 0n, devMajor: 0, devMinor: 0, rdevMajor: 0, rdevMinor: 0 };
}

const buf = new Uint8Array(STATX_SIZE);
const view = new DataView(buf.buffer);
const LE = endianness() === 'LE'; // kernel structs are native-endian

/** statx(dirfd, path, flags) into `out`; 0 or -errno. */
export function statxIdentity(dirfd: number, path: string, flags: number, out: FileIdentity): number {
  const r = c_statx(dirfd, path, flags, STATX_TYPE | STATX_INO, buf);
  if (r < 0) return -lastErrno();
  out.mode = view.getUint16(28, LE);
  out.ino = view.getBigUint64(32, LE);
  out.rdevMajor = view.getUint32(128, LE);
  out.rdevMinor = view.getUint32(132, LE);
  out.devMajor = view.getUint32(136, LE);
  out.devMinor = view.getUint32(140, LE);
  return 0;
}

/** The identity of an open fd, from cached attributes. */
export function fstatIdentity(fd: number, out: FileIdentity): number {
  return statxIdentity(fd, '', AT_EMPTY_PATH | AT_STATX_DONT_SYNC, out);
}
