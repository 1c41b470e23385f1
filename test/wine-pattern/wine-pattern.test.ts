// Wine's pattern as a test (issue 4, part 3): wine-pattern.c plays a wineserver that
// double-forks and creates every object, and client processes that receive the fds over
// SCM_RIGHTS and wait, release, set, pulse, unlock, read and get killed mutexes from several
// threads under a rain of SA_RESTART signals. It runs unmodified under the real ntsync-run
// against a freshly started ntsyncd, and checks its own invariants at the end; this file checks
// that it passed and that the run really exercised what it claims to (so a run that silently
// did nothing cannot pass).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundle as bundleInto } from '../launcher/helpers/build';
import { Daemon } from '../launcher/helpers/daemon';
import { run, type Finished } from '../launcher/helpers/run';

const ROOT = resolve(__dirname, '../..');
const BUILD_DIR = join(ROOT, 'test/.build/wine-pattern');
const SOURCE = join(ROOT, 'test/wine-pattern/wine-pattern.c');
const asRoot = process.getuid?.() === 0;
/** The program tells restarted waits apart on x86 only (see on_sigusr1). */
const CAN_COUNT_RESTARTS = process.arch === 'x64' || process.arch === 'ia32';

/** The program's own alarm; the jest timeout leaves it room to report before jest gives up. */
const ALARM_S = 60;
jest.setTimeout(4 * ALARM_S * 1000);

function compile(output: string, flags: string[] = []): string {
  mkdirSync(BUILD_DIR, { recursive: true });
  const out = join(BUILD_DIR, output);
  execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-pthread', ...flags, '-o', out, SOURCE], { stdio: 'pipe' });
  return out;
}

function bundle(entry: string, output: string): string {
  return bundleInto(entry, output, BUILD_DIR);
}

/** null if gcc can build and this kernel can run i386 programs, else why not. */
function m32Problem(): string | null {
  if (process.arch !== 'x64') return 'not an x86_64 host';
  try {
    const probe = compile('wine-pattern-m32-probe', ['-m32']);
    execFileSync(probe, [], { stdio: 'pipe' });
    return 'the probe ran without its usage error';
  } catch (error) {
    const e = error as { status?: number; stderr?: Buffer };
    if (e.status === 2) return null; // it ran and printed its usage
    return String(e.stderr ?? error);
  }
}

/** The report's numbers: "key=value" pairs of every line, prefixed by the line's first word. */
interface Report {
  values: Map<string, number>;
  get(key: string): number;
}

function parseReport(stdout: string): Report {
  const values = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    const head = line.split(/[: ]/, 1)[0]!;
    for (const m of line.matchAll(/(\[[^\]]+\]|[A-Za-z_()0-9]+)=(\d+)(?:\/(\d+))?/g)) {
      const key = `${head}.${m[1]}`;
      values.set(key, Number(m[2]));
      if (m[3] !== undefined) values.set(`${key}.timed_out`, Number(m[3]));
    }
  }
  return {
    values,
    get(key) {
      const v = values.get(key);
      if (v === undefined) throw new Error(`no "${key}" in the report:\n${stdout}`);
      return v;
    },
  };
}

function describeRun(r: Finished, daemon?: Daemon): string {
  return `exit ${r.status} signal ${r.signal}\n--- stdout ---\n${r.stdout}--- stderr ---\n${r.stderr}${
    daemon ? `--- daemon log ---\n${daemon.logs}` : ''
  }`;
}

const program = compile('wine-pattern');

describe('wine-pattern without ntsync-run: its own errors are clear', () => {
  let tmp: string;
  beforeAll(() => (tmp = mkdtempSync(join(tmpdir(), 'wine-pattern-'))));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  test('a regular file: CREATE fails with ENOTTY, named as such, and the run stops at once', async () => {
    const notADevice = join(tmp, 'not-a-device');
    writeFileSync(notADevice, '');
    const started = Date.now();
    const r = await run([program, 'run', notADevice, '--alarm', '20'], { timeoutMs: 30000 });
    expect({ status: r.status, stderr: r.stderr }).toEqual({
      status: 2,
      stderr: expect.stringContaining(
        `failed: ENOTTY (Inappropriate ioctl for device): this is not an ntsync device (run under ntsync-run, with ntsyncd serving it)`,
      ),
    });
    expect(r.stderr).toContain(`wine-pattern: server: NTSYNC_IOC_CREATE_SEM on ${notADevice} (fd `);
    expect(r.stderr).toContain('wine-pattern: main: the server failed before it was ready');
    expect(r.stdout).not.toMatch(/^RESULT/m);
    expect(Date.now() - started).toBeLessThan(10000);
  });

  test('a character device that is not ntsync (/dev/null): the same ENOTTY', async () => {
    const r = await run([program, 'run', '/dev/null', '--alarm', '20'], { timeoutMs: 30000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/NTSYNC_IOC_CREATE_SEM on \/dev\/null \(fd \d+\) failed: ENOTTY/);
  });

  test('a missing path: open fails with ENOENT, named as such', async () => {
    const missing = join(tmp, 'missing', 'ntsync');
    const r = await run([program, 'run', missing, '--alarm', '20'], { timeoutMs: 30000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`wine-pattern: server: cannot open ${missing}: ENOENT (No such file or directory)`);
  });

  test('bad options are refused with the usage', async () => {
    const r = await run([program, 'run', '/dev/null', '--procs', '99'], { timeoutMs: 30000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--procs must be in 1..8');
  });
});

(asRoot ? describe : describe.skip)('wine-pattern under ntsync-run against ntsyncd (root)', () => {
  let daemon: Daemon;
  let ntsyncRun: string;
  const why32 = m32Problem();
  const program32 = why32 === null ? compile('wine-pattern-m32', ['-m32']) : null;

  beforeAll(async () => {
    ntsyncRun = bundle('src/cli/ntsync-run.ts', 'ntsync-run.js');
    daemon = await Daemon.start(bundle('src/cli/ntsyncd.ts', 'ntsyncd.js'));
  });

  afterAll(async () => {
    if (!daemon) return;
    const stopped = await daemon.stop();
    expect(stopped).toEqual({ code: 0, signal: null, mountsLeft: [] });
  });

  function underLauncher(args: string[], binary = program): Promise<Finished> {
    const argv = ['node', ntsyncRun, '--mount', daemon.mount, '--device', daemon.device, '--', binary, 'run', daemon.device];
    return run([...argv, '--alarm', String(ALARM_S), ...args], { timeoutMs: (ALARM_S + 30) * 1000 });
  }

  function expectPass(r: Finished): Report {
    if (r.status !== 0 || !/^RESULT PASS$/m.test(r.stdout)) throw new Error(describeRun(r, daemon));
    return parseReport(r.stdout);
  }

  /** What a run must have done for its PASS to mean something. */
  function expectExercised(rep: Report, minOps: number) {
    const seen = {
      ops: rep.get('ops.total') >= minOps,
      waitAnySatisfied: rep.get('wait_any.satisfied') > 0,
      waitAnyTimedOut: rep.get('wait_any.timed_out') > 0,
      waitAny64: rep.get('wait_any.[33-64]') > 0,
      waitAllSatisfied: rep.get('wait_all.[9-32]') > 0,
      waitAllWide: rep.get('wait_all.[33-64]') + rep.get('wait_all.[33-64].timed_out') > 0,
      waitAllTimedOut: rep.get('wait_all.timed_out') > 0,
      monotonic: rep.get('deadlines.monotonic') > 0,
      realtime: rep.get('deadlines.realtime') > 0,
      signalsDuringWaits: rep.get('signals.waits') > 0,
      waitsRestarted: !CAN_COUNT_RESTARTS || rep.get('signals.restarted') > 0,
      deadThreadKills: rep.get('mutexes.dead_threads') > 0,
      ownerDeadWaits: rep.get('mutexes.eownerdead_waits') > 0,
      alertWakes: rep.get('alerts.wakes') > 0,
      pulses: rep.get('ops.event_pulse') > 0,
      eoverflow: rep.get('expected.EOVERFLOW') > 0,
      eperm: rep.get('expected.EPERM') > 0,
    };
    expect(seen).toEqual(Object.fromEntries(Object.keys(seen).map((k) => [k, true])));
  }

  test('3 processes x (4 workers + 2 doomed threads), 600 operations each: every invariant holds', async () => {
    const r = await underLauncher(['--procs', '3', '--threads', '4', '--doomed', '2', '--iters', '600', '--expect-subreaper']);
    const rep = expectPass(r);
    expect(r.stdout).toMatch(/^server: pid \d+ re-parented to pid \d+ \(a subreaper above the program\)$/m);
    expect(r.stdout).toMatch(/^invariants: semaphores conserved 24\/24, mutexes balanced 16\/16, auto events balanced 12\/12, alerts balanced 18\/18$/m);
    expect(r.stdout).toMatch(/^errors: threads=0 server=0 broken invariants=0$/m);
    expectExercised(rep, 5000);
    process.stdout.write(`wine-pattern under ntsyncd:\n${r.stdout}`);
  });

  test('a second seed, faster signals', async () => {
    const rep = expectPass(await underLauncher(['--seed', '7', '--iters', '400', '--signal-us', '300', '--expect-subreaper']));
    expectExercised(rep, 3000);
  });

  test('gcc -m32 works (CI installs gcc-multilib)', () => expect(why32).toBeNull());

  (why32 === null ? test : test.skip)('32-bit clients (odd-numbered) beside a 64-bit server, and an all-32-bit run', async () => {
    const mixed = expectPass(await underLauncher(['--procs', '3', '--iters', '400', '--client32', program32!, '--expect-subreaper']));
    expectExercised(mixed, 3000);
    const all32 = expectPass(await underLauncher(['--procs', '2', '--iters', '300', '--seed', '3', '--expect-subreaper'], program32!));
    expectExercised(all32, 1500);
  });

  // The checks can fail: each fault is the program lying to itself in one place, the way a
  // broken device would lie to it, and the end-of-run accounting must notice.
  describe('the invariant check catches', () => {
    test('a lost wake (a semaphore unit taken that no wait reports)', async () => {
      const r = await underLauncher(['--iters', '200', '--fault', 'lost-wake']);
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(/^error: server: semaphore \d+ not conserved: .*\(-1: units gone that no wait reported \(lost wake\)\)$/m);
      expect(r.stdout).toMatch(/^RESULT FAIL$/m);
    });

    test('a doubled wake (one auto event token reported by two waits)', async () => {
      const r = await underLauncher(['--iters', '200', '--fault', 'double-wake']);
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(/^error: server: auto event \d+: .* \(a wake was doubled\)$/m);
      expect(r.stdout).toMatch(/^RESULT FAIL$/m);
    });

    test('EINTR from a wait (handlers without SA_RESTART): so the signals do interrupt blocked waits', async () => {
      const r = await underLauncher(['--iters', '200', '--fault', 'no-restart']);
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(/^error: client \d+ thread \d+ \(tid \d+\): WAIT_(ANY|ALL) of \d+ objects.* failed: ret -1 errno 4 EINTR$/m);
      expect(r.stdout).toMatch(/^RESULT FAIL$/m);
      // ...and the restart count of the passing runs is not an artefact: without SA_RESTART it is 0.
      if (CAN_COUNT_RESTARTS) expect(parseReport(r.stdout).get('signals.restarted')).toBe(0);
    });
  });

  test('a wait that never ends: the alarm fails the run loudly, naming the stuck thread, instead of hanging', async () => {
    const started = Date.now();
    const argv = ['node', ntsyncRun, '--mount', daemon.mount, '--device', daemon.device, '--', program, 'run', daemon.device];
    const r = await run([...argv, '--alarm', '3', '--iters', '100', '--fault', 'hang'], { timeoutMs: 30000 });
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/^RESULT TIMEOUT$/m);
    expect(r.stderr).toMatch(/^wine-pattern: server: global alarm after 3 s: 18\/18 threads registered, 11\/12 workers finished/m);
    expect(r.stderr).toMatch(/^wine-pattern: server: {3}still alive: client 0 thread 0 tid \d+ \(worker, working\)$/m);
    expect(r.stderr).toMatch(/^wine-pattern: client: global alarm: a wait or a request is stuck/m);
    expect(Date.now() - started).toBeLessThan(20000);
  });

  test('run directly, without ntsync-run, ntsyncd refuses the open and the program says why', async () => {
    const r = await run([program, 'run', daemon.device, '--alarm', '20'], { timeoutMs: 30000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`wine-pattern: server: cannot open ${daemon.device}: EPERM (Operation not permitted): ntsyncd refuses processes that do not run under ntsync-run`);
  });
});
