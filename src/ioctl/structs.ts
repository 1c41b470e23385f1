// The four uapi structs of include/uapi/linux/ntsync.h as plain data with encoders and
// decoders. No implicit padding anywhere, so the layouts are the same on x86_64, i386 and arm64.
import { getU32, getU64, putU32, putU64 } from './bytes';

export interface SemArgs {
  count: number;
  max: number;
}
export interface MutexArgs {
  owner: number;
  count: number;
}
/** Header order: manual first (the .rst documentation has it the other way round). */
export interface EventArgs {
  manual: number;
  signaled: number;
}
export interface WaitArgs {
  timeout: bigint;
  objs: bigint;
  count: number;
  index: number;
  flags: number;
  owner: number;
  alert: number;
  pad: number;
}

/** Byte offsets inside struct ntsync_wait_args (40 bytes, 8-aligned). */
export const WAIT_OFF = {
  timeout: 0,
  objs: 8,
  count: 16,
  index: 20,
  flags: 24,
  owner: 28,
  alert: 32,
  pad: 36,
} as const;
/** The prefix of the wait struct a completed wait writes back: everything up to `index`. */
export const WAIT_REPLY_SIZE = WAIT_OFF.index + 4;

export function encodeSemArgs(args: SemArgs, buf = new Uint8Array(8), off = 0): Uint8Array {
  putU32(buf, off, args.count);
  putU32(buf, off + 4, args.max);
  return buf;
}
export function decodeSemArgs(buf: Uint8Array, off = 0): SemArgs {
  return { count: getU32(buf, off), max: getU32(buf, off + 4) };
}

export function encodeMutexArgs(args: MutexArgs, buf = new Uint8Array(8), off = 0): Uint8Array {
  putU32(buf, off, args.owner);
  putU32(buf, off + 4, args.count);
  return buf;
}
export function decodeMutexArgs(buf: Uint8Array, off = 0): MutexArgs {
  return { owner: getU32(buf, off), count: getU32(buf, off + 4) };
}

export function encodeEventArgs(args: EventArgs, buf = new Uint8Array(8), off = 0): Uint8Array {
  putU32(buf, off, args.manual);
  putU32(buf, off + 4, args.signaled);
  return buf;
}
export function decodeEventArgs(buf: Uint8Array, off = 0): EventArgs {
  return { manual: getU32(buf, off), signaled: getU32(buf, off + 4) };
}

export function encodeWaitArgs(args: WaitArgs, buf = new Uint8Array(40), off = 0): Uint8Array {
  putU64(buf, off + WAIT_OFF.timeout, args.timeout);
  putU64(buf, off + WAIT_OFF.objs, args.objs);
  putU32(buf, off + WAIT_OFF.count, args.count);
  putU32(buf, off + WAIT_OFF.index, args.index);
  putU32(buf, off + WAIT_OFF.flags, args.flags);
  putU32(buf, off + WAIT_OFF.owner, args.owner);
  putU32(buf, off + WAIT_OFF.alert, args.alert);
  putU32(buf, off + WAIT_OFF.pad, args.pad);
  return buf;
}
export function decodeWaitArgs(buf: Uint8Array, off = 0): WaitArgs {
  return {
    timeout: getU64(buf, off + WAIT_OFF.timeout),
    objs: getU64(buf, off + WAIT_OFF.objs),
    count: getU32(buf, off + WAIT_OFF.count),
    index: getU32(buf, off + WAIT_OFF.index),
    flags: getU32(buf, off + WAIT_OFF.flags),
    owner: getU32(buf, off + WAIT_OFF.owner),
    alert: getU32(buf, off + WAIT_OFF.alert),
    pad: getU32(buf, off + WAIT_OFF.pad),
  };
}
