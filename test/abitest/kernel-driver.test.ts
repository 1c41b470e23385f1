// The ABI suite against the REAL ntsync driver: sid's 7.2 kernel with ntsync.ko, booted under
// qemu by the kernels harness, running the host's node and this working tree. This is what
// proves the suite (and through it ntsyncd) matches the kernel: a case that fails here is a
// wrong case, or a wrong spec, never a kernel bug. Slow (a software-emulated boot); the kernel
// is fetched through apt on first use.
import { fetchKernel } from '../kernels/kernel-cache';
import { runInGuest } from '../kernels/qemu';
import { bundle, failures, type JsonReport } from './helpers/bundle';

const FETCH_TIMEOUT = 15 * 60_000;
const RUN_TIMEOUT = 15 * 60_000;

let abiTest: string;
beforeAll(async () => {
  abiTest = bundle('src/cli/abi-test.ts', 'abi-test.js');
  await fetchKernel('7.2');
}, FETCH_TIMEOUT);

test('every case passes on /dev/ntsync of the real 7.2 driver', async () => {
  const r = await runInGuest({
    kernel: '7.2',
    modules: ['ntsync'],
    // The first line proves the node under test is the kernel's misc device (major 10, 0666).
    command: ['sh', '-c', `stat -c '%F %t %a' /dev/ntsync && exec node ${abiTest} --device /dev/ntsync --json`],
    timeoutMs: 10 * 60_000,
  });
  const [nodeLine, ...rest] = r.stdout.split('\n');
  expect(nodeLine).toBe('character special file a 666');
  const report = JSON.parse(rest.join('\n')) as JsonReport;
  console.log(`abi-test on ${r.kernelRelease} + ntsync.ko: ${report.passed}/${report.total} passed in ${r.timings.commandS} s (guest)`);
  expect({ failures: failures(report), stderr: r.stderr }).toEqual({ failures: [], stderr: '' });
  expect(report.total).toBeGreaterThanOrEqual(140);
  expect(r.exitCode).toBe(0);
}, RUN_TIMEOUT);
