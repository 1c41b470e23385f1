// The single executable as a user gets it: built (esbuild + SEA), installed into a scratch root,
// then the installed ntsyncd serves /dev/ntsync and the installed ntsync-run runs the kernel's
// own selftest and the ABI suite (the binary's `abi-test` subcommand) against it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildKernelSelftest, parseSelftestOutput, SELFTEST_TEST_COUNT } from '../kernel-selftest/selftest';

const ROOT = join(__dirname, '..', '..');
const DEVICE = '/dev/ntsync';
jest.setTimeout(300_000);

let scratch: string;
let bin: string;
let mount: string;
let daemon: ChildProcess;
let daemonLog = '';

beforeAll(async () => {
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build-binary.js')], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build-binary failed:\n${build.stderr}`);
  scratch = mkdtempSync(join(tmpdir(), 'ntsyncd-binary-'));
  const inst = spawnSync(join(ROOT, 'dist/bin/ntsyncd'), ['install', '--root', scratch, '--no-systemd'], { encoding: 'utf8' });
  if (inst.status !== 0) throw new Error(`install failed:\n${inst.stdout}${inst.stderr}`);
  bin = join(scratch, 'usr/local/bin');
  mount = join(scratch, 'run-ntsync');
  daemon = spawn(join(bin, 'ntsyncd'), ['--device', DEVICE, '--mount', mount], { stdio: ['ignore', 'ignore', 'pipe'] });
  daemon.stderr!.setEncoding('utf8').on('data', (d: string) => (daemonLog += d));
  const deadline = Date.now() + 20_000;
  while (!/ready: /.test(daemonLog)) {
    if (daemon.exitCode !== null || Date.now() > deadline) throw new Error(`the installed ntsyncd did not start:\n${daemonLog}`);
    await new Promise((r) => setTimeout(r, 50));
  }
});

afterAll(async () => {
  if (daemon && daemon.exitCode === null) {
    const exited = new Promise((r) => daemon.on('exit', r));
    daemon.kill('SIGTERM');
    await exited;
  }
  if (scratch) {
    spawnSync(join(ROOT, 'dist/bin/ntsyncd'), ['uninstall', '--root', scratch, '--no-systemd']);
    rmSync(scratch, { recursive: true, force: true });
  }
});

test('the installed binary serves the device; the kernel selftest passes under the installed ntsync-run', async () => {
  const selftest = await buildKernelSelftest();
  const r = spawnSync(join(bin, 'ntsync-run'), ['--mount', mount, '--', selftest], { encoding: 'utf8', timeout: 120_000 });
  const verdict = parseSelftestOutput(r.stdout);
  expect({ failed: verdict.failed, status: r.status, stderr: r.stderr }).toEqual({ failed: [], status: 0, stderr: '' });
  expect(verdict.passed).toHaveLength(SELFTEST_TEST_COUNT);
});

test('`ntsyncd abi-test` from the binary, under its ntsync-run: only the documented FUSE gaps fail', () => {
  const r = spawnSync(join(bin, 'ntsync-run'), ['--mount', mount, '--', join(bin, 'ntsyncd'), 'abi-test', '--device', DEVICE, '--json'], {
    encoding: 'utf8',
    timeout: 180_000,
  });
  const report = JSON.parse(r.stdout) as { total: number; cases: { id: string; status: string }[] };
  const failed = report.cases.filter((c) => c.status !== 'pass').map((c) => c.id).sort();
  expect(failed).toEqual(['1/fionread-is-ENOTTY', '4/object-fds-are-anon-inode-ntsync', '4/objects-share-one-inode']);
  expect(report.total).toBeGreaterThanOrEqual(140);
});

test('`ntsyncd status` from the binary reads the live daemon', () => {
  const r = spawnSync(join(bin, 'ntsyncd'), ['status', '--mount', mount], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(new RegExp(`^ntsyncd pid \\d+: ${DEVICE} via fuse`));
  expect(existsSync(join(scratch, 'usr/local/lib/ntsyncd/koffi.node'))).toBe(true);
});
