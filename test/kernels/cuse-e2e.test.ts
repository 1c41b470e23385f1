// The product on Debian 12's stock kernel (6.1: cuse.ko, no ntsync), the way a user gets it:
// ntsyncd serving /dev/ntsync as a real CUSE character device, and unmodified programs under
// ntsync-run: the kernel's own selftest, the Wine-pattern stress test, and the ABI suite.
// One guest boot runs all three (software emulation makes every boot cost seconds).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundle } from '../abitest/helpers/bundle';
import type { JsonReport } from '../abitest/helpers/bundle';
import { buildKernelSelftest, parseSelftestOutput, SELFTEST_TEST_COUNT } from '../kernel-selftest/selftest';
import { fetchKernel, repoRoot } from './kernel-cache';
import { runInGuest } from './qemu';

const BUILD_DIR = join(repoRoot, 'test/.build/cuse-e2e');
const TIMEOUT = 30 * 60_000;
/**
 * stress_wait makes about 80,000 round trips; under software emulation each costs ~100× more
 * than natively and the test needs ~50 s, past the harness's hard-coded 30 s. It runs again,
 * alone, in a build whose only other change is that timeout (test/kernel-selftest/build.sh).
 */
const STRESS_TIMEOUT_S = 900;

/**
 * What the ABI suite cannot see on ntsyncd, and why: the FUSE-mount gaps of
 * test/abitest/ntsyncd.test.ts, and on CUSE, lseek on the device, which the kernel's CUSE
 * module answers itself (no-op, 0) instead of ESPIPE.
 */
const KNOWN_GAPS = [
  '4/object-fds-are-anon-inode-ntsync',
  '4/objects-share-one-inode',
  '1/fionread-is-ENOTTY',
];

interface Outcome {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

let outcome: Outcome;

beforeAll(async () => {
  await fetchKernel('6.1');
  mkdirSync(BUILD_DIR, { recursive: true });
  const selftest = await buildKernelSelftest();
  const selftestLongTimeout = await buildKernelSelftest({ ...process.env, NTSYNCD_SELFTEST_TIMEOUT: String(STRESS_TIMEOUT_S) });
  const winePattern = join(BUILD_DIR, 'wine-pattern');
  execFileSync('gcc', ['-O2', '-Wall', '-pthread', '-o', winePattern, join(repoRoot, 'test/wine-pattern/wine-pattern.c')]);
  const daemon = bundle('src/cli/ntsyncd.ts', 'ntsyncd.cuse-e2e.js');
  const launcher = bundle('src/cli/ntsync-run.ts', 'ntsync-run.cuse-e2e.js');
  const abiTest = bundle('src/cli/abi-test.ts', 'abi-test.js');
  const run = `node ${launcher} --mount /run/ntsync --`;
  const script = join(BUILD_DIR, 'guest.sh');
  writeFileSync(
    script,
    [
      'set -u',
      `node ${daemon} --transport cuse --device /dev/ntsync --mount /run/ntsync 2>/tmp/ntsyncd.log &`,
      'daemon=$!',
      'for i in $(seq 1 900); do grep -q ": ready: " /tmp/ntsyncd.log && break; sleep 0.1; done',
      'stat -c "node %F %a" /dev/ntsync',
      `echo "== selftest"; ${run} ${selftest} > /tmp/selftest.tap 2>&1; echo "selftest exit $?"; cat /tmp/selftest.tap`,
      `echo "== stress"; ${run} ${selftestLongTimeout} -r global.stress_wait > /tmp/stress.tap 2>&1; echo "stress exit $?"; cat /tmp/stress.tap`,
      `echo "== wine"; ${run} ${winePattern} run /dev/ntsync --alarm 120 --procs 2 --threads 3 --iters 200 --expect-subreaper; echo "wine exit $?"`,
      `echo "== abi"; ${run} node ${abiTest} --device /dev/ntsync --json > ${BUILD_DIR}/abi.json; echo "abi exit $?"`,
      'kill -TERM $daemon; wait $daemon; echo "daemon exit $?"',
      'cat /tmp/ntsyncd.log >&2',
    ].join('\n') + '\n',
  );
  const r = await runInGuest({ kernel: '6.1', modules: ['cuse'], command: ['sh', script], cpus: 1, timeoutMs: TIMEOUT - 5 * 60_000 });
  outcome = { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
}, TIMEOUT);

function section(name: string): string {
  const start = outcome.stdout.indexOf(`== ${name}\n`);
  const next = outcome.stdout.indexOf('\n== ', start + 1);
  return outcome.stdout.slice(start, next < 0 ? undefined : next);
}

test('ntsyncd serves /dev/ntsync as a CUSE character device, mode 0666, and stops cleanly', () => {
  expect(outcome.stderr).toMatch(/ready: serving \/dev\/ntsync as a CUSE character device \(\d+:\d+\)/);
  expect(outcome.stdout).toContain('node character special file 666');
  expect(outcome.stdout).toContain('daemon exit 0');
});

test(`the kernel selftest passes ${SELFTEST_TEST_COUNT}/${SELFTEST_TEST_COUNT} through CUSE (stress_wait with an emulation-sized timeout)`, () => {
  const out = section('selftest');
  const verdict = parseSelftestOutput(out);
  // Unmodified binary: everything passes, except that stress_wait may run out of the harness's
  // 30 s under emulation; then only by that timeout, never by a failed check.
  const failed = verdict.failed.filter((name) => name !== 'global.stress_wait');
  expect({ failed, passed: verdict.passed.length }).toEqual({ failed: [], passed: SELFTEST_TEST_COUNT - verdict.failed.length });
  if (verdict.failed.includes('global.stress_wait')) {
    expect(out).toContain('# stress_wait: Test terminated by timeout');
    expect(out).not.toMatch(/ntsync\.c:\d+:stress_wait:Expected/);
  }
  const stress = parseSelftestOutput(section('stress'));
  expect({ passed: stress.passed, failed: stress.failed }).toEqual({ passed: ['global.stress_wait'], failed: [] });
});

test("Wine's pattern passes through CUSE", () => {
  const out = section('wine');
  expect(out).toContain('wine exit 0');
});

test('the ABI suite passes through CUSE but for the documented gaps', () => {
  expect(section('abi')).toMatch(/abi exit [01]/);
  const report = JSON.parse(require('node:fs').readFileSync(join(BUILD_DIR, 'abi.json'), 'utf8')) as JsonReport;
  const failed = report.cases.filter((c) => c.status !== 'pass').map((c) => c.id);
  // lseek on a CUSE device: cuse.c answers it (0) without asking the daemon; the kernel's misc
  // device says ESPIPE. Found by running this suite on 6.1; listed in the README.
  const cuseOnly = failed.filter((id) => !KNOWN_GAPS.includes(id));
  expect(cuseOnly.every((id) => /lseek/.test(id))).toBe(true);
  expect(cuseOnly.length).toBeLessThanOrEqual(1);
  expect(report.total).toBeGreaterThanOrEqual(140);
});
