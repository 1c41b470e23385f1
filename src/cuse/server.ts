// What each request means: the object filesystem, the device opens, the ioctls (handed to the
// dispatcher), pending waits and their deadlines and interrupts. One table maps opcodes to
// handlers; requests are read, answered and forgotten one at a time, on one thread.
import { readFileSync } from 'node:fs';
import { Engine, type Wait } from '../core/engine';
import { EACCES, EINVAL, ENOSYS, ENOTTY, EPERM, ERESTARTSYS, ETIMEDOUT } from '../core/errno';
import { ObjectType, type ClockNow } from '../core/types';
import { Dispatcher, PENDING } from '../ioctl/dispatch';
import { CREATE_ARGS_SIZE, NTSYNCD_IOC_CREATE, NTSYNCD_IOC_CUSE_DEVICE, NTSYNCD_IOC_DROP, NTSYNCD_IOC_REGISTER } from '../ioctl/control';
import { isCreateIoctl } from '../ioctl/numbers';
import { clockNow } from '../sys/clock';
import { ProcessCaller } from './caller';
import type { Log } from './log';
import { RootListing } from './dir-listing';
import { NodeKind, ObjectFs, type FsNode } from './object-fs';
import { inoOfObjectFh, isObjectFh, objectFh, OpenFiles, OpenKind, type OpenFile } from './open-files';
import { PendingWait, PendingWaits } from './pending-waits';
import { MAX_IOCTL_DATA, MAX_WRITE, Session } from './session';
import { Supervisors } from './supervisors';
import { errnoText } from '../sys/errno-text';
import { LatencyHistogram } from '../status/latency';
import { buildSnapshot } from '../status/snapshot';
import { processName, scanObjectHolders } from '../status/holders';
import * as Op from './wire/opcodes';
import {
  FOPEN_DIRECT_IO,
  FOPEN_NOFLUSH,
  FOPEN_NONSEEKABLE,
  FUSE_KERNEL_MINOR_VERSION,
  FUSE_KERNEL_VERSION,
  FUSE_MIN_MINOR_VERSION,
  FUSE_ROOT_ID,
  IN_HEADER,
  RELEASE_IN,
} from './wire/layout';
import { getU64n, putU64n } from './wire/numbers';
import { copyBytes, getU32, putU32 } from '../ioctl/bytes';
import {
  CuseInitIn,
  decodeBatchForgetCount,
  decodeCuseInitIn,
  decodeForgetIn,
  decodeInHeader,
  decodeInitIn,
  decodeInterruptIn,
  decodeIoctlIn,
  decodeLeadingFh,
  decodeLookupNameLength,
  decodeReadIn,
  forgetOneNlookup,
  forgetOneNodeid,
  InHeader,
  InitIn,
  IoctlIn,
  ReadIn,
} from './wire/request';
import {
  encodeAttr,
  encodeCuseInit,
  encodeData,
  encodeDirents,
  encodeEmpty,
  encodeEntry,
  encodeError,
  encodeInit,
  encodeIoctl,
  encodeOpen,
  encodeStatfs,
} from './wire/reply';

const ENOENT = 2;
const EIO = 5;
const EBADF = 9;
const ENOTDIR = 20;
const EISDIR = 21;
const EPROTO = 71;

/** Power of two: which share of requests the latency histogram times. */
const LATENCY_SAMPLE_EVERY = 16;
/** Every open is non-seekable (lseek: ESPIPE), uncached, and closes without a FLUSH round trip. */
const OPEN_FLAGS = FOPEN_DIRECT_IO | FOPEN_NONSEEKABLE | FOPEN_NOFLUSH;
/** Names and attributes never change under the kernel's feet: cache them for a day. */
const LONG_VALID_SEC = 86400;
/** Object names are looked up afresh every time, so their dentries die with their last fd. */
const OBJECT_ENTRY_VALID_SEC = 0;

export interface ServerEvents {
  /** FUSE INIT was answered: the object filesystem works from now on. */
  fuseReady(): void;
  /** CUSE_INIT was answered: the character device exists from now on. */
  cuseReady(): void;
  /** The kernel closed a connection (unmount, DESTROY, or the device went away). */
  sessionClosed(session: Session): void;
}

export interface ServerOptions {
  log: Log;
  events: ServerEvents;
  /** DEVNAME for CUSE_INIT: the node's path below /dev. */
  cuseDevName?: string;
  now?: ClockNow;
  /** What the status file says about the daemon itself (known once it serves). */
  describe?: () => { transport: string; device: string; mount: string };
}

type Handler = (s: Session) => void;

export class NtsyncServer {
  readonly engine = new Engine<PendingWait>();
  readonly dispatcher: Dispatcher<PendingWait>;
  readonly fs = new ObjectFs();
  readonly files = new OpenFiles();
  readonly supervisors = new Supervisors();
  readonly pending = new PendingWaits();
  readonly caller: ProcessCaller;
  /** Reported by NTSYNCD_IOC_CUSE_DEVICE; 0/0 while the device is a FUSE bind mount. */
  cuseMajor = 0;
  cuseMinor = 0;
  /** Time each request takes inside the daemon, from decoding to the last reply it caused. */
  readonly latency = new LatencyHistogram();
  waitsTimedOut = 0;
  waitsInterrupted = 0;
  /**
   * Threads whose poll() on the object mount we answered with ENOSYS, which makes the kernel
   * stop sending POLL to the mount for good. Once such a thread issues an ioctl, its poll() has
   * returned and the kernel has taken note: fd witnesses (which poll) are then safe. ntsync-run
   * polls the control file right before it registers (DaemonBackend.connect).
   */
  private readonly polledWithEnosys = new Set<number>();
  /** Requests handled, all kinds. */
  requests = 0;
  /** Which process opened each device instance, for the status file. */
  private readonly deviceOpeners = new Map<number, number>();
  private readonly startedAtIso = new Date().toISOString();
  private readonly describeDaemon: () => { transport: string; device: string; mount: string };
  private readonly readIn = new ReadIn();

  private readonly log: Log;
  private readonly events: ServerEvents;
  private readonly cuseDevName: string;
  private readonly now: ClockNow;
  private readonly handlers: (Handler | undefined)[] = [];
  private readonly header = new InHeader();
  private readonly initIn = new InitIn();
  private readonly cuseInitIn = new CuseInitIn();
  private readonly ioctlIn = new IoctlIn();
  /** Object files a supervisor created but has not opened yet, by supervisor. */
  private readonly unopened = new Map<number, Set<FsNode>>();

  constructor(options: ServerOptions) {
    this.log = options.log;
    this.events = options.events;
    this.cuseDevName = options.cuseDevName ?? 'ntsync';
    this.describeDaemon = options.describe ?? (() => ({ transport: '?', device: '?', mount: '?' }));
    this.now = options.now ?? clockNow;
    this.dispatcher = new Dispatcher<PendingWait>(this.engine, this.now);
    this.caller = new ProcessCaller();

    const h = this.handlers;
    h[Op.FUSE_INIT] = this.init;
    h[Op.CUSE_INIT] = this.cuseInit;
    h[Op.FUSE_LOOKUP] = this.lookup;
    h[Op.FUSE_FORGET] = this.forget;
    h[Op.FUSE_BATCH_FORGET] = this.batchForget;
    h[Op.FUSE_GETATTR] = this.getattr;
    h[Op.FUSE_OPEN] = this.open;
    h[Op.FUSE_IOCTL] = this.ioctl;
    h[Op.FUSE_FLUSH] = this.flush;
    h[Op.FUSE_RELEASE] = this.release;
    h[Op.FUSE_INTERRUPT] = this.interrupt;
    h[Op.FUSE_STATFS] = this.statfs;
    h[Op.FUSE_DESTROY] = this.destroy;
    h[Op.FUSE_READ] = this.read;
    h[Op.FUSE_WRITE] = this.readOrWrite;
    h[Op.FUSE_POLL] = this.poll;
    h[Op.FUSE_OPENDIR] = this.opendir;
    h[Op.FUSE_READDIR] = this.readdir;
    // RELEASEDIR carries the same struct as RELEASE, and a directory handle needs nothing more.
    h[Op.FUSE_RELEASEDIR] = this.release;
  }

  /**
   * Reads and answers up to `budget` requests of a session. Returns how many it handled, or
   * -1 when the connection is gone.
   */
  drain(session: Session, budget: number): number {
    let n = 0;
    while (n < budget) {
      const length = session.receive();
      if (length === 0) break;
      if (length < 0) {
        this.events.sessionClosed(session);
        return -1;
      }
      this.handle(session, length);
      n++;
    }
    return n;
  }

  /** Answers the request in session.readBuf[0..length). Never throws. */
  handle(session: Session, length: number): void {
    const hd = this.header;
    if (!decodeInHeader(session.readBuf, length, hd)) {
      this.log.error(`dropped a malformed request of ${length} bytes from the kernel`);
      return;
    }
    const handler = hd.opcode < this.handlers.length ? this.handlers[hd.opcode] : undefined;
    // One request in LATENCY_SAMPLE_EVERY is timed: a clock read costs ~150 ns on this kind of
    // VM, 4% of a round trip if every request paid for two; a sample keeps the percentiles.
    const started = (++this.requests & (LATENCY_SAMPLE_EVERY - 1)) === 0 ? performance.now() : -1;
    try {
      if (!session.initialized && hd.opcode !== Op.FUSE_INIT && hd.opcode !== Op.CUSE_INIT) {
        if (Op.expectsReply(hd.opcode)) this.replyError(session, EIO);
      } else if (handler) {
        handler(session);
      } else if (Op.expectsReply(hd.opcode)) {
        // Never reached for INTERRUPT or FLUSH: ENOSYS to those turns them off for good.
        this.replyError(session, ENOSYS);
      }
    } catch (err) {
      this.log.error(`internal error in ${Op.opcodeName(hd.opcode)}: ${(err as Error).stack ?? String(err)}`);
      if (Op.expectsReply(hd.opcode)) this.replyError(session, EIO);
    }
    if (started >= 0) this.latency.record((performance.now() - started) * 1e6);
  }

  /** The clock's deadline timer fired (0 = MONOTONIC, 1 = REALTIME): time out expired waits. */
  onTimer(clock: 0 | 1): void {
    const pending = this.pending;
    const now = this.now(clock === 1);
    // Every microsecond spent here after a wake-up is late, so the callers are answered first
    // and the engine and the timer are brought up to date afterwards. A wait still in the
    // deadline heap has not completed (answered waits leave it at once), so its answer can
    // only be ETIMEDOUT, with no out-data.
    for (let rec = pending.firstExpired(clock, now); rec; rec = pending.firstExpired(clock, now)) {
      const wait = rec.wait!;
      if (wait.done) {
        this.answerWoken();
        continue;
      }
      const s = rec.session!;
      if (!s.closed) this.send(s, encodeIoctl(s.replyBuf, rec.unique, -ETIMEDOUT, 0));
      this.engine.cancel(wait, -ETIMEDOUT);
      this.waitsTimedOut++;
      this.dispatcher.completeWait(wait, s.ioctlOutput);
      pending.remove(rec);
    }
    pending.timerFired(clock);
    pending.rearm(clock);
  }

  // ---- handshakes ------------------------------------------------------------------------

  private readonly init = (s: Session): void => {
    const hd = this.header;
    const init = this.initIn;
    if (s.kind !== 'fuse' || !decodeInitIn(s.readBuf, hd, init)) return this.replyError(s, EINVAL);
    if (init.major > FUSE_KERNEL_VERSION) {
      // The protocol's answer to a newer major: state ours, and the kernel retries INIT with it.
      return this.replyInit(s, FUSE_KERNEL_MINOR_VERSION, 0);
    }
    if (init.major < FUSE_KERNEL_VERSION || init.minor < FUSE_MIN_MINOR_VERSION) {
      this.log.error(`the kernel speaks FUSE ${init.major}.${init.minor}; ntsyncd needs 7.${FUSE_MIN_MINOR_VERSION} or later`);
      return this.replyError(s, EPROTO);
    }
    s.minor = Math.min(init.minor, FUSE_KERNEL_MINOR_VERSION);
    this.replyInit(s, s.minor, init.maxReadahead);
    s.initialized = true;
    this.log.debug(`FUSE connection initialized: kernel 7.${init.minor}, speaking 7.${s.minor}`);
    this.events.fuseReady();
  };

  private replyInit(s: Session, minor: number, maxReadahead: number): void {
    const len = encodeInit(s.replyBuf, this.header.unique, {
      major: FUSE_KERNEL_VERSION,
      minor,
      maxReadahead,
      // No capability flags: in particular not FUSE_NO_OPEN_SUPPORT, since OPEN and RELEASE
      // carry the lifetimes of devices and objects.
      flags: 0,
      maxBackground: 0,
      congestionThreshold: 0,
      maxWrite: MAX_WRITE,
      timeGran: 1,
      maxPages: 0,
    });
    this.send(s, len);
  }

  private readonly cuseInit = (s: Session): void => {
    const init = this.cuseInitIn;
    if (s.kind !== 'cuse' || !decodeCuseInitIn(s.readBuf, this.header, init)) return this.replyError(s, EINVAL);
    if (init.major !== FUSE_KERNEL_VERSION || init.minor < FUSE_MIN_MINOR_VERSION) {
      this.log.error(`the kernel speaks CUSE ${init.major}.${init.minor}; ntsyncd needs 7.${FUSE_MIN_MINOR_VERSION} or later`);
      return this.replyError(s, EPROTO);
    }
    s.minor = Math.min(init.minor, FUSE_KERNEL_MINOR_VERSION);
    const len = encodeCuseInit(
      s.replyBuf,
      this.header.unique,
      // flags 0: restricted ioctls, where the kernel copies _IOC_SIZE bytes by direction.
      { major: FUSE_KERNEL_VERSION, minor: s.minor, flags: 0, maxRead: MAX_WRITE, maxWrite: MAX_WRITE, devMajor: 0, devMinor: 0 },
      [`DEVNAME=${this.cuseDevName}`],
    );
    if (this.send(s, len) !== 0) return;
    s.initialized = true;
    this.events.cuseReady();
  };

  // ---- the namespace ---------------------------------------------------------------------

  private readonly lookup = (s: Session): void => {
    const hd = this.header;
    if (s.kind !== 'fuse') return this.replyError(s, ENOSYS);
    if (hd.nodeid !== FUSE_ROOT_ID) return this.replyError(s, this.fs.get(hd.nodeid) ? ENOTDIR : ENOENT);
    const nameLength = decodeLookupNameLength(s.readBuf, hd);
    if (nameLength < 0) return this.replyError(s, EINVAL);
    const node = this.fs.lookup(s.readBuf, IN_HEADER.size, nameLength);
    if (!node) return this.replyError(s, ENOENT);
    node.lookups++;
    const entryValid = node.kind === NodeKind.Object ? OBJECT_ENTRY_VALID_SEC : LONG_VALID_SEC;
    this.send(s, encodeEntry(s.replyBuf, hd.unique, node.ino, 0, entryValid, LONG_VALID_SEC, this.fs.attrOf(node)));
  };

  private readonly forget = (s: Session): void => {
    const n = decodeForgetIn(s.readBuf, this.header);
    if (n > 0) this.fs.forget(this.header.nodeid, n);
  };

  private readonly batchForget = (s: Session): void => {
    const count = decodeBatchForgetCount(s.readBuf, this.header);
    for (let i = 0; i < count; i++) this.fs.forget(forgetOneNodeid(s.readBuf, i), forgetOneNlookup(s.readBuf, i));
  };

  private readonly getattr = (s: Session): void => {
    const node = s.kind === 'fuse' ? this.fs.get(this.header.nodeid) : undefined;
    if (!node) return this.replyError(s, s.kind === 'fuse' ? ENOENT : ENOSYS);
    this.send(s, encodeAttr(s.replyBuf, this.header.unique, LONG_VALID_SEC, this.fs.attrOf(node)));
  };

  private readonly statfs = (s: Session): void => {
    const objects = this.fs.objectCount;
    this.send(s, encodeStatfs(s.replyBuf, this.header.unique, { blocks: 0, files: objects + 3, ffree: 0, bsize: 4096, namelen: 255 }));
  };

  // ---- opens and releases ----------------------------------------------------------------

  private readonly open = (s: Session): void => {
    if (s.kind === 'cuse') return this.openDevice(s);
    const node = this.fs.get(this.header.nodeid);
    if (!node) return this.replyError(s, ENOENT);
    switch (node.kind) {
      case NodeKind.Root:
        return this.replyError(s, EISDIR);
      case NodeKind.Device:
        return this.openDevice(s);
      case NodeKind.Control:
        return this.replyOpen(s, this.files.add(OpenKind.Control, 0).fh);
      case NodeKind.Object:
        return this.openObject(s, node);
      case NodeKind.Status:
        return this.openStatus(s);
    }
  };

  /** `ls` of the mount: the root's listing is taken here, READDIR pages through it. */
  private readonly opendir = (s: Session): void => {
    const node = s.kind === 'fuse' ? this.fs.get(this.header.nodeid) : undefined;
    if (!node) return this.replyError(s, s.kind === 'fuse' ? ENOENT : ENOSYS);
    if (node.kind !== NodeKind.Root) return this.replyError(s, ENOTDIR);
    const file = this.files.add(OpenKind.Dir, 0);
    file.listing = new RootListing(this.fs.liveObjectInos());
    this.send(s, encodeOpen(s.replyBuf, this.header.unique, file.fh, 0));
  };

  private readonly readdir = (s: Session): void => {
    const r = this.readIn;
    const file = decodeReadIn(s.readBuf, this.header, r) && !isObjectFh(r.fh) ? this.files.get(r.fh) : undefined;
    if (!file || !file.listing) return this.replyError(s, EBADF);
    this.send(s, encodeDirents(s.replyBuf, this.header.unique, file.listing, r.offset, r.size));
  };

  /** The snapshot is taken once, at open, so a reader sees one consistent state. */
  private openStatus(s: Session): void {
    const file = this.files.add(OpenKind.Status, 0);
    file.content = Buffer.from(JSON.stringify(this.statusSnapshot(), null, 1) + '\n');
    this.replyOpen(s, file.fh);
  }

  statusSnapshot() {
    const daemon = this.describeDaemon();
    for (const id of this.deviceOpeners.keys()) if (!this.engine.deviceLive(id)) this.deviceOpeners.delete(id);
    return buildSnapshot({
      daemon: { pid: process.pid, ...daemon, startedAtIso: this.startedAtIso },
      engine: this.engine,
      nowMs: performance.now(),
      describeWait: (rec: PendingWait) => ({ tid: rec.tid, startedMs: rec.startedMs }),
      nameOf: processName,
      deviceOpeners: this.deviceOpeners,
      // readlink only: naming a file of our own mount never sends us a request.
      objectHolders: daemon.mount === '?' ? new Map() : scanObjectHolders(daemon.mount, (id) => (this.engine.typeOf(id) ? id : 0)),
      latency: this.latency,
      timedOut: this.waitsTimedOut,
      interrupted: this.waitsInterrupted,
      fdResolution: { throughProc: this.caller.resolvedThroughProc, witnesses: this.caller.witnessStats() },
    });
  }

  /**
   * Each open is a new device instance, but only for processes below a registered supervisor:
   * others get EPERM, so that Wine falls back to server-side synchronization instead of
   * failing every CREATE later.
   */
  private openDevice(s: Session): void {
    const tid = this.header.pid;
    if (this.supervisors.supervisorOf(tid) === 0) {
      this.log.warn(
        `refused to open the device for ${describeProcess(tid)}: no ntsync-run supervisor among its ancestors ` +
          '(start the program with `ntsync-run <command>`)',
      );
      return this.replyError(s, EPERM);
    }
    const device = this.engine.openDevice();
    const file = this.files.add(OpenKind.Device, device);
    this.deviceOpeners.set(device, this.supervisors.tgidOf(tid) || tid);
    if (this.log.debugEnabled) this.log.debug(`device instance ${device} opened by ${describeProcess(tid)}`);
    this.replyOpen(s, file.fh);
  }

  /** An object file opens once, by the supervisor that created the object (it injects the fd). */
  private openObject(s: Session, node: FsNode): void {
    if (!node.live) return this.replyError(s, ENOENT);
    if (node.opened || this.supervisors.tgidOf(this.header.pid) !== node.creatorTgid) return this.replyError(s, EACCES);
    node.opened = true;
    this.unopened.get(node.creatorTgid)?.delete(node);
    this.replyOpen(s, objectFh(node.ino));
  }

  private replyOpen(s: Session, fh: number): void {
    this.send(s, encodeOpen(s.replyBuf, this.header.unique, fh, OPEN_FLAGS));
  }

  /** The object behind an object fh: its open file, while it is open. */
  private objectOpenedAs(fh: number): FsNode | undefined {
    const node = this.fs.objectByIno(inoOfObjectFh(fh));
    return node && node.opened ? node : undefined;
  }

  private readonly flush = (s: Session): void => {
    this.send(s, encodeEmpty(s.replyBuf, this.header.unique));
  };

  private readonly release = (s: Session): void => {
    const fh = decodeLeadingFh(s.readBuf, this.header, RELEASE_IN.size);
    this.send(s, encodeEmpty(s.replyBuf, this.header.unique));
    if (fh < 0) return;
    if (isObjectFh(fh)) {
      const node = this.objectOpenedAs(fh);
      if (node) this.closeObjectFile(node);
    } else {
      const file = this.files.take(fh);
      if (file?.kind === OpenKind.Device) {
        this.engine.closeDevice(file.deviceId);
        if (this.log.debugEnabled) this.log.debug(`device instance ${file.deviceId} released`);
      } else if (file?.kind === OpenKind.Control && file.supervisorTgid !== 0) {
        this.unregisterSupervisor(file.supervisorTgid);
      }
    }
    this.answerWoken();
  };

  private closeObjectFile(node: FsNode): void {
    this.engine.closeObject(node.objectId);
    this.fs.objectGone(node);
  }

  private unregisterSupervisor(tgid: number): void {
    if (!this.supervisors.unregister(tgid)) return;
    // Objects it created but never opened have no file that could ever be released.
    const orphans = this.unopened.get(tgid);
    this.unopened.delete(tgid);
    if (orphans) for (const node of orphans) this.closeObjectFile(node);
    this.log.info(`supervisor ${tgid} unregistered${orphans && orphans.size ? ` (${orphans.size} objects it never opened dropped)` : ''}`);
  }

  // ---- ioctls ----------------------------------------------------------------------------

  private readonly ioctl = (s: Session): void => {
    const hd = this.header;
    const io = this.ioctlIn;
    if (!decodeIoctlIn(s.readBuf, hd, io)) return this.replyError(s, EINVAL);
    // An ioctl is a syscall of its own (unlike a RELEASE, which the kernel may send for a thread
    // at any time): this thread's earlier poll() is over.
    if (this.polledWithEnosys.size !== 0 && this.polledWithEnosys.has(hd.pid)) {
      this.polledWithEnosys.clear();
      this.caller.enableWitnesses();
    }
    // Every ioctl we know carries at most MAX_IOCTL_DATA bytes each way; a larger size field
    // means a command that is not ours.
    if (io.inSize > MAX_IOCTL_DATA || io.outSize > MAX_IOCTL_DATA) return this.replyIoctl(s, -ENOTTY, 0);
    // The kernel only sends bytes the direction bits ask for; clear the rest of the window so
    // no decoder can see a previous request's bytes.
    if (io.inSize < MAX_IOCTL_DATA) s.ioctlInput.fill(0, io.inSize);
    if (isObjectFh(io.fh)) {
      const node = this.objectOpenedAs(io.fh);
      if (!node) return this.replyIoctl(s, -ENOTTY, 0);
      this.replyIoctl(s, this.dispatcher.objectIoctl(node.objectId, io.cmd, s.ioctlInput, s.ioctlOutput), this.dispatcher.outLength);
    } else {
      const file = this.files.get(io.fh);
      if (!file) return this.replyIoctl(s, -ENOTTY, 0);
      if (file.kind === OpenKind.Device) this.deviceIoctl(s, file);
      else this.controlIoctl(s, file);
    }
    this.answerWoken();
  };

  private deviceIoctl(s: Session, file: OpenFile): void {
    const hd = this.header;
    const io = this.ioctlIn;
    if (io.cmd === NTSYNCD_IOC_CREATE) {
      const r = this.controlCreate(s, file);
      return this.replyIoctl(s, r, r === 0 ? CREATE_ARGS_SIZE : 0);
    }
    if (isCreateIoctl(io.cmd)) {
      // The launcher's seccomp filter turns these into NTSYNCD_IOC_CREATE plus an injected fd.
      // One that reaches us comes from a process outside that filter; answering the object id
      // would hand the caller a bogus fd number.
      this.log.warn(`${describeProcess(hd.pid)} issued an ntsync CREATE ioctl directly; it must run under ntsync-run`);
      return this.replyIoctl(s, -EPERM, 0);
    }
    const tag = this.pending.take();
    this.caller.tid = hd.pid;
    const r = this.dispatcher.deviceIoctl(file.deviceId, io.cmd, s.ioctlInput, s.ioctlOutput, this.caller, tag);
    if (r === PENDING) {
      tag.tid = hd.pid;
      tag.startedMs = performance.now();
      this.pending.add(tag, s, hd.unique, io.outSize, this.dispatcher.pending!);
      return;
    }
    this.pending.recycle(tag);
    this.replyIoctl(s, r, this.dispatcher.outLength);
  }

  /** NTSYNCD_IOC_CREATE (see src/ioctl/control.ts); fills the out-data on success. */
  private controlCreate(s: Session, file: OpenFile): number {
    const tgid = this.supervisors.tgidOf(this.header.pid);
    if (tgid === 0 || !this.supervisors.has(tgid)) return -EPERM;
    const input = s.ioctlInput;
    if (getU32(input, 12) !== 0) return -EINVAL;
    const a = getU32(input, 4);
    const b = getU32(input, 8);
    let id: number;
    switch (getU32(input, 0)) {
      case ObjectType.Semaphore:
        id = this.engine.createSemaphore(file.deviceId, a, b);
        break;
      case ObjectType.Mutex:
        id = this.engine.createMutex(file.deviceId, a, b);
        break;
      case ObjectType.Event:
        id = this.engine.createEvent(file.deviceId, a, b);
        break;
      default:
        return -EINVAL;
    }
    if (id < 0) return id;
    const node = this.fs.addObject(id, tgid);
    let set = this.unopened.get(tgid);
    if (!set) this.unopened.set(tgid, (set = new Set()));
    set.add(node);
    const out = s.ioctlOutput;
    copyBytes(input, 0, out, 0, 16);
    putU64n(out, 16, id);
    return 0;
  }

  private controlIoctl(s: Session, file: OpenFile): void {
    const io = this.ioctlIn;
    switch (io.cmd) {
      case NTSYNCD_IOC_REGISTER: {
        const tgid = this.supervisors.tgidOf(this.header.pid);
        if (tgid === 0) return this.replyIoctl(s, -EPERM, 0);
        if (file.supervisorTgid !== 0) return this.replyIoctl(s, file.supervisorTgid === tgid ? 0 : -EINVAL, 0);
        file.supervisorTgid = tgid;
        this.supervisors.register(tgid);
        this.log.info(`supervisor ${describeProcess(tgid)} registered`);
        return this.replyIoctl(s, 0, 0);
      }
      case NTSYNCD_IOC_CUSE_DEVICE:
        putU32(s.ioctlOutput, 0, this.cuseMajor);
        putU32(s.ioctlOutput, 4, this.cuseMinor);
        return this.replyIoctl(s, 0, 8);
      case NTSYNCD_IOC_DROP:
        return this.replyIoctl(s, this.dropUnopened(file, getU64n(s.ioctlInput, 0)), 0);
      default:
        return this.replyIoctl(s, -ENOTTY, 0);
    }
  }

  /** NTSYNCD_IOC_DROP: an object its creator could not open goes at once, not at unregister. */
  private dropUnopened(file: OpenFile, id: number): number {
    const tgid = file.supervisorTgid;
    const node = tgid === 0 ? undefined : this.fs.objectById(id);
    if (!node || node.opened || node.creatorTgid !== tgid) return -EINVAL;
    this.unopened.get(tgid)?.delete(node);
    this.closeObjectFile(node);
    return 0;
  }

  /** out-data is already in s.ioctlOutput; it is cut to what the request can take. */
  private replyIoctl(s: Session, result: number, outLength: number): void {
    const len = Math.min(outLength, this.ioctlIn.outSize);
    this.send(s, encodeIoctl(s.replyBuf, this.header.unique, result, len));
  }

  // ---- pending waits ---------------------------------------------------------------------

  /** INTERRUPT: the caller got a signal. No reply to the INTERRUPT itself. */
  private readonly interrupt = (s: Session): void => {
    const target = decodeInterruptIn(s.readBuf, this.header);
    const rec = target >= 0 ? s.waits.get(target) : undefined;
    // Not found: already answered (woken or timed out), nothing to do.
    if (!rec) return;
    // -ERESTARTSYS gives the kernel's own behaviour: restart under SA_RESTART, EINTR
    // otherwise, nothing visible for SIGSTOP/SIGCONT. A wait satisfied first keeps its result.
    if (this.engine.cancel(rec.wait!, -ERESTARTSYS)) {
      this.waitsInterrupted++;
      this.answerWait(rec);
    } else {
      this.answerWoken();
    }
  };

  /** Answers every wait the last engine call satisfied. */
  private answerWoken(): void {
    const woken = this.engine.woken;
    if (woken.length === 0) return;
    for (let i = 0; i < woken.length; i++) {
      const wait = woken[i];
      const rec = wait.tag;
      if (rec.wait === wait) this.answerWait(rec);
    }
    woken.length = 0;
  }

  private answerWait(rec: PendingWait): void {
    const wait: Wait<PendingWait> = rec.wait!;
    const s = rec.session!;
    const result = this.dispatcher.completeWait(wait, s.ioctlOutput);
    const len = Math.min(this.dispatcher.outLength, rec.outSize);
    const unique = rec.unique;
    this.pending.remove(rec);
    if (!s.closed) this.send(s, encodeIoctl(s.replyBuf, unique, result, len));
  }

  // ---- plain file operations -------------------------------------------------------------

  /** As on the kernel's device and objects: read and write fail with EINVAL. */
  private readonly readOrWrite = (s: Session): void => this.replyError(s, EINVAL);

  /** READ serves the status file; anything else is EINVAL, as on the kernel's files. */
  private readonly read = (s: Session): void => {
    const r = this.readIn;
    const file = decodeReadIn(s.readBuf, this.header, r) && !isObjectFh(r.fh) ? this.files.get(r.fh) : undefined;
    if (!file || file.kind !== OpenKind.Status || !file.content) return this.replyError(s, EINVAL);
    this.send(s, encodeData(s.replyBuf, this.header.unique, file.content, r.offset, r.size));
  };

  /** ENOSYS once; the kernel then stops asking and reports its default mask, as for the driver. */
  private readonly poll = (s: Session): void => {
    // Only the object mount's answer matters: the kernel's no-POLL note is per connection.
    if (s.kind === 'fuse' && this.polledWithEnosys.size < 64) this.polledWithEnosys.add(this.header.pid);
    this.replyError(s, ENOSYS);
  };

  private readonly destroy = (s: Session): void => {
    this.send(s, encodeEmpty(s.replyBuf, this.header.unique));
    s.closed = true;
    this.events.sessionClosed(s);
  };

  // ---- replies ---------------------------------------------------------------------------

  private replyError(s: Session, errno: number): void {
    this.send(s, encodeError(s.replyBuf, this.header.unique, errno));
  }

  private send(s: Session, length: number): number {
    const r = s.send(length);
    // ENOENT: the request was interrupted and withdrawn meanwhile; nobody waits for the answer.
    if (r < 0 && r !== -ENOENT) this.log.error(`the kernel refused a reply: ${errnoText(-r)}; this is a bug in ntsyncd, please report it`);
    return r;
  }
}

/** "pid 1234 (wine)" for log lines. */
export function describeProcess(pid: number): string {
  if (pid <= 0) return 'a process outside our pid namespace';
  let comm = '';
  try {
    comm = readFileSync(`/proc/${pid}/comm`, 'latin1').trim();
  } catch {
    // gone already
  }
  return comm ? `pid ${pid} (${comm})` : `pid ${pid}`;
}
