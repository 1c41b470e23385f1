// Mounting the object filesystem. mount(2) returns before the kernel's INIT has been answered,
// so nothing here may touch the mount itself: the thread that would answer is this one.
import { mkdirSync, realpathSync } from 'node:fs';
import { O_CLOEXEC, O_NONBLOCK, O_RDWR, sysClose, sysOpen } from '../../sys/io';
import { MNT_DETACH, MS_NODEV, MS_NOSUID, sysMount, sysUmount2 } from '../../sys/mount';
import { readMountInfo } from '../../sys/proc';
import { FS_TYPE, mountSource } from './stale';
import { errnoText } from '../../sys/errno-text';
import { StartupError } from './startup-error';

export interface FuseMount {
  fd: number;
  /** Canonical path of the mount point. */
  dir: string;
  /** st_dev of every file on the mount (and on bind mounts of them). */
  devMajor: number;
  devMinor: number;
}

/** Creates the directory if needed and returns its canonical path (what mountinfo shows). */
export function prepareMountDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  return realpathSync(dir);
}

export function mountObjectFs(dir: string): FuseMount {
  const fd = sysOpen('/dev/fuse', O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw new StartupError(`cannot open /dev/fuse: ${errnoText(-fd)}; is the fuse module loaded (\`modprobe fuse\`)?`);
  // allow_other: the device and the objects are used by every user; without
  // default_permissions the daemon decides who may open what.
  const options = `fd=${fd},rootmode=40000,user_id=0,group_id=0,allow_other`;
  const r = sysMount(mountSource(dir), dir, FS_TYPE, MS_NOSUID | MS_NODEV, options);
  if (r !== 0) {
    sysClose(fd);
    throw new StartupError(
      `mounting the object filesystem at ${dir} failed: ${errnoText(-r)}` +
        (-r === 1 ? ' (mounting needs CAP_SYS_ADMIN: run ntsyncd as root, outside unprivileged containers)' : ''),
    );
  }
  const entry = readMountInfo()
    .filter((m) => m.mountPoint === dir && m.fsType === FS_TYPE)
    .pop();
  if (!entry) {
    sysUmount2(dir, MNT_DETACH);
    sysClose(fd);
    throw new StartupError(`the object filesystem at ${dir} does not show in /proc/self/mountinfo`);
  }
  return { fd, dir, devMajor: entry.devMajor, devMinor: entry.devMinor };
}
