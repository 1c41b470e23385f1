// mount(2) and umount2(2), for the object filesystem and the bind mount over the device path.
import { libc, lastErrno } from './libc';

const c_mount = libc.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)');
const c_umount2 = libc.func('int umount2(const char *target, int flags)');

export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_BIND = 0x1000;
/** Lazy unmount (`umount -l`): works on a dead FUSE connection and on a busy mount. */
export const MNT_DETACH = 0x2;

/** 0 or -errno. */
export function sysMount(source: string, target: string, fstype: string | null, flags: number, data: string | null): number {
  return c_mount(source, target, fstype, flags, data) < 0 ? -lastErrno() : 0;
}

/** 0 or -errno. */
export function sysUmount2(target: string, flags: number): number {
  return c_umount2(target, flags) < 0 ? -lastErrno() : 0;
}
