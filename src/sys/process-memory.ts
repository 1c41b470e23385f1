// process_vm_readv(2): reads another process's memory, such as the `objs` array of a wait.
// The local side must be memory with a fixed address (it goes into an iovec), so reads land in
// a native scratch buffer and are then copied into the caller's typed array.
import { libc, lastErrno, koffi } from './libc';

const c_process_vm_readv = libc.func(
  'intptr_t process_vm_readv(int pid, const void *localIov, unsigned long liovcnt, const void *remoteIov, unsigned long riovcnt, unsigned long flags)',
);

export const EFAULT = 14;

export class ProcessMemoryReader {
  private readonly scratch: Uint8Array;
  private readonly localIov = new ArrayBuffer(16);
  private readonly remoteIov = new ArrayBuffer(16);
  private readonly remoteBase = new BigUint64Array(this.remoteIov, 0, 1);
  private readonly remoteLen = new Uint32Array(this.remoteIov, 8, 2);
  private readonly localLen = new Uint32Array(this.localIov, 8, 2);

  constructor(readonly scratchSize = 4096) {
    const native = koffi.alloc('uint8_t', scratchSize);
    this.scratch = new Uint8Array(koffi.view(native, scratchSize));
    new BigUint64Array(this.localIov, 0, 1)[0] = koffi.address(native);
  }

  /**
   * Copies `length` bytes at `address` in process (or thread) `pid` into `into`. Returns 0, or
   * -errno: -EFAULT for an unreadable range (also for a short read), -ESRCH for a gone process.
   */
  read(pid: number, address: bigint, length: number, into: Uint8Array): number {
    for (let done = 0; done < length; ) {
      const chunk = Math.min(length - done, this.scratchSize);
      this.remoteBase[0] = done === 0 ? address : address + BigInt(done);
      this.remoteLen[0] = chunk;
      this.localLen[0] = chunk;
      const n = Number(c_process_vm_readv(pid, this.localIov, 1, this.remoteIov, 1, 0));
      if (n < 0) return -lastErrno();
      if (n !== chunk) return -EFAULT;
      for (let i = 0; i < chunk; i++) into[done + i] = this.scratch[i];
      done += chunk;
    }
    return 0;
  }
}
