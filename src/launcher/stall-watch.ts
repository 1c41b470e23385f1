// Says so when ntsyncd stops answering. The launcher's requests to the daemon (the control
// CREATE and the open of the new object) block its one JavaScript thread: while the daemon
// hangs (stopped, held in a debugger, or a bug), nothing else of the launcher runs, not even
// its signal forwarding, and the program's CREATE waits with it. A worker thread watches a
// timestamp the main thread sets around each request and writes one line once a request has
// waited `thresholdMs`, and another when the daemon answers again.
import { Worker } from 'node:worker_threads';

/** How long a request to ntsyncd may take before ntsync-run says it is waiting for it. */
export const DEFAULT_STALL_WARNING_MS = 10_000;

// Plain JavaScript, run with `eval`: the worker must not depend on the bundle's module layout.
// It only warns; the main thread, unblocked, reports the answer itself (the process may well
// exit before the watcher's next tick).
const WATCHER = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const shared = new Float64Array(workerData.buffer);
const { thresholdMs, waiting } = workerData;
setInterval(() => {
  const started = shared[0];
  if (started !== 0 && shared[1] !== started && Date.now() - started >= thresholdMs) {
    shared[1] = started;
    writeSync(2, waiting.replace('{s}', ((Date.now() - started) / 1000).toFixed(1)) + '\\n');
  }
}, Math.max(20, Math.min(1000, Math.floor(thresholdMs / 4))));
`;

export class StallWatch {
  /**
   * [0]: Date.now() when the pending request began, 0 while none is pending. [1]: the [0] the
   * watcher warned about.
   */
  private readonly shared = new Float64Array(new SharedArrayBuffer(16));
  private worker: Worker | null;

  /**
   * `waiting` and `answered` are the lines to write (`{s}` becomes the seconds waited): the
   * first by the watcher itself, since the main thread is the one that is stuck; the second
   * through `write`, once the request returns.
   */
  constructor(
    thresholdMs: number,
    waiting: string,
    private readonly answered: string,
    private readonly write: (line: string) => void,
  ) {
    this.worker = new Worker(WATCHER, { eval: true, workerData: { buffer: this.shared.buffer, thresholdMs, waiting } });
    // The watcher never keeps ntsync-run alive, and a failure of its own is no failure of ours.
    this.worker.unref();
    this.worker.on('error', () => {});
  }

  begin(): void {
    this.shared[0] = Date.now();
  }

  end(): void {
    const started = this.shared[0];
    this.shared[0] = 0;
    if (started !== 0 && this.shared[1] === started) {
      this.write(this.answered.replace('{s}', ((Date.now() - started) / 1000).toFixed(1)));
    }
  }

  close(): void {
    void this.worker?.terminate();
    this.worker = null;
  }
}

/** The threshold from NTSYNC_RUN_STALL_WARNING_MS (milliseconds), else the default. */
export function stallWarningMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.NTSYNC_RUN_STALL_WARNING_MS);
  return Number.isFinite(v) && v > 0 ? v : DEFAULT_STALL_WARNING_MS;
}
