// Finding the thread that is blocked inside one particular ioctl. /proc/self/task/<tid>/syscall
// shows the system call a sleeping thread is in with its arguments; every wait the suite starts
// has its own args struct, so (fd, cmd, struct address) names exactly one wait. A thread in
// state S (interruptible sleep) inside that call has queued itself: on the kernel driver that
// is the wait's own sleep, on a FUSE/CUSE device it is the request waiting for its answer,
// which the daemon reads in order.
import { readdirSync, readFileSync } from 'node:fs';

export interface ThreadInSyscall {
  tid: number;
  /** Scheduler state letter from /proc/<tid>/stat: S, R, D, ... */
  state: string;
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the thread ended between readdir and read
  }
}

/** The thread currently inside ioctl(fd, cmd, arg), if any. */
export function findThreadInIoctl(fd: number, cmd: number, arg: number): ThreadInSyscall | undefined {
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return undefined;
  }
  for (const task of tasks) {
    const line = readOrUndefined(`/proc/self/task/${task}/syscall`);
    if (!line || line.startsWith('running') || line.startsWith('-1')) continue;
    // "<nr> <arg1> <arg2> ... <sp> <pc>", arguments in hex. The syscall number differs by
    // architecture; the three arguments do not.
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4) continue;
    try {
      if (BigInt(fields[1]) !== BigInt(fd >>> 0)) continue;
      if ((BigInt(fields[2]) & 0xffffffffn) !== BigInt(cmd >>> 0)) continue;
      if (BigInt(fields[3]) !== BigInt(arg)) continue;
    } catch {
      continue;
    }
    const stat = readOrUndefined(`/proc/self/task/${task}/stat`);
    if (!stat) continue;
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return { tid: Number(task), state };
  }
  return undefined;
}
