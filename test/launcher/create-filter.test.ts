// The filter program, run by a small classic-BPF interpreter over arbitrary seccomp_data:
// it must notify for exactly (known ABI, its ioctl number, one of the three CREATE cmds in the
// low 32 bits of cmd), whatever the other bits hold, and allow everything else.
import fc from 'fast-check';
import { BPF_JMP_JA, BPF_JMP_JEQ_K, BPF_LD_W_ABS, BPF_RET_K, BpfProgram } from '../../src/launcher/bpf';
import { ABI_I386, ABI_X86_64, buildCreateTrapFilter, HOST_SYSCALL_ABIS } from '../../src/launcher/create-filter';
import * as n from '../../src/ioctl/numbers';
import { SECCOMP_RET_ALLOW, SECCOMP_RET_USER_NOTIF } from '../../src/sys/seccomp';

const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Runs a sock_filter[] program over a 64-byte seccomp_data the way the kernel does. */
function runBpf(program: Uint8Array, data: Uint8Array): number {
  const prog = new DataView(program.buffer, program.byteOffset, program.byteLength);
  const input = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let a = 0;
  let pc = 0;
  for (let steps = 0; steps < 4096; steps++) {
    if (pc * 8 >= program.length) throw new Error('fell off the end of the program');
    const code = prog.getUint16(pc * 8, le);
    const jt = prog.getUint8(pc * 8 + 2);
    const jf = prog.getUint8(pc * 8 + 3);
    const k = prog.getUint32(pc * 8 + 4, le);
    pc++;
    switch (code) {
      case BPF_LD_W_ABS:
        if (k % 4 !== 0 || k + 4 > data.length) throw new Error(`bad load offset ${k}`);
        a = input.getUint32(k, le);
        break;
      case BPF_JMP_JEQ_K:
        pc += a === k ? jt : jf;
        break;
      case BPF_JMP_JA:
        pc += k;
        break;
      case BPF_RET_K:
        return k;
      default:
        throw new Error(`unexpected opcode ${code}`);
    }
  }
  throw new Error('program does not terminate');
}

function seccompData(nr: number, arch: number, args: bigint[]): Uint8Array {
  const data = new Uint8Array(64);
  const view = new DataView(data.buffer);
  view.setInt32(0, nr, le);
  view.setUint32(4, arch, le);
  args.forEach((arg, i) => view.setBigUint64(16 + 8 * i, arg, le));
  return data;
}

const OTHER_NTSYNC_IOCTLS = [
  n.NTSYNC_IOC_SEM_RELEASE,
  n.NTSYNC_IOC_WAIT_ANY,
  n.NTSYNC_IOC_WAIT_ALL,
  n.NTSYNC_IOC_MUTEX_UNLOCK,
  n.NTSYNC_IOC_MUTEX_KILL,
  n.NTSYNC_IOC_EVENT_SET,
  n.NTSYNC_IOC_EVENT_RESET,
  n.NTSYNC_IOC_EVENT_PULSE,
  n.NTSYNC_IOC_SEM_READ,
  n.NTSYNC_IOC_MUTEX_READ,
  n.NTSYNC_IOC_EVENT_READ,
];

describe('the CREATE trap filter', () => {
  const abis = HOST_SYSCALL_ABIS.x64!;
  const program = buildCreateTrapFilter(abis);

  test('the host ABIs of x86_64 are x86_64 (with x32) and i386', () => {
    expect(abis).toEqual([ABI_X86_64, ABI_I386]);
    expect(ABI_X86_64.ioctlNrs).toContain(16);
    expect(ABI_I386.ioctlNrs).toEqual([54]);
  });

  test.each([
    ['x86_64', ABI_X86_64.auditArch, 16],
    ['i386', ABI_I386.auditArch, 54],
  ])('notifies the three CREATE cmds on %s and allows the eleven other ntsync ioctls', (_name, arch, nr) => {
    for (const cmd of n.NTSYNC_CREATE_IOCTLS) {
      expect(runBpf(program, seccompData(nr, arch, [3n, BigInt(cmd), 0x1000n, 0n, 0n, 0n]))).toBe(SECCOMP_RET_USER_NOTIF);
    }
    for (const cmd of OTHER_NTSYNC_IOCTLS) {
      expect(runBpf(program, seccompData(nr, arch, [3n, BigInt(cmd), 0x1000n, 0n, 0n, 0n]))).toBe(SECCOMP_RET_ALLOW);
    }
  });

  test('a CREATE cmd with garbage in the upper 32 bits is still trapped (the kernel ignores them)', () => {
    const cmd = BigInt(n.NTSYNC_IOC_CREATE_SEM) | 0xdeadbeef00000000n;
    expect(runBpf(program, seccompData(16, ABI_X86_64.auditArch, [3n, cmd, 0n, 0n, 0n, 0n]))).toBe(SECCOMP_RET_USER_NOTIF);
  });

  test('the CREATE cmd number on another syscall, or on another architecture, is allowed', () => {
    const cmd = BigInt(n.NTSYNC_IOC_CREATE_EVENT);
    expect(runBpf(program, seccompData(54, ABI_X86_64.auditArch, [3n, cmd, 0n, 0n, 0n, 0n]))).toBe(SECCOMP_RET_ALLOW);
    expect(runBpf(program, seccompData(16, ABI_I386.auditArch, [3n, cmd, 0n, 0n, 0n, 0n]))).toBe(SECCOMP_RET_ALLOW);
    expect(runBpf(program, seccompData(29, 0xc00000b7, [3n, cmd, 0n, 0n, 0n, 0n]))).toBe(SECCOMP_RET_ALLOW);
  });

  test('property: notify exactly when arch, syscall and the low word of cmd all match', () => {
    const knownNrs = [16, 54, 29, 0x40000202];
    const arches = [ABI_X86_64.auditArch, ABI_I386.auditArch, 0xc00000b7, 0x40000028];
    const cmdLow = fc.oneof(fc.constantFrom(...n.NTSYNC_CREATE_IOCTLS, ...OTHER_NTSYNC_IOCTLS), fc.nat({ max: 0xffffffff }));
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(...knownNrs), fc.integer({ min: -1, max: 600 })),
        fc.oneof(fc.constantFrom(...arches), fc.nat({ max: 0xffffffff })),
        cmdLow,
        fc.nat({ max: 0xffffffff }),
        fc.array(fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }), { minLength: 6, maxLength: 6 }),
        (nr, arch, low, high, args) => {
          args[1] = (BigInt(high) << 32n) | BigInt(low);
          const expected = abis.some((abi) => abi.auditArch === arch && abi.ioctlNrs.includes(nr)) && n.NTSYNC_CREATE_IOCTLS.includes(low);
          expect(runBpf(program, seccompData(nr, arch, args))).toBe(expected ? SECCOMP_RET_USER_NOTIF : SECCOMP_RET_ALLOW);
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe('BpfProgram', () => {
  test('resolves forward labels into jt/jf offsets relative to the next instruction', () => {
    const code = new BpfProgram().load(0).jumpIfEqual(7, 'yes', 'no').label('no').ret(1).label('yes').ret(2).assemble();
    const view = new DataView(code.buffer);
    expect(code.length).toBe(4 * 8);
    expect([view.getUint8(8 + 2), view.getUint8(8 + 3)]).toEqual([1, 0]);
    expect(runBpf(code, seccompData(7, 0, []))).toBe(2);
    expect(runBpf(code, seccompData(8, 0, []))).toBe(1);
  });

  test('refuses backward jumps and undefined labels', () => {
    expect(() => new BpfProgram().label('top').load(0).jump('top').assemble()).toThrow(/out of range/);
    expect(() => new BpfProgram().jump('nowhere').assemble()).toThrow(/not defined/);
  });
});
