// One daemon per object mount, and the leftovers of one that crashed.
//
// The lock file `<mount>.lock` is held (flock) for the daemon's life: the kernel drops it when
// the process dies, however it dies. Whoever holds it owns every `fuse.ntsync` mount whose
// source names that mount directory, so such a mount found while the lock is free is stale.
import { chmodSync, closeSync, existsSync, ftruncateSync, lstatSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { LOCK_EX, LOCK_NB, sysFlock } from '../../sys/flock';
import { MNT_DETACH, sysUmount2 } from '../../sys/mount';
import { readMountInfo, type MountEntry } from '../../sys/proc';
import type { Log } from '../log';
import { errnoText } from '../../sys/errno-text';
import { StartupError } from './startup-error';

export const FS_TYPE = 'fuse.ntsync';
const SOURCE_PREFIX = 'ntsyncd:';

/** The mount source we use: it names the mount directory, so a bind mount of it still does. */
export function mountSource(mountDir: string): string {
  return SOURCE_PREFIX + mountDir;
}

export function lockPathFor(mountDir: string): string {
  return `${mountDir}.lock`;
}

/** Takes `<mountDir>.lock`; returns its fd (keep it open), or throws when another daemon holds it. */
export function takeLock(mountDir: string): number {
  const path = lockPathFor(mountDir);
  const fd = openSync(path, 'a+', 0o644);
  if (sysFlock(fd, LOCK_EX | LOCK_NB) !== 0) {
    closeSync(fd);
    throw new StartupError(`another ntsyncd is serving ${mountDir} (it holds ${path}); stop it first, or use another --mount`);
  }
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`);
  return fd;
}

/** True when nobody holds the lock of `mountDir` (its daemon is gone). */
function lockIsFree(mountDir: string): boolean {
  let fd: number;
  try {
    fd = openSync(lockPathFor(mountDir), 'r');
  } catch {
    return true;
  }
  try {
    return sysFlock(fd, LOCK_EX | LOCK_NB) === 0;
  } finally {
    closeSync(fd); // also drops the lock we may just have taken
  }
}

function ownerOf(entry: MountEntry): string | null {
  return entry.source.startsWith(SOURCE_PREFIX) ? entry.source.slice(SOURCE_PREFIX.length) : null;
}

/**
 * Detaches (`umount -l`) our filesystem's stale mounts at `mountDir` and `devicePath`. Call it
 * holding our own lock. A mount at the device path that belongs to a live daemon of another
 * mount directory stops us.
 */
export function detachStaleMounts(mountDir: string, devicePath: string, log: Log, readMounts = readMountInfo): void {
  for (let round = 0; round < 16; round++) {
    const stale = readMounts().filter((m) => m.fsType === FS_TYPE && (m.mountPoint === mountDir || m.mountPoint === devicePath));
    if (stale.length === 0) return;
    // Topmost first: the last mount on a path is the one a path lookup sees.
    const top = stale[stale.length - 1];
    const owner = ownerOf(top);
    if (top.mountPoint === devicePath && owner !== null && owner !== mountDir && !lockIsFree(owner)) {
      throw new StartupError(
        `${devicePath} is served by another running ntsyncd (object mount ${owner}); stop it first, or use another --device`,
      );
    }
    const r = sysUmount2(top.mountPoint, MNT_DETACH);
    if (r !== 0) throw new StartupError(`could not detach the stale mount at ${top.mountPoint} (${errnoText(-r)}); try \`umount -l ${top.mountPoint}\``);
    log.info(`detached a stale ntsyncd mount at ${top.mountPoint}`);
  }
  throw new StartupError(`too many stacked mounts at ${mountDir} or ${devicePath}; unmount them by hand (\`umount -l\`)`);
}

/**
 * Makes sure the device path can take a bind mount: an empty regular file (created 0666 if
 * missing). A leftover empty file is reused; anything else there is not ours to cover.
 */
export function prepareDeviceFile(devicePath: string): void {
  let st;
  try {
    st = lstatSync(devicePath);
  } catch {
    st = null;
  }
  if (st && !(st.isFile() && st.size === 0)) {
    throw new StartupError(
      `refusing to cover ${devicePath}: it exists and is not an empty regular file (a leftover of ntsyncd would be); ` +
        'remove it, or serve another path with --device',
    );
  }
  if (!st) closeSync(openSync(devicePath, 'w', 0o666));
  chmodSync(devicePath, 0o666); // openSync's mode went through the umask
}

/** Removes the device file we bind-mounted over, if it is still the empty file we made. */
export function removeDeviceFile(devicePath: string): void {
  try {
    const st = lstatSync(devicePath);
    if (st.isFile() && st.size === 0) unlinkSync(devicePath);
  } catch {
    // already gone
  }
}

/** A leftover empty file at the device path would keep devtmpfs from creating the CUSE node. */
export function removeStaleDeviceFile(devicePath: string): void {
  if (existsSync(devicePath)) removeDeviceFile(devicePath);
}
