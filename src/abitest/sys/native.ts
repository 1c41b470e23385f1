// The system calls the ABI suite makes, as one replaceable interface. The suite talks to the
// device only through this, so a unit test can put a misbehaving fake device underneath and
// check that the runner reports it. Every call returns the kernel convention: a non-negative
// result, or -errno.
//
// Pointers are plain addresses (numbers) into memory the suite maps itself (see memory.ts):
// the kernel must see exactly the bytes, the faulting pages and the read-only pages the case
// built, with no copy made by the FFI in between.
import { libc, koffi } from '../../sys/libc';

export interface SysCalls {
  open(path: string, flags: number): number;
  close(fd: number): number;
  dup(fd: number): number;
  /** ioctl with a raw address (or integer) argument; `cmd` may carry bits above 32 as a bigint. */
  ioctl(fd: number, cmd: number | bigint, arg: number): number;
  /** The same ioctl on a libuv worker thread, so the calling thread stays free while it blocks. */
  ioctlAsync(fd: number, cmd: number, arg: number): Promise<number>;
  lseek(fd: number, offset: number, whence: number): number;
  read(fd: number, addr: number, length: number): number;
  write(fd: number, addr: number, length: number): number;
  /** poll(2) on one pollfd at `addr`. */
  poll(addr: number, count: number, timeoutMs: number): number;
  fcntl(fd: number, cmd: number, arg: number): number;
  /** [readFd, writeFd] or -errno. */
  pipe(): [number, number] | number;
}

const c_open = libc.func('int open(const char *path, int flags, uint32_t mode)');
const c_close = libc.func('int close(int fd)');
const c_dup = libc.func('int dup(int fd)');
const c_ioctl = libc.func('int ioctl(int fd, unsigned long cmd, uintptr_t arg)');
const c_lseek = libc.func('int64_t lseek(int fd, int64_t offset, int whence)');
const c_read = libc.func('intptr_t read(int fd, uintptr_t buf, size_t count)');
const c_write = libc.func('intptr_t write(int fd, uintptr_t buf, size_t count)');
const c_poll = libc.func('int poll(uintptr_t fds, unsigned long nfds, int timeout)');
const c_fcntl = libc.func('int fcntl(int fd, int cmd, ...)');
const c_pipe2 = libc.func('int pipe2(_Out_ int *fds, int flags)');

/** errno must be read right after the call, before any other koffi call can change it. */
function result(r: number | bigint): number {
  const n = Number(r);
  return n < 0 ? -koffi.errno() : n;
}

export const realSysCalls: SysCalls = {
  open: (path, flags) => result(c_open(path, flags, 0)),
  close: (fd) => result(c_close(fd)),
  dup: (fd) => result(c_dup(fd)),
  ioctl: (fd, cmd, arg) => result(c_ioctl(fd, cmd, arg)),
  ioctlAsync: (fd, cmd, arg) =>
    new Promise((resolve, reject) => {
      // koffi (3.2+) restores the worker thread's errno around this callback, so reading it
      // here gives the errno of this very ioctl, not of whatever ran on the main thread since.
      c_ioctl.async(fd, cmd, arg, (err: unknown, r: number) => {
        if (err) reject(err);
        else resolve(r < 0 ? -koffi.errno() : r);
      });
    }),
  lseek: (fd, offset, whence) => result(c_lseek(fd, offset, whence)),
  read: (fd, addr, length) => result(c_read(fd, addr, length)),
  write: (fd, addr, length) => result(c_write(fd, addr, length)),
  poll: (addr, count, timeoutMs) => result(c_poll(addr, count, timeoutMs)),
  fcntl: (fd, cmd, arg) => result(c_fcntl(fd, cmd, 'int', arg)),
  pipe: () => {
    const fds = [-1, -1];
    const r = result(c_pipe2(fds, O_CLOEXEC));
    return r < 0 ? r : [fds[0], fds[1]];
  },
};

export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_ACCMODE = 0o3;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const F_GETFD = 1;
export const F_GETFL = 3;
export const FD_CLOEXEC = 1;
export const SEEK_SET = 0;
export const SEEK_CUR = 1;
/** Generic VFS ioctls that never reach a driver (asm-generic values). */
export const FIONREAD = 0x541b;
export const FIONBIO = 0x5421;
export const FIOASYNC = 0x5452;
export const FIONCLEX = 0x5450;
export const FIOCLEX = 0x5451;
export const POLLIN = 0x001;
export const POLLPRI = 0x002;
export const POLLOUT = 0x004;
export const POLLRDNORM = 0x040;
export const POLLRDBAND = 0x080;
export const POLLWRNORM = 0x100;
export const POLLWRBAND = 0x200;
