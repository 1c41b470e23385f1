// Open file handles (the FUSE `fh`) of the device, control and status files and of the root
// directory, until their RELEASE (RELEASEDIR).
// An object file opens once, so its open needs no record of its own: its fh is its inode
// number, and these handles count from far above any inode number.
import type { DeviceId } from '../core/types';
import type { DirEntries } from './wire/reply';

export enum OpenKind {
  Device,
  Control,
  Status,
  /** The root directory, opened for `ls`. */
  Dir,
}

/** The first fh of a device or control open; every fh below it is an object's inode number. */
export const FIRST_HANDLE_FH = 2 ** 52;

export class OpenFile {
  /** Control opens: the supervisor that registered through this open, or 0. */
  supervisorTgid = 0;
  /** Status opens: the snapshot taken at open, which every READ of this open serves. */
  content: Uint8Array | null = null;
  /** Directory opens: the listing taken at OPENDIR, which every READDIR of this open pages through. */
  listing: DirEntries | null = null;

  constructor(
    readonly fh: number,
    readonly kind: OpenKind,
    /** Device opens: the engine's device instance. */
    readonly deviceId: DeviceId,
  ) {}
}

export class OpenFiles {
  private readonly files = new Map<number, OpenFile>();
  private nextFh = FIRST_HANDLE_FH;

  get size(): number {
    return this.files.size;
  }

  add(kind: OpenKind, deviceId: DeviceId): OpenFile {
    const file = new OpenFile(this.nextFh++, kind, deviceId);
    this.files.set(file.fh, file);
    return file;
  }

  get(fh: number): OpenFile | undefined {
    return this.files.get(fh);
  }

  /** Removes and returns the handle (RELEASE). */
  take(fh: number): OpenFile | undefined {
    const file = this.files.get(fh);
    if (file) this.files.delete(fh);
    return file;
  }

  countOf(kind: OpenKind): number {
    let n = 0;
    for (const f of this.files.values()) if (f.kind === kind) n++;
    return n;
  }
}
