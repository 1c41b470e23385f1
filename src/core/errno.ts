// Linux errno values (x86_64 / asm-generic numbering) that the ntsync ABI can produce.
// The engine returns them negated, the way the kernel driver does.
export const EPERM = 1;
export const EINTR = 4;
export const EBADF = 9;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const EINVAL = 22;
export const ENOTTY = 25;
export const ENOSYS = 38;
export const EOVERFLOW = 75;
export const ETIMEDOUT = 110;
export const EOWNERDEAD = 130;
/** Kernel-internal "restart this syscall"; a FUSE daemon may answer an interrupted request with it. */
export const ERESTARTSYS = 512;
