// errno numbers as names, for reports a person can read: "expected EINVAL (22), got ENOTTY (25)".
// Linux asm-generic numbering (x86_64, arm64, riscv).
const NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 5: 'EIO', 6: 'ENXIO', 7: 'E2BIG', 9: 'EBADF',
  11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES', 14: 'EFAULT', 16: 'EBUSY', 17: 'EEXIST', 19: 'ENODEV',
  20: 'ENOTDIR', 21: 'EISDIR', 22: 'EINVAL', 23: 'ENFILE', 24: 'EMFILE', 25: 'ENOTTY', 28: 'ENOSPC',
  29: 'ESPIPE', 32: 'EPIPE', 34: 'ERANGE', 38: 'ENOSYS', 61: 'ENODATA', 75: 'EOVERFLOW',
  95: 'EOPNOTSUPP', 103: 'ECONNABORTED', 107: 'ENOTCONN', 110: 'ETIMEDOUT', 125: 'ECANCELED',
  130: 'EOWNERDEAD', 512: 'ERESTARTSYS', 515: 'ENOIOCTLCMD',
};

export function errnoName(errno: number): string {
  return NAMES[errno] ?? `errno ${errno}`;
}

/** "EINVAL (22)" */
export function describeErrno(errno: number): string {
  return `${errnoName(errno)} (${errno})`;
}

/** A raw call result in words: "EINVAL (22)" for -22, "success (3)" for 3. */
export function describeResult(ret: number): string {
  return ret < 0 ? describeErrno(-ret) : `success (${ret})`;
}
