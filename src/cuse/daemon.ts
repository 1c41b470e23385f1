// ntsyncd as a whole: checks, the object filesystem, the device (CUSE, or the FUSE `device`
// file bind-mounted over the device path), one event loop, and a clean stop.
import { closeSync, mkdirSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { MNT_DETACH, sysUmount2 } from '../sys/mount';
import { readMountInfo } from '../sys/proc';
import { DEVICE_FILE } from '../ioctl/control';
import type { Log } from './log';
import { DRAIN_BUDGET, type EventLoop } from './loop/event-loop';
import { PpollLoop } from './loop/ppoll-loop';
import { UvLoop } from './loop/uv-loop';
import { NtsyncServer } from './server';
import { Session } from './session';
import { bindMount } from './startup/bind-mount';
import { cuseDevName, cuseUnavailableReason, finishCuseNode, openCuse } from './startup/cuse-device';
import { mountObjectFs, type FuseMount } from './startup/fuse-mount';
import { checkFuseDevice, checkNotKernelDevice, checkRequestTimeout, checkRoot } from './startup/preflight';
import { detachStaleMounts, FS_TYPE, prepareDeviceFile, removeDeviceFile, removeStaleDeviceFile, takeLock } from './startup/stale';
import { StartupError } from './startup/startup-error';

export type Transport = 'auto' | 'cuse' | 'fuse';
export type LoopKind = 'uv' | 'ppoll';

export interface DaemonOptions {
  devicePath: string;
  mountDir: string;
  transport: Transport;
  /** Which event loop drives the fds (see src/cuse/loop/); 'uv' unless measuring. */
  loop?: LoopKind;
  log: Log;
}

const READY_TIMEOUT_MS = 10_000;

export class Daemon {
  readonly server: NtsyncServer;
  /** The transport in use once started. */
  transport: 'cuse' | 'fuse' | null = null;
  /** Settles with a reason when the kernel ends a connection (unmounted from outside, ...). */
  readonly ended: Promise<string>;

  readonly devicePath: string;
  readonly mountDir: string;
  private readonly log: Log;
  private readonly loop: EventLoop;
  private lockFd = -1;
  private mount: FuseMount | null = null;
  private fuseSession: Session | null = null;
  private cuseSession: Session | null = null;
  private deviceBound = false;
  private stopped = false;
  private endWith!: (reason: string) => void;
  private fuseReady!: () => void;
  private cuseReady!: () => void;
  private readonly fuseReadyP: Promise<void>;
  private readonly cuseReadyP: Promise<void>;

  constructor(private readonly options: DaemonOptions) {
    this.log = options.log;
    this.devicePath = canonicalLeaf(options.devicePath);
    this.mountDir = canonicalLeaf(options.mountDir);
    this.loop = options.loop === 'ppoll' ? new PpollLoop() : new UvLoop();
    this.ended = new Promise((r) => (this.endWith = r));
    this.fuseReadyP = new Promise((r) => (this.fuseReady = r));
    this.cuseReadyP = new Promise((r) => (this.cuseReady = r));
    this.server = new NtsyncServer({
      log: this.log,
      cuseDevName: cuseDevName(this.devicePath) ?? 'ntsync',
      describe: () => ({ transport: this.transport ?? 'starting', device: this.devicePath, mount: this.mountDir }),
      events: {
        fuseReady: () => this.fuseReady(),
        cuseReady: () => this.cuseReady(),
        sessionClosed: (s) => this.sessionClosed(s),
      },
    });
  }

  async start(): Promise<void> {
    checkRoot();
    checkFuseDevice();
    checkRequestTimeout();
    try {
      await this.setUp();
    } catch (err) {
      this.stop();
      throw err;
    }
  }

  /** Unmounts, removes the device, closes everything. Synchronous, so it is safe in a signal handler. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.loop.stop();
    if (this.deviceBound) {
      sysUmount2(this.devicePath, MNT_DETACH);
      // Only once nothing of ours covers the path: a stat of our own mount from this thread,
      // with nobody left to answer, could hang.
      if (!readMountInfo().some((m) => m.mountPoint === this.devicePath && m.fsType === FS_TYPE)) removeDeviceFile(this.devicePath);
      else this.log.warn(`${this.devicePath} is still covered by an ntsyncd mount; not removing it`);
    }
    // Closing the CUSE connection unregisters the character device and removes its node.
    this.cuseSession?.close();
    if (this.mount) sysUmount2(this.mount.dir, MNT_DETACH);
    this.fuseSession?.close();
    this.server.pending.close();
    this.server.caller.close();
    if (this.lockFd >= 0) closeSync(this.lockFd);
    this.lockFd = -1;
  }

  private async setUp(): Promise<void> {
    const { devicePath, mountDir, log } = this;
    mkdirSync(dirname(mountDir), { recursive: true });
    this.lockFd = takeLock(mountDir);
    detachStaleMounts(mountDir, devicePath, log);
    checkNotKernelDevice(devicePath);
    mkdirSync(mountDir, { recursive: true, mode: 0o755 });

    const transport = this.chooseTransport();
    if (transport === 'cuse') removeStaleDeviceFile(devicePath);
    else prepareDeviceFile(devicePath);

    this.mount = mountObjectFs(mountDir);
    this.server.caller.mountDevMajor = this.mount.devMajor;
    this.server.caller.mountDevMinor = this.mount.devMinor;
    this.fuseSession = this.serve(new Session(this.mount.fd, 'fuse'));
    const [mono, real] = this.server.pending.timers;
    this.loop.watch(mono.fd, () => this.server.onTimer(0));
    this.loop.watch(real.fd, () => this.server.onTimer(1));
    this.loop.start();
    await withTimeout(this.fuseReadyP, READY_TIMEOUT_MS, 'the kernel did not send FUSE INIT');

    if (transport === 'cuse') {
      this.cuseSession = this.serve(new Session(openCuse(), 'cuse'));
      await withTimeout(this.cuseReadyP, READY_TIMEOUT_MS, 'the kernel did not send CUSE_INIT');
      const { major, minor } = finishCuseNode(devicePath);
      this.server.cuseMajor = major;
      this.server.cuseMinor = minor;
      log.info(`ready: serving ${devicePath} as a CUSE character device (${major}:${minor}); objects in ${mountDir}`);
    } else {
      await bindMount(join(mountDir, DEVICE_FILE), devicePath);
      this.deviceBound = true;
      log.info(`ready: serving ${devicePath} through a bind mount of ${join(mountDir, DEVICE_FILE)}; objects in ${mountDir}`);
    }
    this.transport = transport;
  }

  private chooseTransport(): 'cuse' | 'fuse' {
    const wanted = this.options.transport;
    if (wanted === 'fuse') return 'fuse';
    const reason = cuseUnavailableReason(this.devicePath);
    if (reason === null) return 'cuse';
    if (wanted === 'cuse') throw new StartupError(`--transport cuse: ${reason}`);
    this.log.info(`${reason}; serving ${this.devicePath} through a FUSE bind mount instead`);
    return 'fuse';
  }

  private serve(session: Session): Session {
    this.loop.watch(session.fd, () => {
      this.server.drain(session, DRAIN_BUDGET);
    });
    return session;
  }

  private sessionClosed(session: Session): void {
    this.loop.unwatch(session.fd);
    if (this.stopped) return;
    const reason =
      session.kind === 'fuse' ? `the object filesystem at ${this.mountDir} was unmounted` : `the CUSE device ${this.devicePath} went away`;
    this.endWith(reason);
  }
}

/** Absolute path with the parent directory's symlinks resolved, the last component kept as is
 * (it may be a dead mount that cannot be stat'ed yet). */
function canonicalLeaf(path: string): string {
  const abs = resolve(path);
  const parent = dirname(abs);
  try {
    return join(realpathSync(parent), basename(abs));
  } catch {
    return abs;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new StartupError(`${message} within ${ms / 1000} s`)), ms);
    }),
  ]);
}
