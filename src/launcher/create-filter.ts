// The seccomp filter of ntsync-run: ioctl(fd, NTSYNC_IOC_CREATE_*) becomes a user notification,
// for every syscall ABI a process on this host can use (a 64-bit kernel also runs 32-bit
// programs, such as Wine's 32-bit processes); everything else is allowed untouched.
import { endianness } from 'node:os';
import { NTSYNC_CREATE_IOCTLS } from '../ioctl/numbers';
import {
  SECCOMP_DATA_ARCH,
  SECCOMP_DATA_ARGS,
  SECCOMP_DATA_NR,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_USER_NOTIF,
} from '../sys/seccomp';
import { BpfProgram } from './bpf';

/** One syscall ABI: the AUDIT_ARCH_* value seccomp reports and its ioctl syscall number(s). */
export interface SyscallAbi {
  name: string;
  auditArch: number;
  ioctlNrs: readonly number[];
}

const AUDIT_ARCH_64BIT = 0x80000000;
const X32_SYSCALL_BIT = 0x40000000;

export const ABI_X86_64: SyscallAbi = {
  name: 'x86_64',
  auditArch: 0xc000003e,
  // x32 processes report AUDIT_ARCH_X86_64 too, with their own ioctl number (514) tagged with
  // the x32 bit.
  ioctlNrs: [16, X32_SYSCALL_BIT | 514],
};
export const ABI_I386: SyscallAbi = { name: 'i386', auditArch: 0x40000003, ioctlNrs: [54] };
export const ABI_AARCH64: SyscallAbi = { name: 'aarch64', auditArch: 0xc00000b7, ioctlNrs: [29] };
export const ABI_ARM: SyscallAbi = { name: 'arm', auditArch: 0x40000028, ioctlNrs: [54] };
export const ABI_RISCV64: SyscallAbi = { name: 'riscv64', auditArch: 0xc00000f3, ioctlNrs: [29] };
export const ABI_LOONGARCH64: SyscallAbi = { name: 'loongarch64', auditArch: 0xc0000102, ioctlNrs: [29] };

/** The ABIs a process may use on a host of the given Node `process.arch`. */
export const HOST_SYSCALL_ABIS: Record<string, readonly SyscallAbi[]> = {
  x64: [ABI_X86_64, ABI_I386],
  arm64: [ABI_AARCH64, ABI_ARM],
  riscv64: [ABI_RISCV64],
  loong64: [ABI_LOONGARCH64],
};

export function hostSyscallAbis(arch = process.arch): readonly SyscallAbi[] {
  const abis = HOST_SYSCALL_ABIS[arch];
  if (abis === undefined) {
    throw new Error(`ntsync-run does not know the syscall ABIs of ${arch}; supported: ${Object.keys(HOST_SYSCALL_ABIS).join(', ')}`);
  }
  return abis;
}

/** Syscall arguments of a 32-bit ABI are 32-bit values; a pointer must be cut to them. */
export function abiIs64Bit(auditArch: number): boolean {
  return (auditArch & AUDIT_ARCH_64BIT) !== 0;
}

/**
 * The kernel's ioctl takes `unsigned int cmd` and ignores the upper half of the 64-bit register,
 * so only the low 32 bits decide which ioctl runs: the filter must compare exactly those, or a
 * caller could pass garbage above them and reach the device with an untrapped CREATE.
 */
function cmdLowWordOffset(): number {
  return SECCOMP_DATA_ARGS + 8 * 1 + (endianness() === 'LE' ? 0 : 4);
}

export function buildCreateTrapFilter(
  abis: readonly SyscallAbi[] = hostSyscallAbis(),
  cmds: readonly number[] = NTSYNC_CREATE_IOCTLS,
): Uint8Array {
  const p = new BpfProgram();
  p.load(SECCOMP_DATA_ARCH);
  abis.forEach((abi, i) => p.jumpIfEqual(abi.auditArch, `abi${i}`));
  p.jump('allow');
  abis.forEach((abi, i) => {
    p.label(`abi${i}`).load(SECCOMP_DATA_NR);
    for (const nr of abi.ioctlNrs) p.jumpIfEqual(nr, 'ioctl');
    p.jump('allow');
  });
  p.label('ioctl').load(cmdLowWordOffset());
  for (const cmd of cmds) p.jumpIfEqual(cmd, 'notify');
  p.label('allow').ret(SECCOMP_RET_ALLOW);
  p.label('notify').ret(SECCOMP_RET_USER_NOTIF);
  return p.assemble();
}

/** Whether a notification is one this filter produces: an ioctl of a known ABI. */
export function isTrappedIoctl(abis: readonly SyscallAbi[], auditArch: number, nr: number): boolean {
  return abis.some((abi) => abi.auditArch === auditArch && abi.ioctlNrs.includes(nr));
}
