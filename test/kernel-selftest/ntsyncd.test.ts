// The kernel's own ntsync selftest, unmodified but for the upstream wake_all fix, run under
// ntsync-run against ntsyncd serving /dev/ntsync (the path the selftest hard-codes).
import { existsSync, statSync } from 'node:fs';
import { bundle } from '../launcher/helpers/build';
import { Daemon } from '../launcher/helpers/daemon';
import { start } from '../launcher/helpers/run';
import { buildKernelSelftest, parseSelftestOutput, SELFTEST_TEST_COUNT } from './selftest';

const DEVICE = '/dev/ntsync';

function kernelDriverPresent(): boolean {
  return existsSync(DEVICE) && statSync(DEVICE).isCharacterDevice();
}

describe('kernel selftest under ntsync-run against ntsyncd', () => {
  let daemon: Daemon;
  let launcher: string;
  let selftest: string;

  beforeAll(async () => {
    if (kernelDriverPresent()) throw new Error(`${DEVICE} is a real character device here; this test needs a kernel without ntsync`);
    selftest = await buildKernelSelftest();
    launcher = bundle('src/cli/ntsync-run.ts', 'ntsync-run.selftest.js');
    daemon = await Daemon.start(bundle('src/cli/ntsyncd.ts', 'ntsyncd.selftest.js'), undefined, DEVICE);
  }, 600_000);

  afterAll(async () => {
    if (!daemon) return;
    const { code, mountsLeft } = await daemon.stop();
    expect(code).toBe(0);
    expect(mountsLeft).toEqual([]);
    expect(existsSync(DEVICE)).toBe(false);
  });

  test(`all ${SELFTEST_TEST_COUNT} tests pass`, async () => {
    const run = start([process.execPath, launcher, '--mount', daemon.mount, '--', selftest], { timeoutMs: 120_000 });
    const result = await run.done;
    const verdict = parseSelftestOutput(result.stdout);
    if (verdict.failed.length > 0 || result.status !== 0) {
      throw new Error(`selftest failed (status ${result.status}):\n${result.stdout}\n${result.stderr}\n--- ntsyncd ---\n${daemon.logs}`);
    }
    expect(verdict.passed).toHaveLength(SELFTEST_TEST_COUNT);
    expect(verdict.totals).toEqual({ pass: SELFTEST_TEST_COUNT, fail: 0, skip: 0, error: 0 });
  }, 150_000);
});
