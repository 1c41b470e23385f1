// The generic Linux _IOC encoding (asm-generic: x86, arm64, riscv, loongarch).
// powerpc, mips, sparc and alpha put the direction bits elsewhere and use a narrower size field,
// so every number computed here would be wrong there: assertGenericIocArch() refuses to run.

export const IOC_NONE = 0;
export const IOC_WRITE = 1;
export const IOC_READ = 2;

const NRSHIFT = 0;
const TYPESHIFT = 8;
const SIZESHIFT = 16;
const DIRSHIFT = 30;

export function ioc(dir: number, type: number, nr: number, size: number): number {
  // >>> 0 keeps the value an unsigned 32-bit number (dir 2 and 3 set bit 31).
  return ((dir << DIRSHIFT) | (size << SIZESHIFT) | (type << TYPESHIFT) | (nr << NRSHIFT)) >>> 0;
}
export const io = (type: number, nr: number) => ioc(IOC_NONE, type, nr, 0);
export const iow = (type: number, nr: number, size: number) => ioc(IOC_WRITE, type, nr, size);
export const ior = (type: number, nr: number, size: number) => ioc(IOC_READ, type, nr, size);
export const iowr = (type: number, nr: number, size: number) => ioc(IOC_READ | IOC_WRITE, type, nr, size);

export const iocDir = (cmd: number) => (cmd >>> DIRSHIFT) & 0x3;
export const iocSize = (cmd: number) => (cmd >>> SIZESHIFT) & 0x3fff;
export const iocType = (cmd: number) => (cmd >>> TYPESHIFT) & 0xff;
export const iocNr = (cmd: number) => (cmd >>> NRSHIFT) & 0xff;

const GENERIC_IOC_ARCHES = new Set(['x64', 'arm64', 'riscv64', 'loong64', 'ia32', 'arm', 's390x']);

/** Throws when this architecture's ioctl encoding differs from the generic one. */
export function assertGenericIocArch(arch: string): void {
  if (!GENERIC_IOC_ARCHES.has(arch)) {
    throw new Error(
      `ntsyncd computes ioctl numbers with the generic _IOC encoding, which ${arch} does not use; ` +
        'refusing to run rather than answer the wrong ioctl numbers',
    );
  }
}
