// flock(2): the lock file that keeps two daemons from serving the same mount.
import { libc, lastErrno } from './libc';

const c_flock = libc.func('int flock(int fd, int operation)');

export const LOCK_EX = 2;
export const LOCK_NB = 4;

/** 0 or -errno (-EWOULDBLOCK when another process holds the lock). */
export function sysFlock(fd: number, operation: number): number {
  return c_flock(fd, operation) < 0 ? -lastErrno() : 0;
}
