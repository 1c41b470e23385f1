// ntsyncd as a process: start, serve, stop on SIGTERM/SIGINT leaving nothing behind, clean up
// after a crashed run, refuse what it must refuse, and exit when its mount goes away.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDaemon, compileClient, mountsUnder, runProcess, RunningDaemon, startDaemon } from './helpers/daemon';

let bundle: string;
let client: string;
beforeAll(() => {
  bundle = buildDaemon();
  client = compileClient('objects');
});

/** Runs ntsyncd to completion (for the cases where it must refuse to start). */
function runDaemon(args: string[], options: { uid?: number } = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

async function expectServes(d: RunningDaemon): Promise<void> {
  const r = await d.run(client, ['semaphore_state']);
  expect(r).toMatchObject({ code: 0 });
}

async function expectCleanStop(d: RunningDaemon, signal: NodeJS.Signals): Promise<void> {
  expect(await d.stop(signal)).toEqual({ code: 0, signal: null });
  expect(mountsUnder(d.dir)).toEqual([]);
  expect(existsSync(d.devicePath)).toBe(false);
  expect(d.logs).toMatch(new RegExp(`^ntsyncd: info: ${signal}; stopped$`, 'm'));
}

test.each(['SIGTERM', 'SIGINT'] as const)('%s unmounts, removes the device and exits 0', async (signal) => {
  const d = await startDaemon();
  try {
    expect(mountsUnder(d.dir).sort()).toEqual([d.devicePath, d.mountDir].sort());
    await expectServes(d);
    await expectCleanStop(d, signal);
  } finally {
    d.cleanup();
  }
});

test('the default log level says nothing per ioctl', async () => {
  const d = await startDaemon();
  try {
    const before = d.logs.split('\n').length;
    await expectServes(d);
    // the client's control file is released after it exits, asynchronously
    await d.waitForLog(/unregistered/);
    // registration and unregistration of the client's supervisor: two events, nothing else
    const lines = d.logs.split('\n').slice(before - 1).filter(Boolean);
    expect(lines.map((l) => l.replace(/\d+/g, 'N'))).toEqual([
      'ntsyncd: info: supervisor pid N (objects) registered',
      'ntsyncd: info: supervisor N unregistered',
    ]);
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('the leftovers of a killed daemon are cleaned up by the next one', async () => {
  const first = await startDaemon();
  const dir = first.dir;
  try {
    expect(await first.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    // both mounts are still there, on a dead connection
    expect(mountsUnder(dir).sort()).toEqual([first.devicePath, first.mountDir].sort());
    const second = spawn(process.execPath, [bundle, '--device', first.devicePath, '--mount', first.mountDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const d = new RunningDaemon(dir, second);
    await d.waitForLog(/^ntsyncd: info: ready: /m);
    expect(d.logs).toMatch(/detached a stale ntsyncd mount at /);
    expect(mountsUnder(dir).sort()).toEqual([first.devicePath, first.mountDir].sort());
    await expectServes(d);
    await expectCleanStop(d, 'SIGTERM');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a second daemon on the same mount refuses to start', async () => {
  const d = await startDaemon();
  try {
    const r = await runDaemon(['--device', join(d.dir, 'other-device'), '--mount', d.mountDir]);
    expect(r.code).toBe(1);
    expect(r.output).toMatch(`ntsyncd: another ntsyncd is serving ${d.mountDir} (it holds ${d.mountDir}.lock); stop it first, or use another --mount`);
    await expectServes(d);
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('a device path served by another live daemon is left alone', async () => {
  const d = await startDaemon();
  try {
    const r = await runDaemon(['--device', d.devicePath, '--mount', join(d.dir, 'second-objects')]);
    expect(r.code).toBe(1);
    expect(r.output).toContain(`${d.devicePath} is served by another running ntsyncd (object mount ${d.mountDir})`);
    expect(mountsUnder(join(d.dir, 'second-objects'))).toEqual([]);
    await expectServes(d);
  } finally {
    await d.stop();
    d.cleanup();
  }
});

describe('refusals', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ntsyncd-refuse-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('not root', async () => {
    const r = await runDaemon(['--device', join(dir, 'dev'), '--mount', join(dir, 'objects')], { uid: 65534 });
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/^ntsyncd: ntsyncd must run as root: .*`sudo ntsyncd`\)$/m);
  });

  test('a non-empty file at the device path', async () => {
    writeFileSync(join(dir, 'dev'), 'precious');
    const r = await runDaemon(['--device', join(dir, 'dev'), '--mount', join(dir, 'objects')]);
    expect(r.code).toBe(1);
    expect(r.output).toContain(`refusing to cover ${join(dir, 'dev')}: it exists and is not an empty regular file`);
    expect(mountsUnder(dir)).toEqual([]);
  });

  test('--transport cuse where CUSE cannot serve', async () => {
    const r = await runDaemon(['--device', join(dir, 'dev'), '--mount', join(dir, 'objects'), '--transport', 'cuse']);
    expect(r.code).toBe(1);
    expect(r.output).toContain(`ntsyncd: --transport cuse: ${join(dir, 'dev')} is not below /dev, where CUSE creates its nodes`);
    expect(mountsUnder(dir)).toEqual([]);
  });

  test('bad options, and --help', async () => {
    expect(await runDaemon(['--transport', 'pigeon'])).toMatchObject({ code: 1, output: expect.stringContaining('--transport must be auto, cuse or fuse') });
    expect(await runDaemon(['--log-level', 'loud'])).toMatchObject({ code: 1, output: expect.stringContaining('--log-level must be one of') });
    expect(await runDaemon(['--frobnicate'])).toMatchObject({ code: 1, output: expect.stringContaining("Unknown option '--frobnicate'") });
    const help = await runDaemon(['--help']);
    expect(help.code).toBe(0);
    expect(help.output).toMatch(/^Usage: ntsyncd \[options\]/);
    expect(help.output).toContain('fails with EPERM');
  });
});

test('unmounting the object filesystem from outside ends the daemon cleanly', async () => {
  const d = await startDaemon();
  try {
    execFileSync('umount', ['-l', d.devicePath]);
    execFileSync('umount', ['-l', d.mountDir]);
    expect(await d.waitForExit(5000)).toEqual({ code: 0, signal: null });
    expect(d.logs).toMatch(/the object filesystem at .* was unmounted; stopped/);
    expect(existsSync(d.devicePath)).toBe(false);
  } finally {
    await d.stop('SIGKILL');
    d.cleanup();
  }
});

test('the ppoll loop serves the same clients', async () => {
  const d = await startDaemon({ args: ['--loop', 'ppoll'] });
  try {
    for (const [name, tests] of [
      ['objects', ['semaphore_state', 'mutex_state']],
      ['waits', ['wake_any_semaphore', 'wake_all', 'many_waiters_many_objects']],
      ['signals', ['sa_restart_restarts_transparently', 'sigkill_mid_wait_leaves_nothing_queued']],
      ['deadlines', ['many_deadlines_in_any_order']],
    ] as const) {
      const binary = compileClient(name);
      for (const t of tests) {
        const r = await runProcess(binary, [t], d.env);
        if (r.code !== 0) throw new Error(`${name} ${t} under --loop ppoll: ${r.stderr}\n${d.logs}`);
      }
    }
    await expectCleanStop(d, 'SIGTERM');
  } finally {
    await d.stop();
    d.cleanup();
  }
});
