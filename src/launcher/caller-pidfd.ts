// A pidfd for the thread that made a trapped syscall. seccomp reports the thread id; before
// Linux 6.9 (no PIDFD_THREAD) pidfd_open accepts only a thread-group leader, so the thread's
// group id is looked up instead. Both reach the same fd table and memory for the threads
// Wine creates.
import { readFileSync } from 'node:fs';
import { EINVAL } from '../core/errno';
import { pidfdOpen, PIDFD_THREAD } from '../sys/pidfd';

const ESRCH = 3;
let threadPidfds: boolean | undefined;

/** The thread group id of thread `tid`, or -ESRCH when it is gone. */
export function threadGroupOf(tid: number): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${tid}/status`, 'latin1');
  } catch {
    return -ESRCH;
  }
  const match = /^Tgid:\s*(\d+)$/m.exec(status);
  return match ? Number(match[1]) : -ESRCH;
}

/** The pre-6.9 way: a pidfd for the process that thread `tid` belongs to, or -errno. */
export function openThreadGroupPidfd(tid: number): number {
  const tgid = threadGroupOf(tid);
  return tgid < 0 ? tgid : pidfdOpen(tgid, 0);
}

/** A pidfd for thread `tid` (or its process on kernels before 6.9), or -errno. */
export function openCallerPidfd(tid: number): number {
  if (tid <= 0) return -ESRCH; // not visible from our pid namespace
  if (threadPidfds !== false) {
    const fd = pidfdOpen(tid, PIDFD_THREAD);
    if (fd >= 0) threadPidfds = true;
    if (fd !== -EINVAL) return fd;
    threadPidfds = false; // this kernel predates PIDFD_THREAD
  }
  return openThreadGroupPidfd(tid);
}
