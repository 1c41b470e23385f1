// ntsyncd's private control ioctls, spoken between the launcher (ntsync-run) and the daemon.
// Type byte 0xF3 (not 'N', so they can never collide with a future ntsync number).
//
// NTSYNCD_IOC_REGISTER (_IO, no data), on an open of `<mount>/control`: makes the calling
//   process (its thread-group id) a supervisor for as long as that open file lives. Opens of
//   the device from processes with no registered supervisor among their ancestors fail.
// NTSYNCD_IOC_CREATE (_IOWR, struct ntsyncd_create_args, 24 bytes), on a device fd (the
//   launcher's pidfd_getfd copy of the caller's): creates an object on that device instance.
//     off 0  u32 type     1 semaphore, 2 mutex, 3 event (core ObjectType)
//     off 4  u8[8] args   the caller's 8-byte ntsync_{sem,mutex,event}_args, verbatim
//     off 12 u32 pad      must be 0
//     off 16 u64 id       out: the new object's id; its file is `<mount>/<id>` (decimal)
//   Returns 0, or -errno exactly as the kernel's CREATE would (EINVAL for bad args), or EPERM
//   when the caller is not a registered supervisor. The object's file can then be opened
//   once, and only by the process that created it (EACCES otherwise); that open is the fd the
//   launcher injects into the caller.
// NTSYNCD_IOC_CUSE_DEVICE (_IOR, 8 bytes), on an open of `<mount>/control`: out u32 major,
//   u32 minor of the CUSE character device the daemon serves, or 0/0 when it serves the device
//   through the FUSE bind mount. The launcher treats a caller's fd as ours when it is on the
//   object mount (st_dev) or is that character device (st_rdev); anything else, such as the
//   kernel's own /dev/ntsync, is left to the kernel (seccomp CONTINUE).
// NTSYNCD_IOC_DROP (_IOW, u64 id), on the control open that registered: drops an object this
//   supervisor created but could not open (the open failed, so no file will ever release it).
//   Returns 0, or EINVAL when the id names no unopened object of this supervisor.
import { io, ior, iow, iowr } from './ioc';

export const NTSYNCD_IOC_TYPE = 0xf3;
export const CREATE_ARGS_SIZE = 24;
export const NTSYNCD_IOC_REGISTER = io(NTSYNCD_IOC_TYPE, 0x01);
export const NTSYNCD_IOC_CREATE = iowr(NTSYNCD_IOC_TYPE, 0x02, CREATE_ARGS_SIZE);
export const CUSE_DEVICE_ARGS_SIZE = 8;
export const NTSYNCD_IOC_CUSE_DEVICE = ior(NTSYNCD_IOC_TYPE, 0x03, CUSE_DEVICE_ARGS_SIZE);
export const DROP_ARGS_SIZE = 8;
export const NTSYNCD_IOC_DROP = iow(NTSYNCD_IOC_TYPE, 0x04, DROP_ARGS_SIZE);

/** File names inside the object filesystem. */
export const DEVICE_FILE = 'device';
export const CONTROL_FILE = 'control';
export const STATUS_FILE = 'status';
export const DEFAULT_MOUNT = '/run/ntsync';
export const DEFAULT_DEVICE = '/dev/ntsync';
