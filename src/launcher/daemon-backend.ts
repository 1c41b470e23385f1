// The launcher's side of ntsyncd's control protocol (src/ioctl/control.ts): register as a
// supervisor, learn which files are the daemon's device, and create objects through the
// caller's own device instance.
import { endianness } from 'node:os';
import { join } from 'node:path';
import type { ObjectType } from '../core/types';
import {
  CONTROL_FILE,
  CREATE_ARGS_SIZE,
  CUSE_DEVICE_ARGS_SIZE,
  DROP_ARGS_SIZE,
  NTSYNCD_IOC_CREATE,
  NTSYNCD_IOC_CUSE_DEVICE,
  NTSYNCD_IOC_DROP,
  NTSYNCD_IOC_REGISTER,
} from '../ioctl/control';
import { O_CLOEXEC, O_RDONLY, O_RDWR, sysClose, sysIoctlBuffer, sysIoctlValue, sysOpen } from '../sys/io';
import { PollSet, POLLIN } from '../sys/ppoll';
import { AT_FDCWD, AT_STATX_DONT_SYNC, fstatIdentity, newFileIdentity, S_IFCHR, S_IFMT, statxIdentity, type FileIdentity } from '../sys/stat';
import { errnoName, LauncherError } from './launcher-error';
import type { ObjectBackend } from './object-backend';
import type { StallWatch } from './stall-watch';

const ENOENT = 2;
const EACCES = 13;
const ENOTCONN = 107;
const EPERM = 1;
const MISC_MAJOR = 10; // the kernel's own /dev/ntsync is a misc device

const LE = endianness() === 'LE';

/** No ntsyncd serves the object mount (no `<mount>/control`). */
export class DaemonMissingError extends LauncherError {}

/**
 * The kernel's driver is a misc device (major 10). ntsyncd's CUSE device gets a dynamic major
 * and its FUSE fallback is a regular file, so a misc node at the device path is the driver.
 */
function isKernelDriverNode(id: FileIdentity): boolean {
  return (id.mode & S_IFMT) === S_IFCHR && id.rdevMajor === MISC_MAJOR;
}

/** Whether `path` is the kernel's own ntsync device. */
export function isKernelNtsyncDevice(path: string): boolean {
  const id = newFileIdentity();
  return statxIdentity(AT_FDCWD, path, 0, id) === 0 && isKernelDriverNode(id);
}

export class DaemonBackend implements ObjectBackend {
  private readonly createBuf = new Uint8Array(CREATE_ARGS_SIZE);
  private readonly createView = new DataView(this.createBuf.buffer);
  private readonly probe = newFileIdentity();
  private stalls: StallWatch | null = null;
  private readonly dropBuf = new Uint8Array(DROP_ARGS_SIZE);
  private readonly dropView = new DataView(this.dropBuf.buffer);

  private constructor(
    private readonly mountDir: string,
    private controlFd: number,
    /** The object filesystem's device numbers: the FUSE device file and every object live there. */
    private readonly mount: FileIdentity,
    /** The CUSE character device ntsyncd serves, 0/0 when it serves through the FUSE mount. */
    private readonly cuseMajor: number,
    private readonly cuseMinor: number,
  ) {}

  /**
   * Opens `<mountDir>/control` and registers this process as a supervisor, for as long as that
   * fd stays open (the launcher's lifetime). Throws a LauncherError saying what to do when the
   * daemon is not there.
   */
  static connect(mountDir: string): DaemonBackend {
    const controlPath = join(mountDir, CONTROL_FILE);
    const fd = sysOpen(controlPath, O_RDONLY | O_CLOEXEC);
    if (fd === -ENOENT) throw new DaemonMissingError(connectFailure(mountDir, controlPath, ENOENT));
    if (fd < 0) throw new LauncherError(connectFailure(mountDir, controlPath, -fd));
    const mount = newFileIdentity();
    let r = fstatIdentity(fd, mount);
    if (r === 0) {
      // A poll() of a file on the mount gets ENOSYS from ntsyncd, after which the kernel never
      // sends it POLL again. Only then may the daemon take fd witnesses, which poll our objects'
      // files from its own thread (src/sys/fd-witness.ts); it sees this poll and the REGISTER
      // that follows from the same thread.
      const once = new PollSet(1);
      once.add(fd, POLLIN);
      once.wait(0);
      r = sysIoctlValue(fd, NTSYNCD_IOC_REGISTER, 0);
    }
    if (r < 0) {
      sysClose(fd);
      throw new LauncherError(
        -r === EPERM
          ? `ntsyncd refused to register this process as a supervisor (EPERM); its log says why.`
          : `registering with ntsyncd through ${controlPath} failed (${errnoName(-r)}); is ${mountDir} really ntsyncd's object mount?`,
      );
    }
    const cuse = new Uint8Array(CUSE_DEVICE_ARGS_SIZE);
    const view = new DataView(cuse.buffer);
    const cr = sysIoctlBuffer(fd, NTSYNCD_IOC_CUSE_DEVICE, cuse);
    return new DaemonBackend(mountDir, fd, mount, cr < 0 ? 0 : view.getUint32(0, LE), cr < 0 ? 0 : view.getUint32(4, LE));
  }

  /** Whether the file at `path` is the daemon's device, for a diagnostic at start-up. */
  describeDevice(path: string): 'ours' | 'missing' | 'kernel' | 'other' {
    const id = newFileIdentity();
    const r = statxIdentity(AT_FDCWD, path, AT_STATX_DONT_SYNC, id);
    if (r < 0) return 'missing';
    if (this.isOurs(id)) return 'ours';
    return isKernelDriverNode(id) ? 'kernel' : 'other';
  }

  owns(fd: number): boolean {
    return fstatIdentity(fd, this.probe) === 0 && this.isOurs(this.probe);
  }

  private isOurs(id: FileIdentity): boolean {
    if (id.devMajor === this.mount.devMajor && id.devMinor === this.mount.devMinor) return true;
    return (
      (this.cuseMajor !== 0 || this.cuseMinor !== 0) &&
      (id.mode & S_IFMT) === S_IFCHR &&
      id.rdevMajor === this.cuseMajor &&
      id.rdevMinor === this.cuseMinor
    );
  }

  /** From now on, a request to the daemon that waits too long is reported by `watch`. */
  watchStalls(watch: StallWatch): void {
    this.stalls = watch;
  }

  create(deviceFd: number, type: ObjectType, args: Uint8Array): number {
    this.createBuf.fill(0);
    this.createView.setUint32(0, type, LE);
    this.createBuf.set(args.subarray(0, 8), 4);
    this.stalls?.begin();
    try {
      const r = sysIoctlBuffer(deviceFd, NTSYNCD_IOC_CREATE, this.createBuf);
      if (r < 0) return r;
      const id = this.createView.getBigUint64(16, LE);
      // The daemon lets exactly this process open the new object's file, once.
      const fd = sysOpen(join(this.mountDir, id.toString()), O_RDWR | O_CLOEXEC);
      // An object whose file could not be opened would wait for our unregistering to go.
      if (fd < 0) this.drop(id);
      return fd;
    } finally {
      this.stalls?.end();
    }
  }

  /** Best effort: the caller's CREATE fails with the open's errno either way. */
  private drop(id: bigint): void {
    this.dropView.setBigUint64(0, id, LE);
    sysIoctlBuffer(this.controlFd, NTSYNCD_IOC_DROP, this.dropBuf);
  }

  close(): void {
    this.stalls?.close();
    this.stalls = null;
    if (this.controlFd >= 0) sysClose(this.controlFd);
    this.controlFd = -1;
  }
}

function connectFailure(mountDir: string, controlPath: string, errno: number): string {
  const start = 'Start it with `sudo systemctl start ntsyncd` (or run `sudo ntsyncd`)';
  switch (errno) {
    case ENOENT:
      return (
        `ntsyncd is not running: there is no ${controlPath}. ${start}, ` +
        `or pass --mount DIR if it serves its objects somewhere other than ${mountDir}.`
      );
    case ENOTCONN:
      return `ntsyncd's object mount at ${mountDir} is stale (the daemon is gone). ${start}; it cleans up the old mount.`;
    case EACCES:
      return `permission denied opening ${controlPath}; check ntsyncd's --mount directory and its permissions.`;
    default:
      return `cannot reach ntsyncd through ${controlPath} (${errnoName(errno)}). ${start}.`;
  }
}
