// prctl(2) options the launcher needs. glibc declares prctl variadic, so it is bound that way:
// the extra arguments are passed with explicit types.
import { libc, lastErrno } from './libc';

const c_prctl = libc.func('int prctl(int option, ...)');

export const PR_SET_CHILD_SUBREAPER = 36;
export const PR_SET_NO_NEW_PRIVS = 38;

function check(r: number): number {
  return r < 0 ? -lastErrno() : r;
}

/** Required before an unprivileged seccomp filter; inherited by every child and kept across exec. */
export function setNoNewPrivs(): number {
  return check(c_prctl(PR_SET_NO_NEW_PRIVS, 'unsigned long', 1, 'unsigned long', 0, 'unsigned long', 0, 'unsigned long', 0));
}

/** Orphaned descendants are re-parented to this process instead of init. */
export function setChildSubreaper(on: boolean): number {
  return check(c_prctl(PR_SET_CHILD_SUBREAPER, 'unsigned long', on ? 1 : 0, 'unsigned long', 0, 'unsigned long', 0, 'unsigned long', 0));
}
