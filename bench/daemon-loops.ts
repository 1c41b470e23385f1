// Per-request cost of the daemon's two event loops (src/cuse/loop/): Node's libuv loop
// watching the fds through koffi.node.poll ("uv", the default) and our own ppoll loop that
// yields to Node between slices ("ppoll"). A C client times ioctl round trips one at a time.
//
//   npx tsc -p tsconfig.build.json && node dist/bench/daemon-loops.js [N] [repeats]
import { buildClient, runClient, startDaemon, summarize, us } from './daemon-harness';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 20000);
  const repeats = Number(process.argv[3] ?? 3);
  const client = buildClient();
  console.log(`round trips, ${n} each, median of ${repeats} runs' medians (p99 of the last run)`);
  console.log(`${'loop'.padEnd(6)} ${'SEM_READ p50'.padStart(14)} ${'p99'.padStart(10)} ${'WAIT poll p50'.padStart(14)} ${'p99'.padStart(10)}`);
  for (const loop of ['uv', 'ppoll']) {
    const daemon = await startDaemon(['--loop', loop]);
    try {
      const reads: number[] = [];
      const waits: number[] = [];
      let last: number[] = [];
      for (let r = 0; r < repeats; r++) {
        last = await runClient(client, ['roundtrip', String(n)], daemon.env);
        reads.push(summarize(last.slice(0, n)).p50);
        waits.push(summarize(last.slice(n)).p50);
      }
      const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
      console.log(
        `${loop.padEnd(6)} ${us(med(reads)).padStart(14)} ${us(summarize(last.slice(0, n)).p99).padStart(10)} ` +
          `${us(med(waits)).padStart(14)} ${us(summarize(last.slice(n)).p99).padStart(10)}`,
      );
    } finally {
      await daemon.stop();
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
