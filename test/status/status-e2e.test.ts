// `ntsyncd status` against a running program: its objects, its two blocked waiters, and the
// deadlock between them, read through the daemon's status file.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { bundle, compileC, ROOT } from '../launcher/helpers/build';
import { Daemon } from '../launcher/helpers/daemon';
import { start, type Running } from '../launcher/helpers/run';
import type { StatusSnapshot } from '../../src/status/snapshot';

jest.setTimeout(60_000);

let daemon: Daemon;
let ntsyncd: string;
let program: Running;

beforeAll(async () => {
  ntsyncd = bundle('src/cli/ntsyncd.ts', 'ntsyncd.status.js');
  const launcher = bundle('src/cli/ntsync-run.ts', 'ntsync-run.status.js');
  const deadlock = compileC('test/status/c/deadlock.c', 'deadlock');
  daemon = await Daemon.start(ntsyncd);
  program = start([process.execPath, launcher, '--mount', daemon.mount, '--', deadlock, daemon.device], { timeoutMs: 50_000 });
  await program.waitForOutput('deadlocked');
});

afterAll(async () => {
  if (program) {
    try {
      process.kill(-program.child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
    await program.done;
  }
  if (daemon) await daemon.stop();
});

function status(args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, [ntsyncd, 'status', '--mount', daemon.mount, ...args], { encoding: 'utf8' });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

test('status --json shows the objects, the blocked waiters and their deadlock', () => {
  const r = status(['--json']);
  expect(r.stderr).toBe('');
  const snap = JSON.parse(r.stdout) as StatusSnapshot;
  const types = snap.objects.map((o) => o.type).sort();
  expect(types).toEqual(['event', 'mutex', 'mutex', 'semaphore']);
  const sem = snap.objects.find((o) => o.type === 'semaphore')!;
  expect(sem.state).toEqual({ count: 2, max: 5 });
  const mutexes = snap.objects.filter((o) => o.type === 'mutex');
  expect(mutexes.every((m) => m.state.count === 1 && m.state.owner !== 0)).toBe(true);
  expect(mutexes.every((m) => m.holders.some((h) => h.name === 'deadlock'))).toBe(true);
  expect(snap.devices).toHaveLength(1);
  expect(snap.devices[0].openedBy?.name).toBe('deadlock');
  expect(snap.waits).toHaveLength(2);
  for (const w of snap.waits) {
    expect(w.kind).toBe('any');
    expect(w.deadlineNs).toBeNull();
    expect(w.waitingMs).toBeGreaterThan(0);
    expect(w.owner).toBe(w.tid); // the program passes its thread id, as Wine does
  }
  expect(snap.deadlocks).toHaveLength(1);
  const cycle = snap.deadlocks[0].cycle;
  expect(cycle.map((e) => e.tid).sort()).toEqual(snap.waits.map((w) => w.tid).sort());
  for (const edge of cycle) {
    const held = mutexes.find((m) => m.id === edge.waitsForMutex)!;
    expect(held.state.owner).toBe(edge.heldBy);
    expect(edge.heldBy).not.toBe(edge.owner);
  }
  expect(snap.counters.waitsPending).toBeGreaterThanOrEqual(2);
  expect(snap.latencyNs.samples).toBeGreaterThan(0);
});

test('the text report names the deadlocked threads and the mutexes', () => {
  const r = status([]);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^OBJECTS \(4\)$/m);
  expect(r.stdout).toMatch(/^WAITS \(2\)$/m);
  expect(r.stdout).toMatch(/^DEADLOCKS \(1\)$/m);
  expect(r.stdout).toMatch(/thread deadlock\[\d+\] \(owner \d+\) waits for mutex \d+, held by owner \d+/);
});

test('without a daemon, status says how to start one', () => {
  const r = spawnSync(process.execPath, [ntsyncd, 'status', '--mount', join(ROOT, 'no-such-mount')], { encoding: 'utf8' });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/ntsyncd is not running .*sudo ntsyncd/);
});
