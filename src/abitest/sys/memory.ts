// Memory the suite hands to the device by address. Each case gets its own mapping, laid out
//   [ read-write pages ............ ][ no-access guard page ]
// plus separate read-only pages on demand, so a case can build exactly the pointer it needs:
// ordinary arguments, a struct that ends right at an inaccessible page (the kernel must fault
// on the part it cannot read), an output the kernel can read but not write (the side effect
// must happen before the EFAULT), or an address that faults outright.
import { libc, koffi } from '../../sys/libc';

const c_mmap = libc.func('uintptr_t mmap(uintptr_t addr, size_t length, int prot, int flags, int fd, int64_t offset)');
const c_munmap = libc.func('int munmap(uintptr_t addr, size_t length)');
const c_mprotect = libc.func('int mprotect(uintptr_t addr, size_t length, int prot)');
const c_getpagesize = libc.func('int getpagesize()');

const PROT_NONE = 0;
const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_PRIVATE = 0x02;
const MAP_ANONYMOUS = 0x20;
const MAP_FAILED = 2 ** 64 - 1; // (void *)-1 as koffi returns it (a number, rounded)

export const PAGE_SIZE = c_getpagesize();

/**
 * An address nothing is mapped at: inside the first page, below vm.mmap_min_addr, where no
 * process maps memory. Used beside the guard page so "bad pointer" cases try both a hole and
 * a mapped-but-inaccessible page.
 */
export const UNMAPPED_ADDRESS = 0x10;

function mapPages(count: number, prot: number): number {
  const addr = Number(c_mmap(0, count * PAGE_SIZE, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (addr === MAP_FAILED || addr === -1) throw new Error(`mmap of ${count} pages failed: errno ${koffi.errno()}`);
  return addr;
}

interface Mapping {
  addr: number;
  length: number;
}

export class ScratchMemory {
  private readonly mappings: Mapping[] = [];
  private readonly base: number;
  private readonly rwLength: number;
  private readonly view: DataView;
  private cursor = 0;
  private topCursor: number;
  /** First byte of the no-access page right after the read-write area. */
  readonly guard: number;

  constructor(rwPages = 16) {
    this.rwLength = rwPages * PAGE_SIZE;
    this.base = mapPages(rwPages + 1, PROT_READ | PROT_WRITE);
    this.mappings.push({ addr: this.base, length: this.rwLength + PAGE_SIZE });
    this.guard = this.base + this.rwLength;
    if (c_mprotect(this.guard, PAGE_SIZE, PROT_NONE) !== 0) throw new Error(`mprotect failed: errno ${koffi.errno()}`);
    this.view = new DataView(koffi.view(this.base, this.rwLength));
    this.topCursor = this.rwLength;
  }

  /** `size` zeroed bytes of read-write memory, aligned. */
  alloc(size: number, align = 8): number {
    const start = Math.ceil(this.cursor / align) * align;
    if (start + size > this.topCursor) throw new Error('scratch memory exhausted');
    this.cursor = start + size;
    new Uint8Array(this.view.buffer, start, size).fill(0);
    return this.base + start;
  }

  /**
   * The last `size` bytes of the read-write area, zeroed: the byte after them is the guard page.
   * Every call returns the tail again (overlapping earlier tails), so write what the call
   * needs right before using it.
   */
  tail(size: number): number {
    const start = this.rwLength - size;
    if (start < this.cursor) throw new Error('scratch memory exhausted');
    this.topCursor = Math.min(this.topCursor, start);
    new Uint8Array(this.view.buffer, start, size).fill(0);
    return this.base + start;
  }

  /** A fresh page filled by `init` (through a writable view) and then made read-only. */
  readOnly(init: (page: DataView) => void): number {
    const addr = mapPages(1, PROT_READ | PROT_WRITE);
    this.mappings.push({ addr, length: PAGE_SIZE });
    init(new DataView(koffi.view(addr, PAGE_SIZE)));
    if (c_mprotect(addr, PAGE_SIZE, PROT_READ) !== 0) throw new Error(`mprotect failed: errno ${koffi.errno()}`);
    return addr;
  }

  /** A read-only page starting with `bytes`. */
  readOnlyBytes(bytes: Uint8Array): number {
    return this.readOnly((page) => new Uint8Array(page.buffer, page.byteOffset, bytes.length).set(bytes));
  }

  /** A read-only page holding one u32 at its start. */
  readOnlyU32(value: number): number {
    return this.readOnly((page) => page.setUint32(0, value >>> 0, true));
  }

  private offset(addr: number, size: number): number {
    const off = addr - this.base;
    if (off < 0 || off + size > this.rwLength) throw new Error(`address 0x${addr.toString(16)} is outside the scratch area`);
    return off;
  }

  getU32(addr: number): number {
    return this.view.getUint32(this.offset(addr, 4), true);
  }
  getI32(addr: number): number {
    return this.view.getInt32(this.offset(addr, 4), true);
  }
  setU32(addr: number, value: number): void {
    this.view.setUint32(this.offset(addr, 4), value >>> 0, true);
  }
  setI32(addr: number, value: number): void {
    this.view.setInt32(this.offset(addr, 4), value | 0, true);
  }
  getU64(addr: number): bigint {
    return this.view.getBigUint64(this.offset(addr, 8), true);
  }
  setU64(addr: number, value: bigint): void {
    this.view.setBigUint64(this.offset(addr, 8), BigInt.asUintN(64, value), true);
  }
  getU16(addr: number): number {
    return this.view.getUint16(this.offset(addr, 2), true);
  }
  setU16(addr: number, value: number): void {
    this.view.setUint16(this.offset(addr, 2), value & 0xffff, true);
  }
  setBytes(addr: number, bytes: Uint8Array): void {
    new Uint8Array(this.view.buffer, this.offset(addr, bytes.length), bytes.length).set(bytes);
  }
  bytes(addr: number, size: number): Uint8Array {
    return new Uint8Array(this.view.buffer, this.offset(addr, size), size).slice();
  }

  /** Unmaps everything. Only call once nothing (no blocked wait) can still write here. */
  release(): void {
    for (const m of this.mappings.splice(0)) c_munmap(m.addr, m.length);
  }
}
