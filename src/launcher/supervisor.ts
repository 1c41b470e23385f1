// The seccomp supervisor: answers every trapped ioctl(fd, NTSYNC_IOC_CREATE_*) of the
// supervised processes. It runs on the launcher's event loop, woken by a libuv watcher on the
// listener fd, so it never blocks waiting for notifications; each one is answered before the
// next is taken. An unanswered notification would hang its caller for good, so every path ends
// in exactly one answer: the new fd (ADDFD with SEND), an error, or CONTINUE.
import { koffi } from '../sys/libc';
import { EFAULT, EINVAL, EPERM } from '../core/errno';
import { ObjectType } from '../core/types';
import { NTSYNC_IOC_CREATE_EVENT, NTSYNC_IOC_CREATE_MUTEX, NTSYNC_IOC_CREATE_SEM } from '../ioctl/numbers';
import { O_CLOEXEC, sysClose } from '../sys/io';
import { pidfdGetfd } from '../sys/pidfd';
import { ProcessMemoryReader } from '../sys/process-memory';
import {
  newSeccompNotif,
  SECCOMP_ADDFD_FLAG_SEND,
  SECCOMP_USER_NOTIF_FLAG_CONTINUE,
  seccompListenerReady,
  seccompNotifAddFd,
  seccompNotifIdValid,
  seccompNotifRecv,
  seccompNotifSend,
  type SeccompNotif,
} from '../sys/seccomp';
import { openCallerPidfd } from './caller-pidfd';
import { abiIs64Bit, isTrappedIoctl, type SyscallAbi } from './create-filter';
import { errnoName } from './launcher-error';
import type { ObjectBackend } from './object-backend';

const ESRCH = 3;
const ENOENT = 2;
const EBADF = 9;
const EIO = 5;
const EINTR = 4;

const CREATE_ARGS_SIZE = 8;
const INT32_MAX = 0x7fffffff;

/** The object type each trapped cmd creates. */
const CREATE_TYPES = new Map<number, ObjectType>([
  [NTSYNC_IOC_CREATE_SEM, ObjectType.Semaphore],
  [NTSYNC_IOC_CREATE_MUTEX, ObjectType.Mutex],
  [NTSYNC_IOC_CREATE_EVENT, ObjectType.Event],
]);

/** How one notification is answered. */
export type Answer =
  | { kind: 'continue' }
  | { kind: 'error'; errno: number }
  /** `fd` is ours: a duplicate goes to the caller as the ioctl's result, then it is closed. */
  | { kind: 'fd'; fd: number };

const CONTINUE: Answer = { kind: 'continue' };
const fail = (errno: number): Answer => ({ kind: 'error', errno });
/**
 * The caller seems gone (killed, or interrupted and about to restart the syscall). It is still
 * answered: if it is really gone the kernel just says ENOENT, and if it is not, it must not hang.
 */
const GONE: Answer = fail(ESRCH);

export class Supervisor {
  private readonly notif: SeccompNotif = newSeccompNotif();
  private readonly args = new Uint8Array(CREATE_ARGS_SIZE);
  private readonly memory = new ProcessMemoryReader(64);
  private watcher: ReturnType<typeof koffi.node.poll> | null = null;
  private ptraceWarned = false;

  constructor(
    private readonly listener: number,
    private readonly abis: readonly SyscallAbi[],
    private readonly backend: ObjectBackend,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    // koffi's libuv poll handle; its callback gets (status, events), status < 0 on error.
    this.watcher = koffi.node.poll(this.listener, { readable: true }, ((status: number) => {
      if (status < 0) {
        this.log(`polling the seccomp listener failed (libuv status ${status})`);
        return;
      }
      this.drain();
    }) as never);
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = null;
  }

  /**
   * Answers what is pending now. The zero-timeout poll before each RECV matters: RECV blocks
   * while nothing is pending, and a caller killed after the wake-up takes its notification away.
   */
  drain(): void {
    while (seccompListenerReady(this.listener)) {
      const r = seccompNotifRecv(this.listener, this.notif);
      if (r === -ENOENT || r === -EINTR) continue;
      if (r < 0) {
        this.log(`receiving a seccomp notification failed (${errnoName(-r)})`);
        return;
      }
      const id = this.notif.id;
      try {
        this.deliver(id, this.answerSafely(this.notif));
      } catch (error) {
        this.log(`internal error while answering a seccomp notification; it fails with EIO: ${String(error)}`);
        this.send(id, 0, EIO, 0);
      }
    }
  }

  private answerSafely(n: SeccompNotif): Answer {
    try {
      return this.answer(n);
    } catch (error) {
      this.log(`internal error while answering a CREATE ioctl of thread ${n.pid}; it fails with EIO: ${String(error)}`);
      return fail(EIO);
    }
  }

  /** Decides the answer to one notification. Every fd it opens is closed before it returns. */
  private answer(n: SeccompNotif): Answer {
    const cmd = Number(n.args[1]! & 0xffffffffn);
    const type = CREATE_TYPES.get(cmd);
    if (type === undefined || !isTrappedIoctl(this.abis, n.arch, n.nr)) return CONTINUE;
    const fdLow = Number(n.args[0]! & 0xffffffffn);
    if (fdLow > INT32_MAX) return CONTINUE; // not an fd number at all: the kernel says EBADF
    const pointer = abiIs64Bit(n.arch) ? n.args[2]! : n.args[2]! & 0xffffffffn;

    if (n.pid === 0) return this.cannotInspect(n, -ESRCH); // outside our pid namespace
    const pidfd = openCallerPidfd(n.pid);
    if (pidfd < 0) return pidfd === -ESRCH || pidfd === -ENOENT ? GONE : this.cannotInspect(n, pidfd);
    let copy = -1;
    try {
      // The thread id in the notification could have been reused by the time the pidfd was
      // opened; while the notification is still pending, the thread is still blocked in it.
      if (seccompNotifIdValid(this.listener, n.id) < 0) return GONE;
      copy = pidfdGetfd(pidfd, fdLow);
      if (copy === -EBADF) return CONTINUE; // no such fd in the caller: the kernel says EBADF
      if (copy === -ESRCH) return GONE;
      if (copy < 0) return this.cannotInspect(n, copy);
      if (!this.backend.owns(copy)) return CONTINUE;

      const read = this.memory.read(n.pid, pointer, CREATE_ARGS_SIZE, this.args);
      if (read === -ESRCH) return GONE;
      if (read < 0) return fail(read === -EPERM ? EPERM : EFAULT);
      const created = this.backend.create(copy, type, this.args);
      return created < 0 ? fail(-created) : { kind: 'fd', fd: created };
    } finally {
      if (copy >= 0) sysClose(copy);
      sysClose(pidfd);
    }
  }

  /**
   * We may not look into the caller (ptrace rights, pid namespace). Whether its fd is our device
   * cannot be told, so the kernel decides: right for the real driver, and ntsyncd refuses a CREATE
   * that reaches it without us.
   */
  private cannotInspect(n: SeccompNotif, errno: number): Answer {
    if (!this.ptraceWarned) {
      this.ptraceWarned = true;
      this.log(
        `cannot inspect thread ${n.pid} (${errnoName(-errno)}); its ntsync CREATE ioctls go to the kernel unchanged. ` +
          'ntsync-run needs ptrace access to the programs it runs: check kernel.yama.ptrace_scope (0 or 1) and that they run as your user.',
      );
    }
    return CONTINUE;
  }

  /** Sends the one answer for notification `id`; closes an fd answer's fd whatever happens. */
  private deliver(id: bigint, answer: Answer): void {
    switch (answer.kind) {
      case 'continue':
        this.send(id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
        return;
      case 'error':
        this.send(id, 0, answer.errno > 0 ? answer.errno : EINVAL, 0);
        return;
      case 'fd': {
        const injected = seccompNotifAddFd(this.listener, id, answer.fd, SECCOMP_ADDFD_FLAG_SEND, O_CLOEXEC);
        sysClose(answer.fd);
        // ENOENT: the caller is gone. ESRCH: it was interrupted before taking the fd, and its
        // syscall restarts as a new notification. Anything else (EMFILE in the caller, say)
        // leaves the notification pending: it still needs its answer.
        if (injected < 0 && injected !== -ENOENT && injected !== -ESRCH) this.send(id, 0, -injected, 0);
        return;
      }
    }
  }

  private send(id: bigint, val: number, errno: number, flags: number): void {
    const r = seccompNotifSend(this.listener, id, val, errno, flags);
    if (r < 0 && r !== -ENOENT) this.log(`answering a seccomp notification failed (${errnoName(-r)})`);
  }
}
