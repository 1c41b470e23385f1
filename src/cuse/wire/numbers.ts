// 64-bit protocol fields (unique, nodeid, fh, nlookup) as plain numbers: ours are counters far
// below 2^53, and the kernel's request ids grow by 2 per request. Avoiding BigInt here keeps
// the request path free of allocations.
import { getU32, putU32 } from '../../ioctl/bytes';

export function getU16(buf: Uint8Array, off: number): number {
  return buf[off] | (buf[off + 1] << 8);
}

export function putU16(buf: Uint8Array, off: number, value: number): void {
  buf[off] = value & 0xff;
  buf[off + 1] = (value >>> 8) & 0xff;
}

/** A u64 field as a number (exact below 2^53). */
export function getU64n(buf: Uint8Array, off: number): number {
  return getU32(buf, off) + getU32(buf, off + 4) * 0x100000000;
}

/** Writes a non-negative integer below 2^53 as a u64 field. */
export function putU64n(buf: Uint8Array, off: number, value: number): void {
  putU32(buf, off, value >>> 0);
  putU32(buf, off + 4, Math.floor(value / 0x100000000) >>> 0);
}
