// Puts the launcher's main thread under the CREATE trap. Only this thread gets the filter (no
// TSYNC): it is the thread child_process forks from, so every command inherits it, while
// Node's other threads stay unfiltered. The launcher itself must then never issue a CREATE
// ioctl (it would wait for its own answer); it never does.
import { release } from 'node:os';
import { O_CLOEXEC, sysClose } from '../sys/io';
import { setChildSubreaper, setNoNewPrivs } from '../sys/prctl';
import {
  SECCOMP_ADDFD_FLAG_SEND,
  SECCOMP_FILTER_FLAG_NEW_LISTENER,
  seccompNotifAddFd,
  seccompSetModeFilter,
} from '../sys/seccomp';
import { buildCreateTrapFilter, type SyscallAbi } from './create-filter';
import { errnoName, LauncherError } from './launcher-error';

const EINVAL = 22;
const EBUSY = 16;
const ENOSYS = 38;
const ENOENT = 2;
const EACCES = 13;

const KERNEL_NEEDS =
  'ntsync-run needs Linux 5.14 or newer: seccomp user notification (5.0), SECCOMP_IOCTL_NOTIF_ADDFD (5.9) ' +
  'and SECCOMP_ADDFD_FLAG_SEND (5.14)';

/** Another seccomp listener already watches this process (one per process is the limit). */
export class ListenerBusyError extends LauncherError {}

/** Makes this process a child subreaper and returns the seccomp listener fd. */
export function installCreateTrap(abis: readonly SyscallAbi[]): number {
  let r = setChildSubreaper(true);
  if (r < 0) throw new LauncherError(`cannot become a child subreaper (prctl: ${errnoName(-r)}); ${KERNEL_NEEDS}.`);
  // Without it an unprivileged process may not install a filter; it also keeps setuid programs
  // from gaining privileges under a filter they did not expect.
  r = setNoNewPrivs();
  if (r < 0) throw new LauncherError(`cannot set no_new_privs (prctl: ${errnoName(-r)}).`);

  const listener = seccompSetModeFilter(buildCreateTrapFilter(abis), SECCOMP_FILTER_FLAG_NEW_LISTENER);
  if (listener === -EBUSY) throw new ListenerBusyError(filterFailure(EBUSY));
  if (listener < 0) throw new LauncherError(filterFailure(-listener));

  // An ADDFD with SEND for a notification that cannot exist: a kernel that knows both answers
  // ENOENT; one without ADDFD (before 5.9) or without SEND (before 5.14) says EINVAL. Finding
  // out now beats failing the program's first CREATE.
  const probe = seccompNotifAddFd(listener, 0n, listener, SECCOMP_ADDFD_FLAG_SEND, O_CLOEXEC);
  if (probe !== -ENOENT) {
    sysClose(listener);
    throw new LauncherError(
      probe === -EINVAL
        ? `this kernel (${release()}) cannot inject fds with SECCOMP_ADDFD_FLAG_SEND; ${KERNEL_NEEDS}.`
        : `probing seccomp fd injection failed unexpectedly (${errnoName(-probe)}).`,
    );
  }
  return listener;
}

function filterFailure(errno: number): string {
  switch (errno) {
    case EINVAL:
      return `this kernel (${release()}) has no seccomp user notification (SECCOMP_FILTER_FLAG_NEW_LISTENER); ${KERNEL_NEEDS}.`;
    case EBUSY:
      return (
        'this process already runs under a seccomp supervisor (a kernel allows one listener per process), ' +
        'for example inside another ntsync-run or a container manager that uses seccomp notification. ' +
        'Run ntsync-run outside it, or leave it out if the outer one already serves ntsync.'
      );
    case ENOSYS:
      return `this kernel (${release()}) was built without seccomp filters (CONFIG_SECCOMP_FILTER); ${KERNEL_NEEDS}.`;
    case EACCES:
      return 'the kernel refused the seccomp filter (no_new_privs is not set).';
    default:
      return `installing the seccomp filter failed (${errnoName(errno)}).`;
  }
}
