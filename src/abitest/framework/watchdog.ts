// The runner's per-case timeout is a JS timer: it cannot fire while the main thread itself is
// stuck in a system call (a device that never answers a poll, a CREATE or a READ). This
// watchdog runs on its own thread; if the main thread has not finished a case well past the
// case timeout, it prints which case hung and ends the process with a failing status, so the
// run never hangs for good. The lines already printed stay: they are written synchronously.
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const deadline = new BigInt64Array(workerData.shared);
let current = '';
parentPort.on('message', (id) => { current = id; });
setInterval(() => {
  const d = Atomics.load(deadline, 0);
  if (d !== 0n && BigInt(Date.now()) > d) {
    try {
      writeSync(workerData.fd, 'FAIL ' + current + ' — the main thread is stuck in a system call (watchdog)\\n' +
        'abi-test: aborted: a case hung beyond its timeout\\n');
    } catch {}
    process.kill(process.pid, 'SIGKILL');
  }
}, 250);
`;

export class Watchdog {
  private readonly deadline: BigInt64Array;
  private readonly worker: Worker;

  /** `graceMs` past the runner's own timeout; `fd` receives the message (1 or 2). */
  constructor(
    private readonly caseTimeoutMs: number,
    private readonly graceMs = 10_000,
    fd = 2,
  ) {
    const shared = new SharedArrayBuffer(8);
    this.deadline = new BigInt64Array(shared);
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { shared, fd } });
    this.worker.unref();
  }

  caseStarted(id: string): void {
    this.worker.postMessage(id);
    Atomics.store(this.deadline, 0, BigInt(Date.now() + this.caseTimeoutMs + this.graceMs));
  }

  caseEnded(): void {
    Atomics.store(this.deadline, 0, 0n);
  }

  async stop(): Promise<void> {
    this.caseEnded();
    await this.worker.terminate();
  }
}
