// Throughput of the engine alone, with no I/O: how much of a FUSE round trip (about 3 µs here)
// the state machine itself costs. Reports what it measures; the target is printed beside it.
import { Engine, WaitRequest } from '../src/core/engine';
import { TIMEOUT_INFINITE } from '../src/core/types';

const now = () => 0n;

function rate(name: string, iterations: number, unitsPerIteration: number, body: (n: number) => void): number {
  body(Math.min(iterations, 10_000)); // warm up the JIT
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const start = process.hrtime.bigint();
    body(iterations);
    const ns = Number(process.hrtime.bigint() - start);
    runs.push((iterations * unitsPerIteration * 1e9) / ns);
  }
  runs.sort((a, b) => a - b);
  const median = runs[2];
  console.log(`${name.padEnd(44)} ${(median / 1e6).toFixed(2).padStart(8)} M/s  (${(1e9 / median).toFixed(0)} ns each)`);
  return median;
}

function releaseWaitPairs() {
  const e = new Engine<number>();
  const dev = e.openDevice();
  const sem = e.createSemaphore(dev, 0, 1);
  const req = new WaitRequest<number>();
  Object.assign(req, { device: dev, objects: [sem], count: 1, owner: 1, timeout: 0n, tag: 0 });
  return (iterations: number) => {
    for (let i = 0; i < iterations; i++) {
      e.semRelease(sem, 1);
      e.wait(req, now);
      if (req.status !== 0) throw new Error('wait not satisfied');
    }
  };
}

function waitAllOn8() {
  const e = new Engine<number>();
  const dev = e.openDevice();
  const events = Array.from({ length: 8 }, () => e.createEvent(dev, 1, 1));
  const req = new WaitRequest<number>();
  Object.assign(req, { device: dev, all: true, objects: events, count: 8, owner: 1, timeout: 0n, tag: 0 });
  return (iterations: number) => {
    for (let i = 0; i < iterations; i++) {
      e.wait(req, now);
      if (req.status !== 0) throw new Error('wait-all not satisfied');
    }
  };
}

function wake64Queued() {
  const e = new Engine<number>();
  const dev = e.openDevice();
  const event = e.createEvent(dev, 1, 0);
  const req = new WaitRequest<number>();
  Object.assign(req, { device: dev, objects: [event], count: 1, owner: 1, timeout: TIMEOUT_INFINITE, tag: 0 });
  return (iterations: number) => {
    for (let i = 0; i < iterations; i++) {
      for (let w = 0; w < 64; w++) e.wait(req, now);
      e.eventSet(event);
      if (e.woken.length !== 64) throw new Error(`woke ${e.woken.length}, not 64`);
      e.woken.length = 0;
      e.eventReset(event);
    }
  };
}

const pairs = rate('SEM_RELEASE + satisfied WAIT_ANY (pairs)', 1_000_000, 1, releaseWaitPairs());
rate('WAIT_ALL on 8 signalled manual events', 500_000, 1, waitAllOn8());
rate('64 queued waiters woken by one EVENT_SET (waiters)', 20_000, 64, wake64Queued());
const target = 2e6;
console.log(`\ntarget: >= 2.00 M release+wait pairs/s: ${pairs >= target ? 'met' : 'MISSED'} (${(pairs / 1e6).toFixed(2)} M/s)`);
