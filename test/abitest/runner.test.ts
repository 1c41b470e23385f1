// The runner and the report, proven against cases and devices that misbehave on purpose: every
// failure is reported with its reason, hangs are cut off, nothing leaks into the next case, and
// the exit status is 0 only when every case passed.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NTSYNC_CREATE_IOCTLS } from '../../src/ioctl/numbers';
import { section, type AbiCase } from '../../src/abitest/framework/abi-case';
import { fail } from '../../src/abitest/framework/failure';
import { caseLine, summaryLine } from '../../src/abitest/framework/report';
import { runCases } from '../../src/abitest/framework/runner';
import { F_GETFD, O_CLOEXEC, O_RDONLY, realSysCalls, type SysCalls } from '../../src/abitest/sys/native';
import { runAbiTest } from '../../src/abitest/cli';
import { bundle, type JsonReport } from './helpers/bundle';

const EBADF = 9;
const ENOTTY = 25;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'abitest-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file standing in for the device node, with the given mode. */
function fakeNode(name: string, mode: number): string {
  const path = join(dir, name);
  writeFileSync(path, '');
  chmodSync(path, mode);
  return path;
}

/**
 * A device that misbehaves: opening it gives an fd (of /dev/null), CREATE_* "succeed" with
 * fresh fds that are not objects, and every other ioctl on any fd answers ENOTTY.
 */
function enottyDevice(): SysCalls & { opened: number } {
  const fake = {
    ...realSysCalls,
    opened: 0,
    open(path: string, flags: number) {
      fake.opened++;
      return realSysCalls.open(path.startsWith(dir) ? '/dev/null' : path, flags);
    },
    ioctl(fd: number, cmd: number | bigint) {
      if (NTSYNC_CREATE_IOCTLS.includes(Number(BigInt(cmd) & 0xffffffffn))) return realSysCalls.open('/dev/null', O_RDONLY | O_CLOEXEC);
      return fd < 0 ? -EBADF : -ENOTTY;
    },
    async ioctlAsync() {
      return -ENOTTY;
    },
  };
  return fake;
}

function capture(): { out: (s: string) => void; err: (s: string) => void; text: () => string; errors: () => string } {
  let out = '';
  let err = '';
  return { out: (s) => (out += s), err: (s) => (err += s), text: () => out, errors: () => err };
}

describe('runner', () => {
  const s = section('0');

  test('a passing, a failing, a throwing and a hanging case each get their verdict; the hang is cut off', async () => {
    const cases: AbiCase[] = [
      s('passes', 'passes', () => undefined),
      s('fails', 'fails', () => fail('SEM_READ: expected 1, got 2')),
      s('throws', 'throws', () => {
        throw new Error('boom');
      }),
      s('hangs', 'hangs', () => new Promise<void>(() => undefined)),
      s('passes-after', 'passes after the hang', async () => sleep(1)),
    ];
    const started = Date.now();
    const summary = await runCases({ devicePath: '/dev/null', sys: realSysCalls, cases, caseTimeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(summary.results.map((r) => [r.id, r.status, r.message])).toEqual([
      ['0/passes', 'pass', undefined],
      ['0/fails', 'fail', 'SEM_READ: expected 1, got 2'],
      ['0/throws', 'fail', 'error in the case: boom'],
      ['0/hangs', 'fail', "timed out after 0.3 s (the runner's limit for one case)"],
      ['0/passes-after', 'pass', undefined],
    ]);
    expect(summary).toMatchObject({ total: 5, passed: 2, failed: 3 });
  });

  test('fds a case opened are closed by cleanup, even when it fails', async () => {
    let fd = -1;
    const leaky = s('leaks', 'opens and fails', (t) => {
      fd = t.track(t.sys.open('/dev/null', O_RDONLY | O_CLOEXEC));
      fail('on purpose');
    });
    await runCases({ devicePath: '/dev/null', sys: realSysCalls, cases: [leaky] });
    expect(fd).toBeGreaterThanOrEqual(0);
    expect(realSysCalls.fcntl(fd, F_GETFD, 0)).toBe(-EBADF);
  });

  test('a case that timed out can no longer make system calls', async () => {
    const device = enottyDevice();
    let late: unknown;
    const slow = s('slow', 'opens after its timeout', async (t) => {
      await sleep(400);
      try {
        t.sys.open('/dev/null', O_RDONLY);
      } catch (e) {
        late = e;
      }
    });
    const summary = await runCases({ devicePath: '/dev/null', sys: device, cases: [slow], caseTimeoutMs: 100 });
    expect(summary.results[0].status).toBe('fail');
    await sleep(500);
    expect(device.opened).toBe(0);
    expect(String(late)).toMatch(/aborted/);
  });

  test('report lines: PASS id; FAIL id — reason, then what the spec says', () => {
    expect(caseLine({ id: '6.1/count-65-is-EINVAL', section: '6.1', title: 't', corners: [], status: 'pass', durationMs: 1 })).toBe('PASS 6.1/count-65-is-EINVAL');
    expect(
      caseLine({ id: '6.1/count-65-is-EINVAL', section: '6.1', title: 'count 65 or more gives EINVAL.', corners: [14], status: 'fail', message: 'WAIT_ANY with count 65: expected EINVAL (22), got ENOTTY (25)', durationMs: 1 }),
    ).toBe('FAIL 6.1/count-65-is-EINVAL — WAIT_ANY with count 65: expected EINVAL (22), got ENOTTY (25)\n     spec 6.1: count 65 or more gives EINVAL. [checklist 13.14]');
    expect(summaryLine({ device: '/dev/ntsync', total: 3, passed: 2, failed: 1, durationMs: 1234, results: [] })).toBe(
      'abi-test: 3 cases on /dev/ntsync: 2 passed, 1 failed (1.2 s)',
    );
  });
});

describe('abi-test against a misbehaving device', () => {
  test('a device that answers ENOTTY fails each case with the reason, and the exit status is 1', async () => {
    const io = capture();
    const status = await runAbiTest(['--device', fakeNode('enotty', 0o666), '--filter', '6.1/count-65,5/sem-release-returns'], { sys: enottyDevice(), ...io, watchdog: false });
    expect(status).toBe(1);
    const lines = io.text().split('\n');
    expect(lines).toContain('FAIL 6.1/count-65-is-EINVAL — WAIT_ANY with count 65: expected EINVAL (22), got ENOTTY (25)');
    expect(lines).toContain('FAIL 5/sem-release-returns-the-previous-count — SEM_RELEASE 2: expected success (0), got ENOTTY (25)');
    expect(lines.at(-2)).toMatch(/^abi-test: 2 cases on .*\/enotty: 0 passed, 2 failed \(\d+\.\d s\)$/);
  });

  test('the same run as JSON', async () => {
    const io = capture();
    const status = await runAbiTest(['--device', fakeNode('enotty-json', 0o666), '--filter', '6.1/count-65', '--json'], { sys: enottyDevice(), ...io, watchdog: false });
    expect(status).toBe(1);
    const report = JSON.parse(io.text()) as JsonReport;
    expect(report).toMatchObject({ total: 1, passed: 0, failed: 1 });
    expect(report.cases[0]).toMatchObject({ id: '6.1/count-65-is-EINVAL', status: 'fail', message: 'WAIT_ANY with count 65: expected EINVAL (22), got ENOTTY (25)', checklist: ['13.14'] });
  });

  test('a blocking case on a device whose waits never block fails instead of hanging', async () => {
    const io = capture();
    const status = await runAbiTest(['--device', fakeNode('noblock', 0o666), '--filter', '7/wait-any-waiters-are-served-in-FIFO-order'], { sys: enottyDevice(), ...io, watchdog: false });
    expect(status).toBe(1);
    expect(io.text()).toContain('FAIL 7/wait-any-waiters-are-served-in-FIFO-order — waiter A: returned ENOTTY (25) at once instead of blocking');
  });

  test('exit status 0 only when every selected case passes', async () => {
    const good = capture();
    expect(await runAbiTest(['--device', fakeNode('mode-666', 0o666), '--filter', '1/node-mode'], { sys: enottyDevice(), ...good, watchdog: false })).toBe(0);
    expect(good.text()).toMatch(/^PASS 1\/node-mode-is-0666\nabi-test: 1 cases on .*: 1 passed, all passed \(\d+\.\d s\)\n$/);
    const bad = capture();
    expect(await runAbiTest(['--device', fakeNode('mode-600', 0o600), '--filter', '1/node-mode'], { sys: enottyDevice(), ...bad, watchdog: false })).toBe(1);
    expect(bad.text()).toContain('FAIL 1/node-mode-is-0666 — mode of ' + join(dir, 'mode-600') + ': expected 0666, got 0600');
  });

  test('usage errors, an unknown filter and a missing device exit 2; --list runs nothing', async () => {
    const io = capture();
    expect(await runAbiTest(['--bogus'], { ...io, watchdog: false })).toBe(2);
    expect(io.errors()).toContain('abi-test: unknown argument: --bogus');
    expect(await runAbiTest(['--device', '/dev/null', '--filter', 'no-such-case'], { ...io, watchdog: false })).toBe(2);
    expect(await runAbiTest(['--device', join(dir, 'missing')], { ...io, watchdog: false })).toBe(2);
    expect(io.errors()).toContain(`abi-test: cannot open ${join(dir, 'missing')}: ENOENT (2)`);
    const list = capture();
    const device = enottyDevice();
    expect(await runAbiTest(['--list', '--filter', '6.1/'], { sys: device, ...list, watchdog: false })).toBe(0);
    expect(list.text()).toContain('6.1/count-65-is-EINVAL\tcount 65 or more gives EINVAL, and nothing is acquired.\n');
    expect(device.opened).toBe(0);
  });
});

describe('watchdog', () => {
  test('a case stuck on the main thread ends the run with a FAIL line and a failing status', () => {
    const script = bundle('test/abitest/fixtures/stuck-main-thread.ts', 'stuck-main-thread.js');
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stdout).toBe(
      'PASS fixture/quick\n' + 'FAIL fixture/stuck — the main thread is stuck in a system call (watchdog)\n' + 'abi-test: aborted: a case hung beyond its timeout\n',
    );
    expect(r.signal).toBe('SIGKILL');
  });
});
