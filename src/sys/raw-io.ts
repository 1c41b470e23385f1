// read/write declared with untyped pointers: koffi then hands the typed array's own memory to
// the kernel, instead of copying the whole buffer back after every call as `_Out_` does. The
// FUSE channel reads into an 8 KiB buffer per request, so that copy would dominate.
import { koffi, libc, lastErrno } from './libc';

const c_read = libc.func('intptr_t read(int fd, void *buf, size_t count)');
const c_write = libc.func('intptr_t write(int fd, const void *buf, size_t count)');

/** Bytes read into buf[0..length), or -errno. */
export function readInto(fd: number, buf: Uint8Array, length: number): number {
  const n = Number(c_read(fd, buf, length));
  return n < 0 ? -lastErrno() : n;
}

/** Bytes written from buf[0..length), or -errno. */
export function writeFrom(fd: number, buf: Uint8Array, length: number): number {
  const n = Number(c_write(fd, buf, length));
  return n < 0 ? -lastErrno() : n;
}

// The FUSE channel's own buffers live in native memory (NativeBuffer), so each request's read
// and reply pass a fixed pointer: no typed-array unwrapping and no 64-bit result conversion on
// the path every request takes. Counts stay far below 2^31, so an int result is exact.
const c_read_native = libc.func('int read(int fd, void *buf, size_t count)');
const c_write_native = libc.func('int write(int fd, void *buf, size_t count)');

/** Memory allocated once outside the JS heap, seen from JS as `bytes`. */
export class NativeBuffer {
  readonly pointer: unknown;
  readonly bytes: Uint8Array;

  constructor(readonly size: number) {
    this.pointer = koffi.alloc('uint8_t', size);
    this.bytes = new Uint8Array(koffi.view(this.pointer, size));
  }
}

/** Bytes read into buf.bytes[0..length), or -errno. */
export function readIntoNative(fd: number, buf: NativeBuffer, length: number): number {
  const n = c_read_native(fd, buf.pointer, length) as number;
  return n < 0 ? -lastErrno() : n;
}

/** Bytes written from buf.bytes[0..length), or -errno. */
export function writeFromNative(fd: number, buf: NativeBuffer, length: number): number {
  const n = c_write_native(fd, buf.pointer, length) as number;
  return n < 0 ? -lastErrno() : n;
}
