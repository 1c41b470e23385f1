// Encoding of replies into a caller-provided buffer. Each encoder writes the whole reply,
// header included, and returns its length: the reply is then sent with exactly one write().
import {
  ATTR,
  ATTR_OUT,
  CUSE_INIT_OUT,
  DIRENT,
  ENTRY_OUT,
  INIT_OUT,
  IOCTL_OUT,
  OPEN_OUT,
  OUT_HEADER,
  STATFS_OUT,
} from './layout';
import { putU32 } from '../../ioctl/bytes';
import { putU16, putU64n } from './numbers';

const H = OUT_HEADER.size;

function putHeader(buf: Uint8Array, len: number, error: number, unique: number): number {
  putU32(buf, OUT_HEADER.len, len);
  putU32(buf, OUT_HEADER.error, error >>> 0);
  putU64n(buf, OUT_HEADER.unique, unique);
  return len;
}

function zero(buf: Uint8Array, from: number, to: number): void {
  buf.fill(0, from, to);
}

/**
 * A header-only error reply. `errno` is positive; the kernel wants -errno in -511..-1 and no
 * payload (a payload would make the write fail and the caller get EIO).
 */
export function encodeError(buf: Uint8Array, unique: number, errno: number): number {
  if (!(errno >= 1 && errno <= 511)) throw new RangeError(`errno ${errno} out of the FUSE range 1..511`);
  return putHeader(buf, H, -errno, unique);
}

/**
 * READ: up to `length` bytes of `data` from `offset`, as many as fit in `buf`. With direct I/O
 * a short read is handed to the reader as it is, and it asks again from the new offset.
 */
export function encodeData(buf: Uint8Array, unique: number, data: Uint8Array, offset: number, length: number): number {
  const n = Math.max(0, Math.min(length, data.length - offset, buf.length - H));
  if (n > 0) buf.set(data.subarray(offset, offset + n), H);
  return putHeader(buf, H + n, 0, unique);
}

/** Success with no payload (FLUSH, DESTROY, RELEASE). */
export function encodeEmpty(buf: Uint8Array, unique: number): number {
  return putHeader(buf, H, 0, unique);
}

export interface InitOut {
  major: number;
  minor: number;
  maxReadahead: number;
  flags: number;
  maxBackground: number;
  congestionThreshold: number;
  maxWrite: number;
  timeGran: number;
  maxPages: number;
}

/** The full 64-byte fuse_init_out; unused fields are zero. */
export function encodeInit(buf: Uint8Array, unique: number, out: InitOut): number {
  const len = H + INIT_OUT.size;
  zero(buf, H, len);
  putU32(buf, H + INIT_OUT.major, out.major);
  putU32(buf, H + INIT_OUT.minor, out.minor);
  putU32(buf, H + INIT_OUT.maxReadahead, out.maxReadahead);
  putU32(buf, H + INIT_OUT.flags, out.flags);
  putU16(buf, H + INIT_OUT.maxBackground, out.maxBackground);
  putU16(buf, H + INIT_OUT.congestionThreshold, out.congestionThreshold);
  putU32(buf, H + INIT_OUT.maxWrite, out.maxWrite);
  putU32(buf, H + INIT_OUT.timeGran, out.timeGran);
  putU16(buf, H + INIT_OUT.maxPages, out.maxPages);
  return putHeader(buf, len, 0, unique);
}

export interface CuseInitOut {
  major: number;
  minor: number;
  flags: number;
  maxRead: number;
  maxWrite: number;
  /** 0/0 asks for a dynamically allocated device number. */
  devMajor: number;
  devMinor: number;
}

/**
 * cuse_init_out followed by the device info: "KEY=value" strings, each NUL-terminated (the
 * kernel rejects an unterminated last string). `info` is e.g. ["DEVNAME=ntsync"].
 */
export function encodeCuseInit(buf: Uint8Array, unique: number, out: CuseInitOut, info: readonly string[]): number {
  let len = H + CUSE_INIT_OUT.size;
  zero(buf, H, len);
  putU32(buf, H + CUSE_INIT_OUT.major, out.major);
  putU32(buf, H + CUSE_INIT_OUT.minor, out.minor);
  putU32(buf, H + CUSE_INIT_OUT.flags, out.flags);
  putU32(buf, H + CUSE_INIT_OUT.maxRead, out.maxRead);
  putU32(buf, H + CUSE_INIT_OUT.maxWrite, out.maxWrite);
  putU32(buf, H + CUSE_INIT_OUT.devMajor, out.devMajor);
  putU32(buf, H + CUSE_INIT_OUT.devMinor, out.devMinor);
  for (const item of info) {
    for (let i = 0; i < item.length; i++) {
      const c = item.charCodeAt(i);
      if (c === 0 || c > 0x7e) throw new RangeError(`CUSE device info must be printable ASCII: ${JSON.stringify(item)}`);
      buf[len++] = c;
    }
    buf[len++] = 0;
  }
  return putHeader(buf, len, 0, unique);
}

/** struct fuse_attr as plain data. Times are seconds (nanoseconds left at 0). */
export interface Attr {
  ino: number;
  size: number;
  blocks: number;
  time: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  blksize: number;
}

function putAttr(buf: Uint8Array, at: number, attr: Attr): void {
  zero(buf, at, at + ATTR.size);
  putU64n(buf, at + ATTR.ino, attr.ino);
  putU64n(buf, at + ATTR.size_, attr.size);
  putU64n(buf, at + ATTR.blocks, attr.blocks);
  putU64n(buf, at + ATTR.atime, attr.time);
  putU64n(buf, at + ATTR.mtime, attr.time);
  putU64n(buf, at + ATTR.ctime, attr.time);
  putU32(buf, at + ATTR.mode, attr.mode);
  putU32(buf, at + ATTR.nlink, attr.nlink);
  putU32(buf, at + ATTR.uid, attr.uid);
  putU32(buf, at + ATTR.gid, attr.gid);
  putU32(buf, at + ATTR.rdev, attr.rdev);
  putU32(buf, at + ATTR.blksize, attr.blksize);
}

/** Validity periods are in seconds (whole) plus nanoseconds. */
export function encodeEntry(
  buf: Uint8Array,
  unique: number,
  nodeid: number,
  generation: number,
  entryValidSec: number,
  attrValidSec: number,
  attr: Attr,
): number {
  const len = H + ENTRY_OUT.size;
  putU64n(buf, H + ENTRY_OUT.nodeid, nodeid);
  putU64n(buf, H + ENTRY_OUT.generation, generation);
  putU64n(buf, H + ENTRY_OUT.entryValid, entryValidSec);
  putU64n(buf, H + ENTRY_OUT.attrValid, attrValidSec);
  putU32(buf, H + ENTRY_OUT.entryValidNsec, 0);
  putU32(buf, H + ENTRY_OUT.attrValidNsec, 0);
  putAttr(buf, H + ENTRY_OUT.attr, attr);
  return putHeader(buf, len, 0, unique);
}

export function encodeAttr(buf: Uint8Array, unique: number, attrValidSec: number, attr: Attr): number {
  const len = H + ATTR_OUT.size;
  putU64n(buf, H + ATTR_OUT.attrValid, attrValidSec);
  putU32(buf, H + ATTR_OUT.attrValidNsec, 0);
  putU32(buf, H + ATTR_OUT.attrValidNsec + 4, 0);
  putAttr(buf, H + ATTR_OUT.attr, attr);
  return putHeader(buf, len, 0, unique);
}

export function encodeOpen(buf: Uint8Array, unique: number, fh: number, openFlags: number): number {
  const len = H + OPEN_OUT.size;
  putU64n(buf, H + OPEN_OUT.fh, fh);
  putU32(buf, H + OPEN_OUT.openFlags, openFlags);
  putU32(buf, H + OPEN_OUT.backingId, 0);
  return putHeader(buf, len, 0, unique);
}

/**
 * fuse_ioctl_out plus `outLength` bytes that the caller has already placed at IOCTL_OUT_DATA.
 * `result` becomes the ioctl's return value (negative: -errno, and the out bytes are still
 * copied to the caller).
 */
export function encodeIoctl(buf: Uint8Array, unique: number, result: number, outLength: number): number {
  const len = H + IOCTL_OUT.size + outLength;
  putU32(buf, H + IOCTL_OUT.result, result >>> 0);
  putU32(buf, H + IOCTL_OUT.flags, 0);
  putU32(buf, H + IOCTL_OUT.inIovs, 0);
  putU32(buf, H + IOCTL_OUT.outIovs, 0);
  return putHeader(buf, len, 0, unique);
}

export interface StatfsOut {
  blocks: number;
  files: number;
  ffree: number;
  bsize: number;
  namelen: number;
}

export function encodeStatfs(buf: Uint8Array, unique: number, st: StatfsOut): number {
  const len = H + STATFS_OUT.size;
  zero(buf, H, len);
  putU64n(buf, H + STATFS_OUT.blocks, st.blocks);
  putU64n(buf, H + STATFS_OUT.files, st.files);
  putU64n(buf, H + STATFS_OUT.ffree, st.ffree);
  putU32(buf, H + STATFS_OUT.bsize, st.bsize);
  putU32(buf, H + STATFS_OUT.namelen, st.namelen);
  putU32(buf, H + STATFS_OUT.frsize, st.bsize);
  return putHeader(buf, len, 0, unique);
}

/** What a READDIR reply lists: entries 0..count-1, in a fixed order. */
export interface DirEntries {
  readonly count: number;
  ino(i: number): number;
  type(i: number): number;
  /** Writes entry i's name at buf[at..]; returns its length (at most 255 bytes). */
  writeName(i: number, buf: Uint8Array, at: number): number;
}

/**
 * READDIR: the entries from index `offset` on that fit in `size` bytes, each with the offset of
 * the entry after it (the kernel's cookie for the next READDIR). An empty reply is the end.
 */
export function encodeDirents(buf: Uint8Array, unique: number, entries: DirEntries, offset: number, size: number): number {
  const end = H + Math.min(size, buf.length - H);
  let pos = H;
  for (let i = offset; i < entries.count; i++) {
    // Names are written in place first; an entry that does not fit is dropped whole.
    const namelen = entries.writeName(i, buf, pos + DIRENT.nameOffset);
    const reclen = (DIRENT.nameOffset + namelen + 7) & ~7;
    if (pos + reclen > end) break;
    putU64n(buf, pos + DIRENT.ino, entries.ino(i));
    putU64n(buf, pos + DIRENT.off, i + 1);
    putU32(buf, pos + DIRENT.namelen, namelen);
    putU32(buf, pos + DIRENT.type, entries.type(i));
    buf.fill(0, pos + DIRENT.nameOffset + namelen, pos + reclen);
    pos += reclen;
  }
  return putHeader(buf, pos, 0, unique);
}
