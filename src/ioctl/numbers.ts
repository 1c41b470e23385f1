// The ntsync uapi ioctl numbers (include/uapi/linux/ntsync.h), computed rather than copied so
// the encoding is checked by the tests against the known hex values.
import { ior, iow, iowr } from './ioc';

export const NTSYNC_IOC_TYPE = 0x4e; // 'N'

export const SEM_ARGS_SIZE = 8;
export const MUTEX_ARGS_SIZE = 8;
export const EVENT_ARGS_SIZE = 8;
export const WAIT_ARGS_SIZE = 40;
const U32_SIZE = 4;

export const NTSYNC_IOC_CREATE_SEM = iow(NTSYNC_IOC_TYPE, 0x80, SEM_ARGS_SIZE);
export const NTSYNC_IOC_SEM_RELEASE = iowr(NTSYNC_IOC_TYPE, 0x81, U32_SIZE);
export const NTSYNC_IOC_WAIT_ANY = iowr(NTSYNC_IOC_TYPE, 0x82, WAIT_ARGS_SIZE);
export const NTSYNC_IOC_WAIT_ALL = iowr(NTSYNC_IOC_TYPE, 0x83, WAIT_ARGS_SIZE);
export const NTSYNC_IOC_CREATE_MUTEX = iow(NTSYNC_IOC_TYPE, 0x84, MUTEX_ARGS_SIZE);
export const NTSYNC_IOC_MUTEX_UNLOCK = iowr(NTSYNC_IOC_TYPE, 0x85, MUTEX_ARGS_SIZE);
export const NTSYNC_IOC_MUTEX_KILL = iow(NTSYNC_IOC_TYPE, 0x86, U32_SIZE);
export const NTSYNC_IOC_CREATE_EVENT = iow(NTSYNC_IOC_TYPE, 0x87, EVENT_ARGS_SIZE);
export const NTSYNC_IOC_EVENT_SET = ior(NTSYNC_IOC_TYPE, 0x88, U32_SIZE);
export const NTSYNC_IOC_EVENT_RESET = ior(NTSYNC_IOC_TYPE, 0x89, U32_SIZE);
export const NTSYNC_IOC_EVENT_PULSE = ior(NTSYNC_IOC_TYPE, 0x8a, U32_SIZE);
export const NTSYNC_IOC_SEM_READ = ior(NTSYNC_IOC_TYPE, 0x8b, SEM_ARGS_SIZE);
export const NTSYNC_IOC_MUTEX_READ = ior(NTSYNC_IOC_TYPE, 0x8c, MUTEX_ARGS_SIZE);
export const NTSYNC_IOC_EVENT_READ = ior(NTSYNC_IOC_TYPE, 0x8d, EVENT_ARGS_SIZE);

/** The three ioctls that return a new fd, which only the launcher (seccomp) can deliver. */
export const NTSYNC_CREATE_IOCTLS: readonly number[] = [
  NTSYNC_IOC_CREATE_SEM,
  NTSYNC_IOC_CREATE_MUTEX,
  NTSYNC_IOC_CREATE_EVENT,
];

/**
 * Whether `cmd` is one of the CREATE ioctls. Plain comparisons: an ioctl number is above the
 * small-integer range, and handing it to Array.includes would box it on every request.
 */
export function isCreateIoctl(cmd: number): boolean {
  return cmd === NTSYNC_IOC_CREATE_SEM || cmd === NTSYNC_IOC_CREATE_MUTEX || cmd === NTSYNC_IOC_CREATE_EVENT;
}

