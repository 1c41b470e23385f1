// How late ntsyncd answers a timed wait: a C client issues WAIT_ANY calls that nothing can
// satisfy, with deadlines 0.5–5 ms ahead, and records when each ioctl returned relative to
// its deadline (client wake-up included). Target: p99 within 200 µs on an idle machine. The
// first row is the floor: the same two wake-ups between two C processes, without ntsyncd.
//
//   npx tsc -p tsconfig.build.json && node dist/bench/deadline-accuracy.js [N]
import { buildClient, runClient, startDaemon, summarize, us } from './daemon-harness';

const TARGET_P99_NS = 200_000;

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 2000);
  const client = buildClient();
  console.log(`deadline lateness over ${n} timed waits each (ioctl return - deadline)`);
  console.log(`${'loop'.padEnd(6)} ${'clock'.padEnd(10)} ${'p50'.padStart(10)} ${'p90'.padStart(10)} ${'p99'.padStart(10)} ${'max'.padStart(10)}  early`);
  const row = (loop: string, clock: string, lateness: number[]) => {
    const s = summarize(lateness);
    const early = lateness.filter((ns) => ns < 0).length;
    console.log(`${loop.padEnd(6)} ${clock.padEnd(10)} ${us(s.p50).padStart(10)} ${us(s.p90).padStart(10)} ${us(s.p99).padStart(10)} ${us(s.max).padStart(10)}  ${early}`);
    return s;
  };
  // The same two wake-ups (a sleeper on an absolute timerfd, then the caller) with no daemon:
  // what this machine allows, measured under the same conditions.
  const floor = row('floor', 'monotonic', await runClient(client, ['floor', String(n)], process.env));
  let worstP99 = 0;
  for (const loop of ['uv', 'ppoll']) {
    const daemon = await startDaemon(['--loop', loop]);
    try {
      for (const clock of ['monotonic', 'realtime']) {
        const lateness = await runClient(client, ['deadlines', String(n), ...(clock === 'realtime' ? ['realtime'] : [])], daemon.env);
        worstP99 = Math.max(worstP99, row(loop, clock, lateness).p99);
      }
    } finally {
      await daemon.stop();
    }
  }
  console.log(`target: p99 <= ${us(TARGET_P99_NS)} (idle machine); worst p99 measured: ${us(worstP99)}; the floor's p99: ${us(floor.p99)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
