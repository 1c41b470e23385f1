// The preferred device: a CUSE character device. CUSE_INIT names it (DEVNAME) and devtmpfs
// creates the node under /dev, so the device path must be below a devtmpfs /dev.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { O_CLOEXEC, O_NONBLOCK, O_RDWR, sysOpen } from '../../sys/io';
import { readMountInfo } from '../../sys/proc';
import { devMajor, devMinor } from './dev-numbers';
import { errnoText } from '../../sys/errno-text';
import { StartupError } from './startup-error';

export const CUSE_PATH = '/dev/cuse';

/** Why CUSE cannot serve `devicePath` here, or null when it can. Tries `modprobe cuse` once. */
export function cuseUnavailableReason(devicePath: string): string | null {
  if (cuseDevName(devicePath) === null) return `${devicePath} is not below /dev, where CUSE creates its nodes`;
  const dev = readMountInfo().filter((m) => m.mountPoint === '/dev').pop();
  if (!dev || dev.fsType !== 'devtmpfs') return '/dev is not a devtmpfs, so a CUSE node would not appear there';
  if (!existsSync(CUSE_PATH)) {
    spawnSync('modprobe', ['cuse'], { stdio: 'ignore', timeout: 10_000 });
    if (!existsSync(CUSE_PATH)) return `CUSE is not available (no ${CUSE_PATH}; try \`modprobe cuse\`)`;
  }
  return null;
}

/** "ntsync" for /dev/ntsync, "foo/bar" for /dev/foo/bar; null outside /dev. */
export function cuseDevName(devicePath: string): string | null {
  const m = /^\/dev\/([A-Za-z0-9_.\-/]+)$/.exec(devicePath);
  if (!m || m[1].split('/').some((p) => p === '' || p === '.' || p === '..')) return null;
  return m[1];
}

export function openCuse(): number {
  const fd = sysOpen(CUSE_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw new StartupError(`cannot open ${CUSE_PATH}: ${errnoText(-fd)}; use --transport fuse to serve the device without CUSE`);
  return fd;
}

/**
 * After CUSE_INIT: the node exists (devtmpfs creates it before the reply's write returns). Makes
 * it 0666 like the kernel driver's node and returns its device number.
 */
export function finishCuseNode(devicePath: string): { major: number; minor: number } {
  let st;
  try {
    st = statSync(devicePath);
  } catch {
    throw new StartupError(`the CUSE device was registered but ${devicePath} did not appear (a udev rule may have renamed it); use --transport fuse to serve it without CUSE`);
  }
  if (!st.isCharacterDevice()) throw new StartupError(`${devicePath} is not the CUSE character device we registered`);
  chmodSync(devicePath, 0o666);
  return { major: devMajor(st.rdev), minor: devMinor(st.rdev) };
}
