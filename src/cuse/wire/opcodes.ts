// FUSE and CUSE request opcodes (include/uapi/linux/fuse.h, enum fuse_opcode).
export const FUSE_LOOKUP = 1;
export const FUSE_FORGET = 2; // no reply
export const FUSE_GETATTR = 3;
export const FUSE_SETATTR = 4;
export const FUSE_READLINK = 5;
export const FUSE_SYMLINK = 6;
export const FUSE_MKNOD = 8;
export const FUSE_MKDIR = 9;
export const FUSE_UNLINK = 10;
export const FUSE_RMDIR = 11;
export const FUSE_RENAME = 12;
export const FUSE_LINK = 13;
export const FUSE_OPEN = 14;
export const FUSE_READ = 15;
export const FUSE_WRITE = 16;
export const FUSE_STATFS = 17;
export const FUSE_RELEASE = 18;
export const FUSE_FSYNC = 20;
export const FUSE_SETXATTR = 21;
export const FUSE_GETXATTR = 22;
export const FUSE_LISTXATTR = 23;
export const FUSE_REMOVEXATTR = 24;
export const FUSE_FLUSH = 25;
export const FUSE_INIT = 26;
export const FUSE_OPENDIR = 27;
export const FUSE_READDIR = 28;
export const FUSE_RELEASEDIR = 29;
export const FUSE_FSYNCDIR = 30;
export const FUSE_GETLK = 31;
export const FUSE_SETLK = 32;
export const FUSE_SETLKW = 33;
export const FUSE_ACCESS = 34;
export const FUSE_CREATE = 35;
export const FUSE_INTERRUPT = 36; // no reply
export const FUSE_BMAP = 37;
export const FUSE_DESTROY = 38;
export const FUSE_IOCTL = 39;
export const FUSE_POLL = 40;
export const FUSE_NOTIFY_REPLY = 41; // no reply
export const FUSE_BATCH_FORGET = 42; // no reply
export const FUSE_FALLOCATE = 43;
export const FUSE_READDIRPLUS = 44;
export const FUSE_RENAME2 = 45;
export const FUSE_LSEEK = 46;
export const FUSE_COPY_FILE_RANGE = 47;
export const FUSE_SETUPMAPPING = 48;
export const FUSE_REMOVEMAPPING = 49;
export const FUSE_SYNCFS = 50;
export const FUSE_TMPFILE = 51;
export const FUSE_STATX = 52;
export const CUSE_INIT = 4096;

/** Requests the kernel sends without waiting for an answer: replying to them is an error. */
export function expectsReply(opcode: number): boolean {
  return opcode !== FUSE_FORGET && opcode !== FUSE_INTERRUPT && opcode !== FUSE_BATCH_FORGET && opcode !== FUSE_NOTIFY_REPLY;
}

const NAMES: Record<number, string> = {
  [FUSE_LOOKUP]: 'LOOKUP',
  [FUSE_FORGET]: 'FORGET',
  [FUSE_GETATTR]: 'GETATTR',
  [FUSE_SETATTR]: 'SETATTR',
  [FUSE_READLINK]: 'READLINK',
  [FUSE_SYMLINK]: 'SYMLINK',
  [FUSE_MKNOD]: 'MKNOD',
  [FUSE_MKDIR]: 'MKDIR',
  [FUSE_UNLINK]: 'UNLINK',
  [FUSE_RMDIR]: 'RMDIR',
  [FUSE_RENAME]: 'RENAME',
  [FUSE_LINK]: 'LINK',
  [FUSE_OPEN]: 'OPEN',
  [FUSE_READ]: 'READ',
  [FUSE_WRITE]: 'WRITE',
  [FUSE_STATFS]: 'STATFS',
  [FUSE_RELEASE]: 'RELEASE',
  [FUSE_FSYNC]: 'FSYNC',
  [FUSE_SETXATTR]: 'SETXATTR',
  [FUSE_GETXATTR]: 'GETXATTR',
  [FUSE_LISTXATTR]: 'LISTXATTR',
  [FUSE_REMOVEXATTR]: 'REMOVEXATTR',
  [FUSE_FLUSH]: 'FLUSH',
  [FUSE_INIT]: 'INIT',
  [FUSE_OPENDIR]: 'OPENDIR',
  [FUSE_READDIR]: 'READDIR',
  [FUSE_RELEASEDIR]: 'RELEASEDIR',
  [FUSE_FSYNCDIR]: 'FSYNCDIR',
  [FUSE_GETLK]: 'GETLK',
  [FUSE_SETLK]: 'SETLK',
  [FUSE_SETLKW]: 'SETLKW',
  [FUSE_ACCESS]: 'ACCESS',
  [FUSE_CREATE]: 'CREATE',
  [FUSE_INTERRUPT]: 'INTERRUPT',
  [FUSE_BMAP]: 'BMAP',
  [FUSE_DESTROY]: 'DESTROY',
  [FUSE_IOCTL]: 'IOCTL',
  [FUSE_POLL]: 'POLL',
  [FUSE_NOTIFY_REPLY]: 'NOTIFY_REPLY',
  [FUSE_BATCH_FORGET]: 'BATCH_FORGET',
  [FUSE_FALLOCATE]: 'FALLOCATE',
  [FUSE_READDIRPLUS]: 'READDIRPLUS',
  [FUSE_RENAME2]: 'RENAME2',
  [FUSE_LSEEK]: 'LSEEK',
  [FUSE_COPY_FILE_RANGE]: 'COPY_FILE_RANGE',
  [FUSE_SETUPMAPPING]: 'SETUPMAPPING',
  [FUSE_REMOVEMAPPING]: 'REMOVEMAPPING',
  [FUSE_SYNCFS]: 'SYNCFS',
  [FUSE_TMPFILE]: 'TMPFILE',
  [FUSE_STATX]: 'STATX',
  [CUSE_INIT]: 'CUSE_INIT',
};

/** For log lines: the opcode's name, or its number. */
export function opcodeName(opcode: number): string {
  return NAMES[opcode] ?? `opcode ${opcode}`;
}
