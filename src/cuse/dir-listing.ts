// What `ls` on the object mount shows: ".", "..", the static files, then every live object by
// its decimal id. The list of objects is taken once, at OPENDIR, so that the offsets READDIR
// hands out stay valid while objects come and go.
import { CONTROL_FILE, DEVICE_FILE, STATUS_FILE } from '../ioctl/control';
import type { DirEntries } from './wire/reply';
import { DT_DIR, DT_REG, FUSE_ROOT_ID } from './wire/layout';
import { CONTROL_INO, DEVICE_INO, objectIdOfIno, STATUS_INO } from './object-fs';

const STATIC: readonly { name: string; ino: number; type: number }[] = [
  { name: '.', ino: FUSE_ROOT_ID, type: DT_DIR },
  { name: '..', ino: FUSE_ROOT_ID, type: DT_DIR },
  { name: DEVICE_FILE, ino: DEVICE_INO, type: DT_REG },
  { name: CONTROL_FILE, ino: CONTROL_INO, type: DT_REG },
  { name: STATUS_FILE, ino: STATUS_INO, type: DT_REG },
];

export class RootListing implements DirEntries {
  constructor(
    /** Inode numbers of the live objects at OPENDIR, ascending; each is named by its object id. */
    private readonly objectInos: readonly number[],
  ) {}

  get count(): number {
    return STATIC.length + this.objectInos.length;
  }

  ino(i: number): number {
    return i < STATIC.length ? STATIC[i].ino : this.objectInos[i - STATIC.length];
  }

  type(i: number): number {
    return i < STATIC.length ? STATIC[i].type : DT_REG;
  }

  writeName(i: number, buf: Uint8Array, at: number): number {
    const name = i < STATIC.length ? STATIC[i].name : String(objectIdOfIno(this.objectInos[i - STATIC.length]));
    for (let k = 0; k < name.length; k++) buf[at + k] = name.charCodeAt(k);
    return name.length;
  }
}
