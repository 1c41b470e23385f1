// read/write declared with untyped pointers: koffi then hands the typed array's own memory to
// the kernel, instead of copying the whole buffer back after every call as `_Out_` does. The
// FUSE channel reads into an 8 KiB buffer per request, so that copy would dominate.
import { libc, lastErrno } from './libc';

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
