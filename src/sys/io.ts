// Thin, allocation-free wrappers over the file syscalls both the daemon and the launcher use.
// Each returns the raw result, or -errno on failure (the kernel's convention), so callers can
// branch without exceptions on the hot path.
import { close as fsClose } from 'node:fs';
import { libc, lastErrno } from './libc';

const c_open = libc.func('int open(const char *path, int flags, uint32_t mode)');
const c_close = libc.func('int close(int fd)');
const c_read = libc.func('intptr_t read(int fd, _Out_ uint8_t *buf, size_t count)');
const c_write = libc.func('intptr_t write(int fd, const uint8_t *buf, size_t count)');
const c_ioctl_buf = libc.func('int ioctl(int fd, unsigned long cmd, _Inout_ uint8_t *arg)');
const c_ioctl_int = libc.func('int ioctl(int fd, unsigned long cmd, uintptr_t arg)');

export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_CREAT = 0o100;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;

function check(r: number): number {
  return r < 0 ? -lastErrno() : r;
}

export function sysOpen(path: string, flags: number, mode = 0): number {
  return check(c_open(path, flags, mode));
}

export function sysClose(fd: number): number {
  return check(c_close(fd));
}

/**
 * close() on a libuv worker thread: for a file whose file system may do work on close (an NFS
 * flush, a FUSE FLUSH to a server that hangs), which the calling thread must not wait for.
 */
export function closeInBackground(fd: number): void {
  fsClose(fd, () => {});
}

/** Reads into buf[0..length); returns the byte count or -errno. */
export function sysRead(fd: number, buf: Uint8Array, length = buf.length): number {
  return check(Number(c_read(fd, buf, length)));
}

/** Writes buf[0..length); returns the byte count or -errno. */
export function sysWrite(fd: number, buf: Uint8Array, length = buf.length): number {
  return check(Number(c_write(fd, buf, length)));
}

/** ioctl whose argument is a pointer to `arg` (read and written back in place). */
export function sysIoctlBuffer(fd: number, cmd: number, arg: Uint8Array): number {
  return check(c_ioctl_buf(fd, cmd, arg));
}

/** ioctl whose argument is a plain integer (or a raw address). */
export function sysIoctlValue(fd: number, cmd: number, arg: number | bigint): number {
  return check(c_ioctl_int(fd, cmd, arg));
}
