// waitid(2), for reaping the orphans a child subreaper adopts without touching the child that
// libuv (child_process) waits for itself: WNOWAIT peeks at a zombie without reaping it.
import { endianness } from 'node:os';
import { libc, lastErrno } from './libc';

const c_waitid = libc.func('int waitid(int idtype, int id, _Out_ uint8_t *info, int options)');

export const P_ALL = 0;
export const P_PID = 1;
export const WNOHANG = 1;
export const WEXITED = 4;
export const WNOWAIT = 0x01000000;

export const CLD_EXITED = 1;
export const CLD_KILLED = 2;
export const CLD_DUMPED = 3;

const SIGINFO_SIZE = 128;
// siginfo_t for SIGCHLD: si_signo, si_errno, si_code, then (after alignment to 8 on 64-bit
// hosts) si_pid, si_uid, si_status.
const SI_CODE = 8;
const SI_PID = 16;
const SI_STATUS = 24;

const info = new Uint8Array(SIGINFO_SIZE);
const view = new DataView(info.buffer);
const LE = endianness() === 'LE';

export interface ChildState {
  /** 0 when WNOHANG found no child in a waitable state. */
  pid: number;
  /** CLD_EXITED, CLD_KILLED, CLD_DUMPED... */
  code: number;
  /** Exit status for CLD_EXITED, signal number otherwise. */
  status: number;
}

/** waitid(idtype, id, options) into `out`; 0 or -errno (-ECHILD: no such children at all). */
export function waitId(idtype: number, id: number, options: number, out: ChildState): number {
  info.fill(0); // with WNOHANG and nothing ready the kernel leaves si_pid untouched
  const r = c_waitid(idtype, id, info, options);
  if (r < 0) return -lastErrno();
  out.pid = view.getInt32(SI_PID, LE);
  out.code = view.getInt32(SI_CODE, LE);
  out.status = view.getInt32(SI_STATUS, LE);
  return 0;
}
