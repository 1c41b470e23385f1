// Per-request cost of the daemon's two event loops (src/cuse/loop/): Node's libuv loop
// watching the fds through koffi.node.poll ("uv", the default) and our own ppoll loop that
// yields to Node between slices ("ppoll"). A C client times ioctl round trips one at a time.
//
//   npx tsc -p tsconfig.build.json && node dist/bench/daemon-loops.js [N] [repeats]
//
// The WAIT poll includes reading `objs` (process_vm_readv) and resolving the fd (statx). The
// daemon's CPU time per request (its JS thread's schedstat) is the figure least disturbed by
// other load on the machine.
import { buildClient, runClient, startDaemon, summarize, us } from './daemon-harness';

const LOOPS = ['uv', 'ppoll'] as const;

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 20000);
  const repeats = Number(process.argv[3] ?? 5);
  const client = buildClient();
  // Runs alternate between the loops, so that a change in the machine's load hits both alike.
  const reads: Record<string, number[]> = { uv: [], ppoll: [] };
  const waits: Record<string, number[]> = { uv: [], ppoll: [] };
  const tails: Record<string, number[]> = { uv: [], ppoll: [] };
  const cpu: Record<string, number[]> = { uv: [], ppoll: [] };
  for (let r = 0; r < repeats; r++) {
    for (const loop of LOOPS) {
      const daemon = await startDaemon(['--loop', loop]);
      try {
        const before = daemon.cpuNs();
        const values = await runClient(client, ['roundtrip', String(n)], daemon.env);
        // includes the client's open/register/create, a handful of requests against 2n
        cpu[loop].push((daemon.cpuNs() - before) / (2 * n));
        reads[loop].push(summarize(values.slice(0, n)).p50);
        waits[loop].push(summarize(values.slice(n)).p50);
        tails[loop].push(summarize(values.slice(0, n)).p99);
      } finally {
        await daemon.stop();
      }
    }
  }
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  console.log(`ioctl round trips through the FUSE bind mount, ${n} per run, ${repeats} alternating runs per loop (medians)`);
  console.log(
    `${'loop'.padEnd(6)} ${'SEM_READ p50'.padStart(14)} ${'SEM_READ p99'.padStart(14)} ${'WAIT poll p50'.padStart(14)} ${'daemon CPU/request'.padStart(20)}`,
  );
  for (const loop of LOOPS) {
    console.log(
      `${loop.padEnd(6)} ${us(med(reads[loop])).padStart(14)} ${us(med(tails[loop])).padStart(14)} ${us(med(waits[loop])).padStart(14)} ` +
        `${us(med(cpu[loop])).padStart(20)}`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
