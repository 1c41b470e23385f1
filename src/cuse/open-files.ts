// Open file handles (the FUSE `fh`) of the device, control and status files and of the root
// directory, until their RELEASE (RELEASEDIR).
// An object file opens once, so its open needs no record of its own: its fh is made from its
// inode number.
import type { DeviceId } from '../core/types';
import type { DirEntries } from './wire/reply';

export enum OpenKind {
  Device,
  Control,
  Status,
  /** The root directory, opened for `ls`. */
  Dir,
}

// An fh says what it names by its low bit: even for an object file (2 × its inode number), odd
// for the opens recorded here (2n + 1). Both stay small integers (V8 Smis) for the first 2^29
// objects and opens, so decoding an fh, testing it and looking it up allocate nothing; a 2^52
// offset made every device fh a heap number, boxed on each wait.

/** The fh of an object file's one open. */
export function objectFh(ino: number): number {
  return ino * 2;
}

/** Whether `fh` is an object file's (else one of the opens recorded in OpenFiles). */
export function isObjectFh(fh: number): boolean {
  return fh % 2 === 0;
}

/** The inode number of the object file whose fh is `fh` (an object fh). */
export function inoOfObjectFh(fh: number): number {
  return fh / 2;
}

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
  private nextFh = 1;

  get size(): number {
    return this.files.size;
  }

  add(kind: OpenKind, deviceId: DeviceId): OpenFile {
    const file = new OpenFile(this.nextFh, kind, deviceId);
    this.nextFh += 2;
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
