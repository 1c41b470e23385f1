// pidfd_open(2) and pidfd_getfd(2). Both syscalls have the same number on every architecture
// (they postdate the unified syscall table), and glibc before 2.36 has no wrappers.
import { libc, lastErrno } from './libc';

const c_syscall = libc.func('long syscall(long nr, ...)');

const SYS_pidfd_open = 434;
const SYS_pidfd_getfd = 438;

/** pidfd_open flag (Linux 6.9+): the pidfd names one thread rather than a thread group. */
export const PIDFD_THREAD = 0o200; // O_EXCL

function check(r: number | bigint): number {
  const n = Number(r);
  return n < 0 ? -lastErrno() : n;
}

/** A close-on-exec pidfd for `pid`, or -errno. */
export function pidfdOpen(pid: number, flags: number): number {
  return check(c_syscall(SYS_pidfd_open, 'int', pid, 'unsigned int', flags));
}

/**
 * A close-on-exec duplicate, in this process, of fd `targetFd` of the process behind `pidfd`,
 * or -errno. Needs ptrace access (PTRACE_MODE_ATTACH_REALCREDS) to the target.
 */
export function pidfdGetfd(pidfd: number, targetFd: number): number {
  return check(c_syscall(SYS_pidfd_getfd, 'int', pidfd, 'int', targetFd, 'unsigned int', 0));
}
