// The harness and the kernel's selftest proven on real kernels: sid's 7.2 with the real
// ntsync driver (the yardstick the emulation is measured against), and Debian 12's 6.1 with
// CUSE (the transport the daemon will serve /dev/ntsync through there).
//
// Slow by nature (each test boots a kernel under software emulation), so the timeouts are
// generous; the kernels are fetched through apt on first use (~10 s and 70–125 MB each).
import { buildKernelSelftest, parseSelftestOutput, SELFTEST_TEST_COUNT } from '../kernel-selftest/selftest';
import { fetchKernel } from './kernel-cache';
import { runInGuest } from './qemu';

const FETCH_TIMEOUT = 15 * 60_000;
const BOOT_TEST_TIMEOUT = 15 * 60_000;

describe('sid 7.2 kernel with the real ntsync driver', () => {
  let selftest: string;
  beforeAll(async () => {
    await fetchKernel('7.2');
    selftest = await buildKernelSelftest();
  }, FETCH_TIMEOUT);

  test('the kernel selftest passes 11/11 on /dev/ntsync', async () => {
    const r = await runInGuest({
      kernel: '7.2',
      modules: ['ntsync'],
      // Proves the node is the kernel's (a misc device, major 10) before the selftest uses it.
      command: ['sh', '-c', `stat -c '%F %t %a' /dev/ntsync && exec ${selftest}`],
      timeoutMs: 10 * 60_000,
    });
    console.log(`7.2 + ntsync.ko: boot to command ${r.timings.bootToCommandMs} ms, selftest ${r.timings.commandS} s in the guest`);
    const verdict = parseSelftestOutput(r.stdout);
    expect({ failed: verdict.failed, stderr: r.stderr }).toEqual({ failed: [], stderr: '' });
    expect(r.stdout.split('\n')[0]).toBe('character special file a 666');
    expect(verdict.passed).toHaveLength(SELFTEST_TEST_COUNT);
    expect(verdict.totals).toEqual({ pass: SELFTEST_TEST_COUNT, fail: 0, skip: 0, error: 0 });
    expect(r.exitCode).toBe(0);
  }, BOOT_TEST_TIMEOUT);
});

describe("Debian 12's 6.1 kernel with CUSE", () => {
  beforeAll(() => fetchKernel('6.1'), FETCH_TIMEOUT);

  test('cuse.ko gives /dev/cuse, and the host node runs in the guest', async () => {
    const r = await runInGuest({
      kernel: '6.1',
      modules: ['cuse'],
      command: ['sh', '-c', `stat -c '%F %t:%T' /dev/cuse && uname -r && node -e 'console.log(1 + 1)'`],
    });
    console.log(`6.1 + cuse.ko: boot to command ${r.timings.bootToCommandMs} ms`);
    expect({ stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode }).toEqual({
      // /dev/cuse is the misc device 10:203 (cb in hex).
      stdout: `character special file a:cb\n${r.kernelRelease}\n2\n`,
      stderr: '',
      exitCode: 0,
    });
    expect(r.kernelRelease).toMatch(/^6\.1\.0-\d+-amd64$/);
  }, BOOT_TEST_TIMEOUT);
});
