// A fake ioctl caller for dispatcher tests: a memory map the test controls (anything outside
// the mapped regions is EFAULT, as process_vm_readv would say) and an fd table the test
// controls (fd number -> our object id; anything else — a closed fd, the device fd, a pipe —
// resolves to 0, as the statx-based resolver would say). Every call is recorded.
import { EFAULT } from '../../src/core/errno';
import type { Caller } from '../../src/ioctl/dispatch';

interface Region {
  base: bigint;
  bytes: Uint8Array;
}

export class FakeCaller implements Caller {
  private readonly regions: Region[] = [];
  /** Mapped regions start here and are spaced far apart, so a read past one end faults. */
  private nextBase = 0x7f00_0000_1000n;
  /** fd number -> object id. */
  readonly fds = new Map<number, number>();
  readonly reads: { address: bigint; length: number }[] = [];
  readonly resolved: number[] = [];

  /** Maps a copy of `bytes` at a fresh address and returns that address. */
  map(bytes: Uint8Array): bigint {
    const base = this.nextBase;
    this.nextBase += 0x10_0000n;
    this.regions.push({ base, bytes: bytes.slice() });
    return base;
  }

  /** Maps an array of C `int`s (the `objs` array of a wait). */
  mapInts(values: readonly number[]): bigint {
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    values.forEach((v, i) => view.setInt32(i * 4, v, true));
    return this.map(bytes);
  }

  unmap(address: bigint): void {
    const i = this.regions.findIndex((r) => r.base === address);
    if (i >= 0) this.regions.splice(i, 1);
  }

  /** An address nothing is mapped at. */
  unmapped(): bigint {
    const base = this.nextBase;
    this.nextBase += 0x10_0000n;
    return base;
  }

  readMemory(pointer: Uint8Array, at: number, length: number, into: Uint8Array): number {
    const address = new DataView(pointer.buffer, pointer.byteOffset + at, 8).getBigUint64(0, true);
    this.reads.push({ address, length });
    // process_vm_readv of nothing reads nothing, whatever the address (as copy_from_user).
    if (length === 0) return 0;
    for (const r of this.regions) {
      if (address >= r.base && address + BigInt(length) <= r.base + BigInt(r.bytes.length)) {
        const off = Number(address - r.base);
        into.set(r.bytes.subarray(off, off + length), 0);
        return 0;
      }
    }
    return -EFAULT;
  }

  resolveFd(fd: number): number {
    this.resolved.push(fd);
    return this.fds.get(fd) ?? 0;
  }

  /** Reads that actually asked for bytes. */
  nonEmptyReads(): { address: bigint; length: number }[] {
    return this.reads.filter((r) => r.length > 0);
  }

  clearLog(): void {
    this.reads.length = 0;
    this.resolved.length = 0;
  }
}
