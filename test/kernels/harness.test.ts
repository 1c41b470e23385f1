// The qemu harness itself: what the guest sees, what comes back, and that every way a guest
// can fail is reported as such rather than as a command result. Boots Debian 12's 6.1 kernel
// (the quicker of the two to boot); the module tests read both kernels' packages.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCpio } from './cpio';
import { fetchKernel, FetchedKernel, repoRoot } from './kernel-cache';
import { decompressModule, readModinfo, resolveModules } from './modules';
import { BASE_MODULES, GuestError, runInGuest } from './qemu';

const FETCH_TIMEOUT = 15 * 60_000;
const BOOT_TEST_TIMEOUT = 10 * 60_000;

/** An independent reader of newc archives, to check the writer against. */
function readNewc(archive: Buffer): { name: string; mode: number; rdev: [number, number]; data: Buffer }[] {
  const entries = [];
  let at = 0;
  const align = (n: number) => (n + 3) & ~3;
  for (;;) {
    expect(archive.toString('latin1', at, at + 6)).toBe('070701');
    const field = (i: number) => parseInt(archive.toString('latin1', at + 6 + i * 8, at + 14 + i * 8), 16);
    const [mode, size, rdevMajor, rdevMinor, nameSize] = [field(1), field(6), field(9), field(10), field(11)];
    const name = archive.toString('latin1', at + 110, at + 110 + nameSize - 1);
    const dataAt = align(at + 110 + nameSize);
    if (name === 'TRAILER!!!') {
      expect(align(dataAt)).toBe(archive.length);
      return entries;
    }
    entries.push({ name, mode, rdev: [rdevMajor, rdevMinor] as [number, number], data: archive.subarray(dataAt, dataAt + size) });
    at = align(dataAt + size);
  }
}

describe('cpio writer', () => {
  test('writes newc entries that read back with their names, modes and contents', () => {
    const archive = buildCpio([
      { kind: 'file', path: '/init', data: Buffer.from([0x7f, 0x45, 0x4c]), mode: 0o755 },
      { kind: 'dir', path: 'guest' },
      { kind: 'file', path: 'guest/argv', data: 'sh\0-c\0' },
      { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    ]);
    expect(readNewc(archive).map((e) => ({ ...e, data: e.data.toString('latin1') }))).toEqual([
      { name: 'init', mode: 0o100755, rdev: [0, 0], data: '\x7fEL' },
      { name: 'guest', mode: 0o40755, rdev: [0, 0], data: '' },
      { name: 'guest/argv', mode: 0o100644, rdev: [0, 0], data: 'sh\0-c\0' },
      { name: 'dev/console', mode: 0o20600, rdev: [5, 1], data: '' },
    ]);
  });
});

describe('module resolution from the packaged modules', () => {
  let k61: FetchedKernel;
  let k72: FetchedKernel;
  beforeAll(async () => {
    k61 = await fetchKernel('6.1');
    k72 = await fetchKernel('7.2');
  }, FETCH_TIMEOUT);

  test("reads a module's .modinfo (7.2's modules are xz-compressed)", () => {
    const file = path.join(k72.modulesDir, 'kernel/fs/9p/9p.ko.xz');
    const info = readModinfo(decompressModule(file));
    expect(info.get('name')).toEqual(['9p']);
    expect(info.get('depends')![0].split(',').sort()).toEqual(['9pnet', 'netfs']);
  });

  test('orders dependencies first and skips what is built in', () => {
    // 7.2 builds virtio-pci and fuse in; 6.1 has them as modules.
    const expectOrdered = (names: string[], pairs: string[][]) => {
      for (const [before, after] of pairs) {
        expect(names).toContain(before);
        expect(names.indexOf(before)).toBeLessThan(names.indexOf(after));
      }
    };
    const names72 = resolveModules(k72.modulesDir, [...BASE_MODULES, 'cuse', 'ntsync']).map((m) => m.name);
    expect([...names72].sort()).toEqual(['9p', '9pnet', '9pnet_virtio', 'cuse', 'netfs', 'ntsync', 'overlay']);
    expectOrdered(names72, [['9pnet', '9pnet_virtio'], ['9pnet', '9p'], ['netfs', '9p']]);
    const names61 = resolveModules(k61.modulesDir, [...BASE_MODULES, 'cuse']).map((m) => m.name);
    expectOrdered(names61, [['virtio', 'virtio_pci'], ['virtio_ring', 'virtio_pci'], ['9pnet', '9pnet_virtio'], ['9pnet', '9p'], ['fuse', 'cuse']]);
    expect(names61).not.toContain('ntsync');
  });

  test('names the missing module and who needed it', () => {
    expect(() => resolveModules(k61.modulesDir, ['ntsync'])).toThrow(/module ntsync is neither built into this kernel nor in/);
  });
});

describe('a command in the guest', () => {
  let scratch: string;
  beforeAll(() => fetchKernel('6.1'), FETCH_TIMEOUT);
  beforeEach(() => {
    // A host directory to share with the guest read-write.
    scratch = mkdtempSync(path.join(os.tmpdir(), 'ntsyncd-harness-'));
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  test('runs as root with its argv, env and cwd; stdout, stderr and status come back; shares are read-write, the rest is an overlay', async () => {
    const probe = `/etc/ntsyncd-overlay-probe-${process.pid}`;
    const script = [
      'echo "argv:$1|$2"',
      'echo "id:$(id -u) cwd:$(pwd) var:$NTSYNCD_PROBE"',
      'echo to-stderr >&2',
      `echo from-guest > ${scratch}/written`,
      `touch ${probe} && test -f ${probe} && echo overlay-writable`,
      'mount | grep -c " on /tmp type tmpfs" ',
      'exit 7',
    ].join('\n');
    const r = await runInGuest({
      kernel: '6.1',
      command: ['sh', '-c', script, 'sh', 'one two', ''],
      shares: [scratch],
      cwd: scratch,
      env: { NTSYNCD_PROBE: 'x=y z' },
    });
    expect(r.stdout).toBe(`argv:one two|\nid:0 cwd:${scratch} var:x=y z\noverlay-writable\n1\n`);
    expect(r.stderr).toBe('to-stderr\n');
    expect(r.exitCode).toBe(7);
    expect(r.signal).toBeNull();
    expect(readFileSync(path.join(scratch, 'written'), 'utf8')).toBe('from-guest\n');
    expect(existsSync(probe)).toBe(false);
    expect(r.timings.bootToCommandMs).toBeGreaterThan(0);
    expect(r.timings.commandS).toBeGreaterThanOrEqual(0);
  }, BOOT_TEST_TIMEOUT);

  test('shares the working tree by default, in its place', async () => {
    const r = await runInGuest({ kernel: '6.1', command: ['sh', '-c', 'pwd && test -f test/kernels/guest/init.c && echo seen'] });
    expect(r.stdout).toBe(`${repoRoot}\nseen\n`);
  }, BOOT_TEST_TIMEOUT);

  test('a command killed by a signal reports the signal', async () => {
    const r = await runInGuest({ kernel: '6.1', command: ['sh', '-c', 'kill -KILL $$'], shares: [scratch] });
    expect(r.exitCode).toBeNull();
    expect(r.signal).toBe(9);
  }, BOOT_TEST_TIMEOUT);

  test('a kernel panic is an error of its own, not a result', async () => {
    const err = await runInGuest({ kernel: '6.1', command: ['sh', '-c', 'echo c > /proc/sysrq-trigger'], shares: [scratch] }).catch((e) => e);
    expect(err).toBeInstanceOf(GuestError);
    expect((err as GuestError).kind).toBe('panic');
    expect((err as GuestError).message).toMatch(/the guest kernel panicked: Kernel panic - not syncing/);
  }, BOOT_TEST_TIMEOUT);

  test('a kernel that panics while booting is booted again, and reported when it panics every time', async () => {
    const err = await runInGuest({ kernel: '6.1', command: ['true'], shares: [scratch], kernelArgs: ['rdinit=/ntsyncd-no-such-init'] }).catch((e) => e);
    expect(err).toBeInstanceOf(GuestError);
    expect((err as GuestError).kind).toBe('boot-panic');
    expect((err as GuestError).message).toMatch(/panicked while booting: Kernel panic - not syncing.* \(on each of 3 boots\)/);
  }, 3 * BOOT_TEST_TIMEOUT);

  test('a command that outlives its timeout is killed and reported with its partial output', async () => {
    const err = await runInGuest({
      kernel: '6.1',
      command: ['sh', '-c', 'echo started; exec sleep 600'],
      shares: [scratch],
      timeoutMs: 3000,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(GuestError);
    expect((err as GuestError).kind).toBe('command-timeout');
    expect((err as GuestError).stdout).toBe('started\n');
  }, BOOT_TEST_TIMEOUT);

  test('a guest that cannot reach the command says why', async () => {
    const err = await runInGuest({ kernel: '6.1', command: ['true'], shares: [scratch], cwd: '/nonexistent-ntsyncd-dir' }).catch((e) => e);
    expect(err).toBeInstanceOf(GuestError);
    expect((err as GuestError).kind).toBe('init-failed');
    expect((err as GuestError).message).toMatch(/NTSYNCD-GUEST-ERROR: chdir \/nonexistent-ntsyncd-dir .*No such file or directory/);
  }, BOOT_TEST_TIMEOUT);

  test('a guest that does not boot in time is a boot timeout', async () => {
    const err = await runInGuest({ kernel: '6.1', command: ['true'], shares: [scratch], bootTimeoutMs: 300 }).catch((e) => e);
    expect(err).toBeInstanceOf(GuestError);
    expect((err as GuestError).kind).toBe('boot-timeout');
  }, BOOT_TEST_TIMEOUT);
});

describe('run-in-guest.sh', () => {
  const cli = path.join(repoRoot, 'scripts', 'kernels', 'run-in-guest.sh');
  beforeAll(() => fetchKernel('6.1'), FETCH_TIMEOUT);

  test("passes the command's output and exit status through", () => {
    const r = spawnSync('bash', [cli, '--kernel', '6.1', '--', 'sh', '-c', 'echo out; echo err >&2; exit 5'], { encoding: 'utf8', timeout: BOOT_TEST_TIMEOUT });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 5, stdout: 'out\n', stderr: 'err\n' });
  }, BOOT_TEST_TIMEOUT);

  test('a killed caller takes its qemu with it (an orphan would hold the qemu lock)', async () => {
    const marker = `ntsyncd.orphan_probe=${process.pid}_${Date.now()}`;
    const child = spawn('bash', [cli, '--kernel', '6.1', '--console', '--append', marker, '--', 'sleep', '600'], { stdio: ['ignore', 'ignore', 'pipe'] });
    // Wait until the guest runs the command, so that qemu certainly exists.
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stderr!.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.includes('NTSYNCD-GUEST-COMMAND-START')) resolve();
      });
      child.on('exit', () => reject(new Error(`run-in-guest.sh ended before the command started:\n${seen}`)));
    });
    // Matches flock and qemu (their arguments hold the marker), not this run-in-guest.sh.
    const qemuRunning = () => spawnSync('pgrep', ['-f', `qemu-system-x86_64 .*${marker}`]).status === 0;
    expect(qemuRunning()).toBe(true);
    child.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while (qemuRunning() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(qemuRunning()).toBe(false);
  }, BOOT_TEST_TIMEOUT);
});
