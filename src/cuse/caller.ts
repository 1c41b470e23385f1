// The Caller the dispatcher needs for WAIT: the calling thread's memory and fd table, reached
// through process_vm_readv and /proc/<tid>/fd. One instance is reused for every request; the
// server points it at the request's thread id first.
import { EFAULT } from '../core/errno';
import type { Caller } from '../ioctl/dispatch';
import { ProcessMemoryReader } from '../sys/process-memory';
import { ProcFdStat } from '../sys/statx';
import { objectIdOfIno } from './object-fs';

export class ProcessCaller implements Caller {
  /** The thread that issued the current request (the FUSE header's pid). */
  tid = 0;
  /** st_dev of the object mount: set once the mount exists. */
  mountDevMajor = -1;
  mountDevMinor = -1;

  private readonly memory = new ProcessMemoryReader(512);
  private readonly fdStat = new ProcFdStat();

  readMemory(pointer: Uint8Array, at: number, length: number, into: Uint8Array): number {
    // A gone thread, a bad pointer or a pid outside our namespace (0) all look like a bad
    // pointer to the caller: the kernel would report EFAULT for what it cannot copy.
    if (this.tid <= 0) return -EFAULT;
    return this.memory.readAtPointer(this.tid, pointer, at, length, into) === 0 ? 0 : -EFAULT;
  }

  /** Releases the /proc directories kept open for recent callers. */
  close(): void {
    this.fdStat.close();
  }

  resolveFd(fd: number): number {
    if (fd < 0 || this.tid <= 0) return 0;
    const st = this.fdStat;
    if (st.stat(this.tid, fd) !== 0) return 0;
    if (st.devMajor !== this.mountDevMajor || st.devMinor !== this.mountDevMinor) return 0;
    return objectIdOfIno(st.ino);
  }
}
