// Open file handles (the FUSE `fh`): what each open of the device, the control file or an
// object file stands for, until its RELEASE.
import type { DeviceId } from '../core/types';
import type { FsNode } from './object-fs';

export enum OpenKind {
  Device,
  Control,
  Object,
}

export class OpenFile {
  /** Control opens: the supervisor that registered through this open, or 0. */
  supervisorTgid = 0;

  constructor(
    readonly fh: number,
    readonly kind: OpenKind,
    /** Device opens: the engine's device instance. */
    readonly deviceId: DeviceId,
    /** Object opens: the object's file. */
    readonly node: FsNode | null,
  ) {}
}

export class OpenFiles {
  private readonly files = new Map<number, OpenFile>();
  private nextFh = 1;

  get size(): number {
    return this.files.size;
  }

  add(kind: OpenKind, deviceId: DeviceId, node: FsNode | null): OpenFile {
    const file = new OpenFile(this.nextFh++, kind, deviceId, node);
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
