// Decoding of requests read from /dev/fuse or /dev/cuse into reusable plain records. Every
// decoder checks that the bytes it reads are inside the request, so a malformed request is
// reported (false / -1) and never read past its end.
import {
  BATCH_FORGET_IN,
  CUSE_INIT_IN,
  FORGET_IN,
  FORGET_ONE,
  INIT_IN,
  INTERRUPT_IN,
  IN_HEADER,
  IOCTL_IN,
  OPEN_IN,
  READ_IN,
} from './layout';
import { getU32 } from '../../ioctl/bytes';
import { getU64n } from './numbers';

export class InHeader {
  /** Total request length, header included. */
  len = 0;
  opcode = 0;
  unique = 0;
  nodeid = 0;
  uid = 0;
  gid = 0;
  /** The calling thread's id in our pid namespace; 0 for RELEASE/FORGET and outsiders. */
  pid = 0;
}

/** Reads the header of a request of `length` bytes. False when it is not a well-formed one. */
export function decodeInHeader(buf: Uint8Array, length: number, into: InHeader): boolean {
  if (length < IN_HEADER.size || length > buf.length) return false;
  into.len = getU32(buf, IN_HEADER.len);
  if (into.len !== length) return false;
  into.opcode = getU32(buf, IN_HEADER.opcode);
  into.unique = getU64n(buf, IN_HEADER.unique);
  into.nodeid = getU64n(buf, IN_HEADER.nodeid);
  into.uid = getU32(buf, IN_HEADER.uid);
  into.gid = getU32(buf, IN_HEADER.gid);
  into.pid = getU32(buf, IN_HEADER.pid);
  return true;
}

/** Bytes of request body available: the request length minus the header. */
function bodyLength(header: InHeader): number {
  return header.len - IN_HEADER.size;
}

const B = IN_HEADER.size;

export class InitIn {
  major = 0;
  minor = 0;
  maxReadahead = 0;
  flags = 0;
}

export function decodeInitIn(buf: Uint8Array, header: InHeader, into: InitIn): boolean {
  if (bodyLength(header) < INIT_IN.minSize) return false;
  into.major = getU32(buf, B + INIT_IN.major);
  into.minor = getU32(buf, B + INIT_IN.minor);
  into.maxReadahead = getU32(buf, B + INIT_IN.maxReadahead);
  into.flags = getU32(buf, B + INIT_IN.flags);
  return true;
}

export class CuseInitIn {
  major = 0;
  minor = 0;
  flags = 0;
}

export function decodeCuseInitIn(buf: Uint8Array, header: InHeader, into: CuseInitIn): boolean {
  if (bodyLength(header) < CUSE_INIT_IN.size) return false;
  into.major = getU32(buf, B + CUSE_INIT_IN.major);
  into.minor = getU32(buf, B + CUSE_INIT_IN.minor);
  into.flags = getU32(buf, B + CUSE_INIT_IN.flags);
  return true;
}

export class IoctlIn {
  fh = 0;
  flags = 0;
  /** The ioctl number as an unsigned 32-bit value. */
  cmd = 0;
  inSize = 0;
  outSize = 0;
}

/** The in-data (inSize bytes) follows the struct, at IOCTL_IN_DATA. */
export function decodeIoctlIn(buf: Uint8Array, header: InHeader, into: IoctlIn): boolean {
  const body = bodyLength(header);
  if (body < IOCTL_IN.size) return false;
  into.fh = getU64n(buf, B + IOCTL_IN.fh);
  into.flags = getU32(buf, B + IOCTL_IN.flags);
  into.cmd = getU32(buf, B + IOCTL_IN.cmd);
  into.inSize = getU32(buf, B + IOCTL_IN.inSize);
  into.outSize = getU32(buf, B + IOCTL_IN.outSize);
  return body >= IOCTL_IN.size + into.inSize;
}

export class OpenIn {
  /** open(2) flags, O_CREAT/O_EXCL/O_NOCTTY removed by the kernel. */
  flags = 0;
}

export function decodeOpenIn(buf: Uint8Array, header: InHeader, into: OpenIn): boolean {
  if (bodyLength(header) < OPEN_IN.size) return false;
  into.flags = getU32(buf, B + OPEN_IN.flags);
  return true;
}

/**
 * The file handle that leads the bodies of RELEASE, FLUSH, READ, WRITE and POLL, or -1 when
 * the body is shorter than that opcode's struct (`structSize`: RELEASE_IN.size, ...).
 */
export function decodeLeadingFh(buf: Uint8Array, header: InHeader, structSize: number): number {
  if (bodyLength(header) < structSize) return -1;
  return getU64n(buf, B);
}

export class ReadIn {
  fh = 0;
  offset = 0;
  size = 0;
}

export function decodeReadIn(buf: Uint8Array, header: InHeader, into: ReadIn): boolean {
  if (bodyLength(header) < READ_IN.size) return false;
  into.fh = getU64n(buf, B + READ_IN.fh);
  into.offset = getU64n(buf, B + READ_IN.offset);
  into.size = getU32(buf, B + READ_IN.size_);
  return true;
}

export function decodeForgetIn(buf: Uint8Array, header: InHeader): number {
  if (bodyLength(header) < FORGET_IN.size) return -1;
  return getU64n(buf, B + FORGET_IN.nlookup);
}

/** The number of fuse_forget_one entries present (the count field, capped by the length). */
export function decodeBatchForgetCount(buf: Uint8Array, header: InHeader): number {
  const body = bodyLength(header);
  if (body < BATCH_FORGET_IN.size) return -1;
  const count = getU32(buf, B + BATCH_FORGET_IN.count);
  const present = Math.floor((body - BATCH_FORGET_IN.size) / FORGET_ONE.size);
  return Math.min(count, present);
}

export function forgetOneNodeid(buf: Uint8Array, i: number): number {
  return getU64n(buf, B + BATCH_FORGET_IN.size + i * FORGET_ONE.size + FORGET_ONE.nodeid);
}

export function forgetOneNlookup(buf: Uint8Array, i: number): number {
  return getU64n(buf, B + BATCH_FORGET_IN.size + i * FORGET_ONE.size + FORGET_ONE.nlookup);
}

/** The `unique` of the request an INTERRUPT names, or -1. */
export function decodeInterruptIn(buf: Uint8Array, header: InHeader): number {
  if (bodyLength(header) < INTERRUPT_IN.size) return -1;
  return getU64n(buf, B + INTERRUPT_IN.unique);
}

/**
 * LOOKUP's body is a NUL-terminated name. Returns its length (without the NUL), or -1 when it
 * is empty or not terminated inside the request. The name starts at IN_HEADER.size.
 */
export function decodeLookupNameLength(buf: Uint8Array, header: InHeader): number {
  const end = header.len;
  for (let i = B; i < end; i++) {
    if (buf[i] === 0) return i === B ? -1 : i - B;
  }
  return -1;
}
