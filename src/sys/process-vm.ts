// Reading another process's memory with process_vm_readv(2): one syscall, no /proc open.
// The iovecs hold raw addresses, so the local side reads into native memory owned here
// (its address must not move under the kernel) and is then copied into the caller's array.
import { endianness } from 'node:os';
import { koffi, libc, lastErrno } from './libc';

const c_process_vm_readv = libc.func(
  'intptr_t process_vm_readv(int pid, const uint8_t *local, unsigned long liovcnt, const uint8_t *remote, unsigned long riovcnt, unsigned long flags)',
);

const IOVEC_SIZE = 16; // { void *base; size_t len } on the 64-bit hosts Node runs on here

let scratch: unknown = null;
let scratchSize = 0;
let scratchView: Uint8Array = new Uint8Array(0);
const LE = endianness() === 'LE'; // kernel structs are native-endian
const localIov = new Uint8Array(IOVEC_SIZE);
const remoteIov = new Uint8Array(IOVEC_SIZE);
const localView = new DataView(localIov.buffer);
const remoteView = new DataView(remoteIov.buffer);

function ensureScratch(length: number): void {
  if (length <= scratchSize) return;
  if (scratch !== null) koffi.free(scratch);
  scratchSize = Math.max(64, length);
  scratch = koffi.alloc('uint8_t', scratchSize);
  scratchView = new Uint8Array(koffi.view(scratch, scratchSize));
  localView.setBigUint64(0, koffi.address(scratch), LE);
}

/**
 * Copies `length` bytes at `address` in process (or thread) `pid` into `into`.
 * Returns 0, or -errno: -EFAULT when any byte is unreadable (a short read counts as a fault,
 * as a kernel copy_from_user would), -ESRCH when the process is gone, -EPERM without ptrace
 * rights over it.
 */
export function readProcessMemory(pid: number, address: bigint, into: Uint8Array, length = into.length): number {
  ensureScratch(length);
  localView.setBigUint64(8, BigInt(length), LE);
  remoteView.setBigUint64(0, address, LE);
  remoteView.setBigUint64(8, BigInt(length), LE);
  const r = Number(c_process_vm_readv(pid, localIov, 1, remoteIov, 1, 0));
  if (r < 0) return -lastErrno();
  if (r < length) return -14; // EFAULT: the tail of the range is not mapped
  into.set(scratchView.subarray(0, length));
  return 0;
}
