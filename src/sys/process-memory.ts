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
  private readonly remoteBytes: Uint8Array;
  private readonly local: Uint32Array;

  constructor(readonly scratchSize = 4096) {
    if (koffi.sizeof('void *') !== 8) throw new Error('ntsyncd needs a 64-bit host (struct iovec layout)');
    const native = koffi.alloc('uint8_t', scratchSize);
    this.scratch = new Uint8Array(koffi.view(native, scratchSize));
    this.localIov = koffi.alloc('uint32_t', IOV_WORDS);
    this.remoteIov = koffi.alloc('uint32_t', IOV_WORDS);
    this.local = new Uint32Array(koffi.view(this.localIov, IOV_WORDS * 4));
    this.remote = new Uint32Array(koffi.view(this.remoteIov, IOV_WORDS * 4));
    this.remoteBytes = new Uint8Array(this.remote.buffer, this.remote.byteOffset, 8);
    const base = koffi.address(native);
    this.local[0] = Number(base & 0xffffffffn);
    this.local[1] = Number(base >> 32n);
  }

  /** read() with a BigInt address, for callers off the hot path. */
  read(pid: number, address: bigint, length: number, into: Uint8Array): number {
    return this.readAt(pid, Number(address & 0xffffffffn), Number((address >> 32n) & 0xffffffffn), length, into);
  }

  /** read() at `addressHi << 32 | addressLo`. */
  readAt(pid: number, addressLo: number, addressHi: number, length: number, into: Uint8Array): number {
    this.remote[0] = addressLo >>> 0;
    this.remote[1] = addressHi >>> 0;
    return this.readFromRemoteBase(pid, length, into);
  }

  /**
   * read() at the little-endian u64 address in `pointer[at..at+8)`: the bytes go straight into
   * the iovec, so the address never becomes a JS number (a high one would be a heap number).
   */
  readAtPointer(pid: number, pointer: Uint8Array, at: number, length: number, into: Uint8Array): number {
    const base = this.remoteBytes;
    for (let i = 0; i < 8; i++) base[i] = pointer[at + i];
    return this.readFromRemoteBase(pid, length, into);
  }

  /**
   * Copies `length` bytes from the address already in the remote iovec's base into `into`.
   * Returns 0, or -errno: -EFAULT for an unreadable range (also for a short read), -ESRCH for
   * a gone process.
   */
  private readFromRemoteBase(pid: number, length: number, into: Uint8Array): number {
    const remote = this.remote;
    const scratch = this.scratch;
    for (let done = 0; done < length; ) {
      const chunk = Math.min(length - done, this.scratchSize);
      if (done > 0) this.advanceRemoteBase(this.scratchSize);
      remote[2] = chunk;
      remote[3] = 0;
      this.local[2] = chunk;
      this.local[3] = 0;
      const n = c_process_vm_readv(pid, this.localIov, 1, this.remoteIov, 1, 0) as number;
      if (n < 0) return -lastErrno();
      if (n !== chunk) return -EFAULT;
      for (let i = 0; i < chunk; i++) into[done + i] = scratch[i];
      done += chunk;
    }
    return 0;
  }

  /** Adds `by` to the remote base, carrying into the high word; past bit 63 it wraps, as the
   * kernel's own pointer arithmetic would (and then faults). */
  private advanceRemoteBase(by: number): void {
    const lo = this.remote[0] + by;
    this.remote[0] = lo >>> 0;
    if (lo >= TWO_32) this.remote[1] = (this.remote[1] + 1) >>> 0;
  }
}
