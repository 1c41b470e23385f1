// Byte layouts of the FUSE/CUSE kernel protocol structs (include/uapi/linux/fuse.h), as offset
// tables. All fields are native-endian; we only run on little-endian machines (the dispatcher
// refuses others). Sizes are those of protocol 7.38 and later, which every field here predates.

/** The protocol version we speak; the kernel has offered 7.45 on 6.18. */
export const FUSE_KERNEL_VERSION = 7;
export const FUSE_KERNEL_MINOR_VERSION = 38;
/** Oldest minor we accept: CUSE needs 7.11; FOPEN_NOFLUSH needs 7.31. */
export const FUSE_MIN_MINOR_VERSION = 31;

export const FUSE_ROOT_ID = 1;
/** The smallest read buffer /dev/fuse and /dev/cuse accept. */
export const FUSE_MIN_READ_BUFFER = 8192;

export const IN_HEADER = {
  size: 40,
  len: 0,
  opcode: 4,
  unique: 8,
  nodeid: 16,
  uid: 24,
  gid: 28,
  pid: 32,
  totalExtlen: 36,
} as const;

export const OUT_HEADER = { size: 16, len: 0, error: 4, unique: 8 } as const;

/** fuse_init_in: 16 bytes up to 7.35, 64 bytes (flags2 + unused) since 7.36. */
export const INIT_IN = { minSize: 16, major: 0, minor: 4, maxReadahead: 8, flags: 12, flags2: 16 } as const;

export const INIT_OUT = {
  size: 64,
  major: 0,
  minor: 4,
  maxReadahead: 8,
  flags: 12,
  maxBackground: 16,
  congestionThreshold: 18,
  maxWrite: 20,
  timeGran: 24,
  maxPages: 28,
  mapAlignment: 30,
  flags2: 32,
} as const;

export const CUSE_INIT_IN = { size: 16, major: 0, minor: 4, unused: 8, flags: 12 } as const;

/** cuse_init_out, followed by the NUL-terminated device info string ("DEVNAME=..."). */
export const CUSE_INIT_OUT = {
  size: 72,
  major: 0,
  minor: 4,
  unused: 8,
  flags: 12,
  maxRead: 16,
  maxWrite: 20,
  devMajor: 24,
  devMinor: 28,
} as const;
/** cuse_init_in/out flag: unrestricted ioctls (we never ask for it). */
export const CUSE_UNRESTRICTED_IOCTL = 1 << 0;

export const ATTR = {
  size: 88,
  ino: 0,
  size_: 8,
  blocks: 16,
  atime: 24,
  mtime: 32,
  ctime: 40,
  atimensec: 48,
  mtimensec: 52,
  ctimensec: 56,
  mode: 60,
  nlink: 64,
  uid: 68,
  gid: 72,
  rdev: 76,
  blksize: 80,
  flags: 84,
} as const;

export const ENTRY_OUT = {
  size: 40 + ATTR.size,
  nodeid: 0,
  generation: 8,
  entryValid: 16,
  attrValid: 24,
  entryValidNsec: 32,
  attrValidNsec: 36,
  attr: 40,
} as const;

export const ATTR_OUT = { size: 16 + ATTR.size, attrValid: 0, attrValidNsec: 8, attr: 16 } as const;

export const GETATTR_IN = { size: 16, getattrFlags: 0, fh: 8 } as const;

export const OPEN_IN = { size: 8, flags: 0, openFlags: 4 } as const;
export const OPEN_OUT = { size: 16, fh: 0, openFlags: 8, backingId: 12 } as const;

/** fuse_open_out.open_flags */
export const FOPEN_DIRECT_IO = 1 << 0;
export const FOPEN_NONSEEKABLE = 1 << 2;
export const FOPEN_NOFLUSH = 1 << 5;

export const RELEASE_IN = { size: 24, fh: 0, flags: 8, releaseFlags: 12, lockOwner: 16 } as const;
export const FLUSH_IN = { size: 24, fh: 0, lockOwner: 16 } as const;
export const FORGET_IN = { size: 8, nlookup: 0 } as const;
export const BATCH_FORGET_IN = { size: 8, count: 0 } as const;
export const FORGET_ONE = { size: 16, nodeid: 0, nlookup: 8 } as const;
export const INTERRUPT_IN = { size: 8, unique: 0 } as const;

export const IOCTL_IN = { size: 32, fh: 0, flags: 8, cmd: 12, arg: 16, inSize: 24, outSize: 28 } as const;
export const IOCTL_OUT = { size: 16, result: 0, flags: 4, inIovs: 8, outIovs: 12 } as const;
/** fuse_ioctl_in.flags */
export const FUSE_IOCTL_COMPAT = 1 << 0;
export const FUSE_IOCTL_UNRESTRICTED = 1 << 1;
export const FUSE_IOCTL_DIR = 1 << 4;

/** struct fuse_dirent: a READDIR reply is a run of these, each padded to 8 bytes. */
export const DIRENT = { nameOffset: 24, ino: 0, off: 8, namelen: 16, type: 20 } as const;
/** d_type values (<dirent.h>). */
export const DT_DIR = 4;
export const DT_REG = 8;

export const READ_IN = { size: 40, fh: 0, offset: 8, size_: 16 } as const;
export const WRITE_IN = { size: 40, fh: 0, offset: 8, size_: 16 } as const;
export const POLL_IN = { size: 24, fh: 0, kh: 8, flags: 16, events: 20 } as const;

export const STATFS_OUT = {
  size: 80,
  blocks: 0,
  bfree: 8,
  bavail: 16,
  files: 24,
  ffree: 32,
  bsize: 40,
  namelen: 44,
  frsize: 48,
} as const;

/** Where an IOCTL request's in-data starts, and where a reply's out-data starts. */
export const IOCTL_IN_DATA = IN_HEADER.size + IOCTL_IN.size;
export const IOCTL_OUT_DATA = OUT_HEADER.size + IOCTL_OUT.size;

/** st_mode bits for GETATTR/LOOKUP replies. */
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
