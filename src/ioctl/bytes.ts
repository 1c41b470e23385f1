// Native-endian (little-endian on every architecture we accept) field access on plain byte
// arrays. Hand-rolled instead of DataView so the hot path creates no view objects.

export function getU32(buf: Uint8Array, off: number): number {
  return (buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24)) >>> 0;
}

export function getI32(buf: Uint8Array, off: number): number {
  return buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24);
}

export function getU64(buf: Uint8Array, off: number): bigint {
  return (BigInt(getU32(buf, off + 4)) << 32n) | BigInt(getU32(buf, off));
}

export function putU32(buf: Uint8Array, off: number, value: number): void {
  buf[off] = value & 0xff;
  buf[off + 1] = (value >>> 8) & 0xff;
  buf[off + 2] = (value >>> 16) & 0xff;
  buf[off + 3] = (value >>> 24) & 0xff;
}

export function putU64(buf: Uint8Array, off: number, value: bigint): void {
  putU32(buf, off, Number(value & 0xffffffffn));
  putU32(buf, off + 4, Number((value >> 32n) & 0xffffffffn));
}

export function copyBytes(from: Uint8Array, fromOff: number, to: Uint8Array, toOff: number, length: number): void {
  for (let i = 0; i < length; i++) to[toOff + i] = from[fromOff + i];
}
