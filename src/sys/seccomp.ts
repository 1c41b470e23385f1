// seccomp(2) with a user-notification listener, and the listener's ioctls
// (include/uapi/linux/seccomp.h). glibc has no seccomp() wrapper; prctl(PR_SET_SECCOMP) takes
// no flags, so the raw syscall is used.
import { endianness } from 'node:os';
import { ioc, ior, IOC_READ, IOC_WRITE, iow } from '../ioctl/ioc';
import { koffi, libc, lastErrno } from './libc';

const c_syscall = libc.func('long syscall(long nr, ...)');
const c_ioctl_buf = libc.func('int ioctl(int fd, unsigned long cmd, _Inout_ uint8_t *arg)');
const c_poll = libc.func('int poll(_Inout_ uint8_t *fds, unsigned long nfds, int timeout)');

/** seccomp(2)'s number differs per architecture (the asm-generic table says 277). */
const SYS_SECCOMP: Record<string, number> = { x64: 317, arm64: 277, riscv64: 277, loong64: 277 };

export const SECCOMP_SET_MODE_FILTER = 1;
export const SECCOMP_FILTER_FLAG_NEW_LISTENER = 1 << 3;

export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_USER_NOTIF = 0x7fc00000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;

/** Response flag (5.5+): let the kernel run the syscall as if no filter had trapped it. */
export const SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1;
/** ADDFD flags: SETFD (5.9+) picks the target number; SEND (5.14+) also answers with it. */
export const SECCOMP_ADDFD_FLAG_SETFD = 1;
export const SECCOMP_ADDFD_FLAG_SEND = 2;

/** struct seccomp_data offsets. */
export const SECCOMP_DATA_NR = 0;
export const SECCOMP_DATA_ARCH = 4;
export const SECCOMP_DATA_ARGS = 16;

export const SECCOMP_NOTIF_SIZE = 80; // u64 id, u32 pid, u32 flags, seccomp_data (64)
export const SECCOMP_NOTIF_RESP_SIZE = 24; // u64 id, s64 val, s32 error, u32 flags
export const SECCOMP_NOTIF_ADDFD_SIZE = 24; // u64 id, u32 flags, srcfd, newfd, newfd_flags

const SECCOMP_IOC_MAGIC = 0x21; // '!'
export const SECCOMP_IOCTL_NOTIF_RECV = ioc(IOC_READ | IOC_WRITE, SECCOMP_IOC_MAGIC, 0, SECCOMP_NOTIF_SIZE);
export const SECCOMP_IOCTL_NOTIF_SEND = ioc(IOC_READ | IOC_WRITE, SECCOMP_IOC_MAGIC, 1, SECCOMP_NOTIF_RESP_SIZE);
/**
 * ID_VALID was first defined with the wrong direction (_IOR); kernels since 5.17 accept both
 * numbers, older ones only this one, so this is the one to send.
 */
export const SECCOMP_IOCTL_NOTIF_ID_VALID = ior(SECCOMP_IOC_MAGIC, 2, 8);
export const SECCOMP_IOCTL_NOTIF_ADDFD = iow(SECCOMP_IOC_MAGIC, 3, SECCOMP_NOTIF_ADDFD_SIZE);

const LE = endianness() === 'LE'; // kernel structs are native-endian

function check(r: number | bigint): number {
  const n = Number(r);
  return n < 0 ? -lastErrno() : n;
}

function seccompSyscallNumber(): number {
  const nr = SYS_SECCOMP[process.arch];
  if (nr === undefined) throw new Error(`seccomp(2) syscall number unknown for ${process.arch}`);
  return nr;
}

/**
 * Installs a classic-BPF filter (`program`: struct sock_filter[], 8 bytes each) on the calling
 * thread only (no TSYNC), with `flags`. Returns the listener fd when NEW_LISTENER is among the
 * flags, 0 otherwise, or -errno.
 */
export function seccompSetModeFilter(program: Uint8Array, flags: number): number {
  const instructions = program.length / 8;
  const native = koffi.alloc('uint8_t', program.length);
  try {
    new Uint8Array(koffi.view(native, program.length)).set(program);
    const fprog = new Uint8Array(16); // struct sock_fprog { u16 len; <pad>; sock_filter *filter; }
    const view = new DataView(fprog.buffer);
    view.setUint16(0, instructions, LE);
    view.setBigUint64(8, koffi.address(native), LE);
    return check(
      c_syscall(seccompSyscallNumber(), 'unsigned int', SECCOMP_SET_MODE_FILTER, 'unsigned int', flags, 'uint8_t *', fprog),
    );
  } finally {
    koffi.free(native);
  }
}

/** A received notification, decoded. */
export interface SeccompNotif {
  id: bigint;
  /** The calling thread's id, in this process's pid namespace (0 if it is not visible). */
  pid: number;
  nr: number;
  arch: number;
  args: bigint[];
}

export function newSeccompNotif(): SeccompNotif {
  return { id: 0n, pid: 0, nr: 0, arch: 0, args: [0n, 0n, 0n, 0n, 0n, 0n] };
}

const notifBuf = new Uint8Array(SECCOMP_NOTIF_SIZE);
const notifView = new DataView(notifBuf.buffer);

/**
 * Receives one notification into `out`; 0 or -errno. Blocks while none is pending, so call it
 * only when the listener polls readable. -ENOENT: the caller went away (killed, or its syscall
 * was interrupted) between the poll and this call; just poll again.
 */
export function seccompNotifRecv(listener: number, out: SeccompNotif): number {
  notifBuf.fill(0); // the kernel refuses a buffer that is not zeroed (EINVAL)
  const r = check(c_ioctl_buf(listener, SECCOMP_IOCTL_NOTIF_RECV, notifBuf));
  if (r < 0) return r;
  out.id = notifView.getBigUint64(0, LE);
  out.pid = notifView.getUint32(8, LE);
  out.nr = notifView.getInt32(16 + SECCOMP_DATA_NR, LE);
  out.arch = notifView.getUint32(16 + SECCOMP_DATA_ARCH, LE);
  for (let i = 0; i < 6; i++) out.args[i] = notifView.getBigUint64(16 + SECCOMP_DATA_ARGS + 8 * i, LE);
  return 0;
}

const respBuf = new Uint8Array(SECCOMP_NOTIF_RESP_SIZE);
const respView = new DataView(respBuf.buffer);

/**
 * Answers notification `id`: the syscall returns `val`, or fails with `errno` when non-zero,
 * or (flags CONTINUE, val and errno 0) runs for real. 0 or -errno; -ENOENT means the caller
 * is gone (nothing left to answer).
 */
export function seccompNotifSend(listener: number, id: bigint, val: number, errno: number, flags: number): number {
  respView.setBigUint64(0, id, LE);
  respView.setBigInt64(8, BigInt(val), LE);
  respView.setInt32(16, errno === 0 ? 0 : -Math.abs(errno), LE);
  respView.setUint32(20, flags, LE);
  return check(c_ioctl_buf(listener, SECCOMP_IOCTL_NOTIF_SEND, respBuf));
}

const addfdBuf = new Uint8Array(SECCOMP_NOTIF_ADDFD_SIZE);
const addfdView = new DataView(addfdBuf.buffer);

/**
 * Installs a duplicate of our `srcFd` in the caller of notification `id`, with `newFdFlags`
 * (O_CLOEXEC or 0). Returns the fd number in the caller, or -errno. With
 * SECCOMP_ADDFD_FLAG_SEND that number is also the syscall's result and the notification is
 * answered; if installing fails the notification is still pending and must be answered.
 */
export function seccompNotifAddFd(listener: number, id: bigint, srcFd: number, flags: number, newFdFlags: number, newFd = 0): number {
  addfdView.setBigUint64(0, id, LE);
  addfdView.setUint32(8, flags, LE);
  addfdView.setUint32(12, srcFd, LE);
  addfdView.setUint32(16, newFd, LE);
  addfdView.setUint32(20, newFdFlags, LE);
  return check(c_ioctl_buf(listener, SECCOMP_IOCTL_NOTIF_ADDFD, addfdBuf));
}

const idBuf = new Uint8Array(8);
const idView = new DataView(idBuf.buffer);

/** 0 while notification `id` is still waiting for its answer, -ENOENT once it is not. */
export function seccompNotifIdValid(listener: number, id: bigint): number {
  idView.setBigUint64(0, id, LE);
  return check(c_ioctl_buf(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, idBuf));
}

const pollBuf = new Uint8Array(8); // struct pollfd { int fd; short events; short revents; }
const pollView = new DataView(pollBuf.buffer);
const POLLIN = 0x1;

/** Whether a notification is waiting on `listener` right now (a zero-timeout poll). */
export function seccompListenerReady(listener: number): boolean {
  pollView.setInt32(0, listener, LE);
  pollView.setInt16(4, POLLIN, LE);
  pollView.setInt16(6, 0, LE);
  const r = c_poll(pollBuf, 1, 0);
  return r > 0 && (pollView.getInt16(6, LE) & POLLIN) !== 0;
}
