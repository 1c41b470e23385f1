// process_vm_readv(2): reads another process's memory, such as the `objs` array of a wait.
// Both iovecs and the landing buffer live in native memory allocated once: each call then
// passes three fixed pointers, with no typed-array or BigInt conversion on the way in or out.
import { libc, lastErrno, koffi } from './libc';

// The result is at most one chunk (a few KiB) or -1, so an int return is exact and spares
// koffi a 64-bit conversion.
const c_process_vm_readv = libc.func(
  'int process_vm_readv(int pid, void *localIov, unsigned long liovcnt, void *remoteIov, unsigned long riovcnt, unsigned long flags)',
);

export const EFAULT = 14;

const TWO_32 = 0x1_0000_0000;
/** struct iovec { void *iov_base; size_t iov_len; } on a 64-bit host, as 32-bit words. */
const IOV_WORDS = 4;

export class ProcessMemoryReader {
  private readonly scratch: Uint8Array;
  private readonly localIov: unknown;
  private readonly remoteIov: unknown;
  /** The remote iovec's words: base low, base high, length low, length high. */
  private readonly remote: Uint32Array;
  private readonly local: Uint32Array;

  constructor(readonly scratchSize = 4096) {
    if (koffi.sizeof('void *') !== 8) throw new Error('ntsyncd needs a 64-bit host (struct iovec layout)');
    const native = koffi.alloc('uint8_t', scratchSize);
    this.scratch = new Uint8Array(koffi.view(native, scratchSize));
    this.localIov = koffi.alloc('uint32_t', IOV_WORDS);
    this.remoteIov = koffi.alloc('uint32_t', IOV_WORDS);
    this.local = new Uint32Array(koffi.view(this.localIov, IOV_WORDS * 4));
    this.remote = new Uint32Array(koffi.view(this.remoteIov, IOV_WORDS * 4));
    const base = koffi.address(native);
    this.local[0] = Number(base & 0xffffffffn);
    this.local[1] = Number(base >> 32n);
  }

  /** read() with a BigInt address, for callers off the hot path. */
  read(pid: number, address: bigint, length: number, into: Uint8Array): number {
    return this.readAt(pid, Number(address & 0xffffffffn), Number((address >> 32n) & 0xffffffffn), length, into);
  }

  /**
   * Copies `length` bytes at `addressHi << 32 | addressLo` in process (or thread) `pid` into
   * `into`. Returns 0, or -errno: -EFAULT for an unreadable range (also for a short read),
   * -ESRCH for a gone process.
   */
  readAt(pid: number, addressLo: number, addressHi: number, length: number, into: Uint8Array): number {
    const remote = this.remote;
    for (let done = 0; done < length; ) {
      const chunk = Math.min(length - done, this.scratchSize);
      // The address plus `done`, carried into the high word; a carry out of bit 63 wraps, as
      // the kernel's own pointer arithmetic would (and then faults).
      const lo = addressLo + done;
      remote[0] = lo >>> 0;
      remote[1] = (addressHi + (lo >= TWO_32 ? 1 : 0)) >>> 0;
      remote[2] = chunk;
      remote[3] = 0;
      this.local[2] = chunk;
      this.local[3] = 0;
      const n = c_process_vm_readv(pid, this.localIov, 1, this.remoteIov, 1, 0) as number;
      if (n < 0) return -lastErrno();
      if (n !== chunk) return -EFAULT;
      const scratch = this.scratch;
      for (let i = 0; i < chunk; i++) into[done + i] = scratch[i];
      done += chunk;
    }
    return 0;
  }
}
