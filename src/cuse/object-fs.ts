// The object filesystem's namespace: the root directory, `device`, `control`, and one file per
// object named by its decimal id. An object file's inode number (= its FUSE node id; the fh of
// its one open is made from it, see open-files.ts) is the engine's object id, a counter that is
// never reset, past the static files' numbers: an fd's st_ino names one object for the
// daemon's whole life.
import type { ObjectId } from '../core/types';
import { CONTROL_FILE, DEVICE_FILE, STATUS_FILE } from '../ioctl/control';
import { FUSE_ROOT_ID, S_IFDIR, S_IFREG } from './wire/layout';
import type { Attr } from './wire/reply';

export enum NodeKind {
  Root,
  Device,
  Control,
  Object,
  /** Read-only JSON snapshot of the daemon's state, made at open (`ntsyncd status`). */
  Status,
}

export class FsNode {
  /** Kernel references from LOOKUP replies not yet returned by FORGET. */
  lookups = 0;
  /** Object files only: the object is still alive (not yet released). */
  live = true;
  /** Object files only: already opened (each opens once). */
  opened = false;

  constructor(
    readonly ino: number,
    readonly kind: NodeKind,
    readonly objectId: ObjectId,
    /** Object files only: the thread-group id of the supervisor allowed to open it. */
    readonly creatorTgid: number,
  ) {}
}

export const DEVICE_INO = 2;
export const CONTROL_INO = 3;
export const STATUS_INO = 4;
/** Object id 1 is inode 16; 5..15 stay free for files to come. */
const OBJECT_INO_BASE = 15;

/**
 * The object an inode number of this filesystem names, or 0 for the static files. Plain
 * arithmetic: whether that object still lives is the engine's to check (a wait validates every
 * object it is given), and an fd can only name an object whose file is open.
 */
export function objectIdOfIno(ino: number): ObjectId {
  return ino > OBJECT_INO_BASE ? ino - OBJECT_INO_BASE : 0;
}

export class ObjectFs {
  readonly root = new FsNode(FUSE_ROOT_ID, NodeKind.Root, 0, 0);
  readonly device = new FsNode(DEVICE_INO, NodeKind.Device, 0, 0);
  readonly control = new FsNode(CONTROL_INO, NodeKind.Control, 0, 0);
  readonly status = new FsNode(STATUS_INO, NodeKind.Status, 0, 0);

  private readonly nodes = new Map<number, FsNode>();
  private liveCount = 0;
  private readonly attr: Attr = { ino: 0, size: 0, blocks: 0, time: 0, mode: 0, nlink: 1, uid: 0, gid: 0, rdev: 0, blksize: 4096 };

  constructor(
    /** Timestamps shown for every file: the daemon's start time, in seconds. */
    private readonly startTime = Math.floor(Date.now() / 1000),
  ) {
    for (const n of [this.root, this.device, this.control, this.status]) this.nodes.set(n.ino, n);
  }

  get(ino: number): FsNode | undefined {
    return this.nodes.get(ino);
  }

  /** The live object file with this inode number, or undefined (for fd resolution). */
  objectByIno(ino: number): FsNode | undefined {
    const node = this.nodes.get(ino);
    return node && node.kind === NodeKind.Object && node.live ? node : undefined;
  }

  /** Inode numbers of the live objects, ascending (ids only grow, and a Map keeps insertion order). */
  liveObjectInos(): number[] {
    const inos: number[] = [];
    for (const node of this.nodes.values()) if (node.kind === NodeKind.Object && node.live) inos.push(node.ino);
    return inos;
  }

  /** The live object file of object `id`, or undefined. */
  objectById(id: number): FsNode | undefined {
    return id > 0 ? this.objectByIno(id + OBJECT_INO_BASE) : undefined;
  }

  get objectCount(): number {
    return this.liveCount;
  }

  addObject(objectId: ObjectId, creatorTgid: number): FsNode {
    const node = new FsNode(objectId + OBJECT_INO_BASE, NodeKind.Object, objectId, creatorTgid);
    this.nodes.set(node.ino, node);
    this.liveCount++;
    return node;
  }

  /** Resolves a name in the root directory (bytes name[from..from+length)); undefined = ENOENT. */
  lookup(name: Uint8Array, from: number, length: number): FsNode | undefined {
    if (matches(name, from, length, DEVICE_FILE)) return this.device;
    if (matches(name, from, length, CONTROL_FILE)) return this.control;
    if (matches(name, from, length, STATUS_FILE)) return this.status;
    return this.objectById(parseDecimalId(name, from, length));
  }

  /** The object is gone (its file was released, or it was never opened): its name disappears. */
  objectGone(node: FsNode): void {
    if (!node.live) return;
    node.live = false;
    this.liveCount--;
    if (node.lookups === 0) this.nodes.delete(node.ino);
  }

  /** FORGET: the kernel dropped `count` references. Static nodes are never removed. */
  forget(ino: number, count: number): void {
    const node = this.nodes.get(ino);
    if (!node) return;
    node.lookups = Math.max(0, node.lookups - count);
    if (node.kind === NodeKind.Object && !node.live && node.lookups === 0) this.nodes.delete(ino);
  }

  /** The attributes of a node, in a record reused from call to call. */
  attrOf(node: FsNode): Attr {
    const a = this.attr;
    a.ino = node.ino;
    a.time = this.startTime;
    a.nlink = node.kind === NodeKind.Root ? 2 : 1;
    // Permissions are enforced by the daemon on OPEN (no default_permissions): the modes are
    // for `ls`. The device is 0666 like the kernel's node; objects belong to their creator.
    a.mode =
      node.kind === NodeKind.Root
        ? S_IFDIR | 0o755
        : node.kind === NodeKind.Object
          ? S_IFREG | 0o600
          : node.kind === NodeKind.Status
            ? S_IFREG | 0o444
            : S_IFREG | 0o666;
    return a;
  }
}

function matches(buf: Uint8Array, from: number, length: number, text: string): boolean {
  if (length !== text.length) return false;
  for (let i = 0; i < length; i++) if (buf[from + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** A positive decimal without leading zeros and below 2^53, or 0. */
export function parseDecimalId(buf: Uint8Array, from: number, length: number): number {
  if (length < 1 || length > 15 || buf[from] === 48) return 0;
  let v = 0;
  for (let i = 0; i < length; i++) {
    const d = buf[from + i] - 48;
    if (d < 0 || d > 9) return 0;
    v = v * 10 + d;
  }
  return v;
}
