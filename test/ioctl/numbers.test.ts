// The ioctl numbers and the _IOC encoding (ntsync-abi.md section 3).
import * as N from '../../src/ioctl/numbers';
import {
  IOC_NONE,
  IOC_READ,
  IOC_WRITE,
  assertGenericIocArch,
  ioc,
  iocDir,
  iocNr,
  iocSize,
  iocType,
  io,
  ior,
  iow,
  iowr,
} from '../../src/ioctl/ioc';

// The hex values of the spec's table (x86/arm64/riscv, asm-generic encoding).
const EXPECTED: [string, number][] = [
  ['NTSYNC_IOC_CREATE_SEM', 0x40084e80],
  ['NTSYNC_IOC_SEM_RELEASE', 0xc0044e81],
  ['NTSYNC_IOC_WAIT_ANY', 0xc0284e82],
  ['NTSYNC_IOC_WAIT_ALL', 0xc0284e83],
  ['NTSYNC_IOC_CREATE_MUTEX', 0x40084e84],
  ['NTSYNC_IOC_MUTEX_UNLOCK', 0xc0084e85],
  ['NTSYNC_IOC_MUTEX_KILL', 0x40044e86],
  ['NTSYNC_IOC_CREATE_EVENT', 0x40084e87],
  ['NTSYNC_IOC_EVENT_SET', 0x80044e88],
  ['NTSYNC_IOC_EVENT_RESET', 0x80044e89],
  ['NTSYNC_IOC_EVENT_PULSE', 0x80044e8a],
  ['NTSYNC_IOC_SEM_READ', 0x80084e8b],
  ['NTSYNC_IOC_MUTEX_READ', 0x80084e8c],
  ['NTSYNC_IOC_EVENT_READ', 0x80084e8d],
];

const numbers = N as unknown as Record<string, number>;

describe('the 14 ntsync ioctl numbers', () => {
  test.each(EXPECTED)('%s = 0x%s', (name, value) => {
    expect(numbers[name]).toBe(value);
    // As an unsigned 32-bit number, the way FUSE hands `cmd` over (never negative).
    expect(numbers[name]).toBeGreaterThan(0);
    expect(Number.isInteger(numbers[name])).toBe(true);
  });

  test('every number 0x80..0x8D of type N is used once, no gaps', () => {
    const values = EXPECTED.map(([name]) => numbers[name]);
    expect(new Set(values).size).toBe(14);
    expect(values.map(iocNr).sort((a, b) => a - b)).toEqual(Array.from({ length: 14 }, (_, i) => 0x80 + i));
    for (const v of values) expect(iocType(v)).toBe(0x4e);
    expect(N.NTSYNC_IOC_TYPE).toBe('N'.charCodeAt(0));
  });

  test('directions and sizes match the uapi macros', () => {
    const spec: [number, number, number][] = [
      [N.NTSYNC_IOC_CREATE_SEM, IOC_WRITE, 8],
      [N.NTSYNC_IOC_SEM_RELEASE, IOC_READ | IOC_WRITE, 4],
      [N.NTSYNC_IOC_WAIT_ANY, IOC_READ | IOC_WRITE, 40],
      [N.NTSYNC_IOC_WAIT_ALL, IOC_READ | IOC_WRITE, 40],
      [N.NTSYNC_IOC_CREATE_MUTEX, IOC_WRITE, 8],
      [N.NTSYNC_IOC_MUTEX_UNLOCK, IOC_READ | IOC_WRITE, 8],
      [N.NTSYNC_IOC_MUTEX_KILL, IOC_WRITE, 4],
      [N.NTSYNC_IOC_CREATE_EVENT, IOC_WRITE, 8],
      [N.NTSYNC_IOC_EVENT_SET, IOC_READ, 4],
      [N.NTSYNC_IOC_EVENT_RESET, IOC_READ, 4],
      [N.NTSYNC_IOC_EVENT_PULSE, IOC_READ, 4],
      [N.NTSYNC_IOC_SEM_READ, IOC_READ, 8],
      [N.NTSYNC_IOC_MUTEX_READ, IOC_READ, 8],
      [N.NTSYNC_IOC_EVENT_READ, IOC_READ, 8],
    ];
    for (const [cmd, dir, size] of spec) {
      expect([iocDir(cmd), iocSize(cmd)]).toEqual([dir, size]);
    }
    expect(N.WAIT_ARGS_SIZE).toBe(40);
    expect([N.SEM_ARGS_SIZE, N.MUTEX_ARGS_SIZE, N.EVENT_ARGS_SIZE]).toEqual([8, 8, 8]);
  });

  test('the CREATE ioctls (the ones the launcher traps) are exactly the three that return an fd', () => {
    expect([...N.NTSYNC_CREATE_IOCTLS].sort()).toEqual(
      [N.NTSYNC_IOC_CREATE_SEM, N.NTSYNC_IOC_CREATE_MUTEX, N.NTSYNC_IOC_CREATE_EVENT].sort(),
    );
  });

  test('the 6.10 CREATE_SEM (12-byte struct, _IOWR) is a different number; SEM_POST had today\'s SEM_RELEASE value', () => {
    expect(iowr(0x4e, 0x80, 12)).toBe(0xc00c4e80);
    expect(iowr(0x4e, 0x80, 12)).not.toBe(N.NTSYNC_IOC_CREATE_SEM);
    expect(iowr(0x4e, 0x81, 4)).toBe(N.NTSYNC_IOC_SEM_RELEASE);
  });
});

describe('_IOC encoding helpers (asm-generic)', () => {
  test('dir << 30 | size << 16 | type << 8 | nr, as an unsigned 32-bit number', () => {
    expect(IOC_NONE).toBe(0);
    expect(IOC_WRITE).toBe(1);
    expect(IOC_READ).toBe(2);
    expect(ioc(0, 0, 0, 0)).toBe(0);
    expect(io(0x4e, 0x80)).toBe(0x4e80);
    expect(iow(0x4e, 0x80, 8)).toBe(0x40084e80);
    expect(ior(0x4e, 0x8b, 8)).toBe(0x80084e8b);
    expect(iowr(0x4e, 0x82, 40)).toBe(0xc0284e82);
    // Bit 31 set does not make it negative.
    expect(ior(0xff, 0xff, 0x3fff)).toBe(0xbfffffff);
    expect(iowr(0xff, 0xff, 0x3fff)).toBe(0xffffffff);
    // Well-known values from other subsystems, as cross-checks of the encoding.
    expect(ior('T'.charCodeAt(0), 0x30, 4)).toBe(0x80045430); // TIOCGPTN
    expect(iow(0x94, 9, 4)).toBe(0x40049409); // BTRFS_IOC_CLONE (_IOW(0x94, 9, int))
    expect(io(0x54, 0x1b)).toBe(0x541b); // _IO('T', 0x1B)
  });

  test('decoders invert the encoder', () => {
    for (const [dir, type, nr, size] of [
      [0, 0, 0, 0],
      [1, 0x4e, 0x80, 8],
      [2, 0x4e, 0x8d, 8],
      [3, 0x4e, 0x82, 40],
      [3, 0xff, 0xff, 0x3fff],
      [2, 0x01, 0x7f, 1],
    ]) {
      const cmd = ioc(dir, type, nr, size);
      expect([iocDir(cmd), iocType(cmd), iocNr(cmd), iocSize(cmd)]).toEqual([dir, type, nr, size]);
    }
  });

  test('assertGenericIocArch accepts the asm-generic architectures', () => {
    for (const arch of ['x64', 'arm64', 'riscv64', 'loong64', 'ia32', 'arm', 's390x']) {
      expect(() => assertGenericIocArch(arch)).not.toThrow();
    }
    // This machine runs the tests, so its own arch must be one of them.
    expect(() => assertGenericIocArch(process.arch)).not.toThrow();
  });

  test('assertGenericIocArch refuses architectures with another encoding (powerpc, mips, sparc, alpha)', () => {
    for (const arch of ['ppc64', 'ppc', 'mips', 'mipsel', 'mips64el', 'sparc', 'sparc64', 'alpha', 'unknown', '']) {
      expect(() => assertGenericIocArch(arch)).toThrow(/ioctl|encoding/i);
    }
  });
});
