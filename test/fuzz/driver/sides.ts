// The two sides of the comparison. The kernel side runs the jobs in sid's 7.2 kernel under
// qemu, on the real ntsync.ko's /dev/ntsync, in one boot. The ntsyncd side runs them on the
// host under ntsync-run against a private ntsyncd. Both run the same client binary.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { runInGuest } from '../../kernels/qemu';
import { Daemon } from '../../launcher/helpers/daemon';
import { bundleEntry } from './build';
import { Job, writeJobScript } from './jobs';

export interface SideRun {
  output: string;
  stderr: string;
  /** Wall time of the run on the host, in seconds. */
  seconds: number;
}

export interface KernelRun extends SideRun {
  /** qemu's start to the command's start. */
  bootSeconds: number;
  /** The command's run time on the guest's clock. */
  commandSeconds: number;
  kernelRelease: string;
}

/** A generous bound: about 30 ms per sequence in the guest, so ten times that plus a margin. */
export function timeoutFor(jobs: readonly Job[]): number {
  const sequences = jobs.reduce((n, j) => n + j.count, 0);
  return 5 * 60_000 + sequences * 300;
}

export async function runOnKernel(client: string, jobs: readonly Job[], options: { cpus?: number } = {}): Promise<KernelRun> {
  const script = writeJobScript(client, jobs);
  const started = Date.now();
  try {
    const r = await runInGuest({
      kernel: '7.2',
      modules: ['ntsync'],
      // One vCPU: waking an idle second vCPU can wait for a timer tick under TCG, which made
      // every waiter start cost milliseconds; the waits are made deterministic, not parallel.
      cpus: options.cpus ?? 1,
      // The node must be the kernel driver's: a misc device (major 10), or nothing is compared.
      command: ['sh', '-c', 'test "$(stat -c %t /dev/ntsync)" = a || { echo "/dev/ntsync is not the misc device" >&2; exit 99; }; exec sh "$0" /dev/ntsync', script],
      timeoutMs: timeoutFor(jobs),
    });
    if (r.exitCode !== 0) throw new Error(`the fuzz jobs failed in the guest (status ${r.exitCode ?? `signal ${r.signal}`}): ${r.stderr.slice(-2000)}`);
    return {
      output: r.stdout,
      stderr: r.stderr,
      seconds: (Date.now() - started) / 1000,
      bootSeconds: r.timings.bootToCommandMs / 1000,
      commandSeconds: r.timings.commandS,
      kernelRelease: r.kernelRelease,
    };
  } finally {
    rmSync(script, { force: true });
  }
}

/** ntsyncd on a private device path and object mount, and ntsync-run to run clients against it. */
export class NtsyncdSide {
  private constructor(
    readonly daemon: Daemon,
    readonly ntsyncRun: string,
  ) {}

  static async start(): Promise<NtsyncdSide> {
    const ntsyncRun = bundleEntry('src/cli/ntsync-run.ts', 'ntsync-run');
    const daemon = await Daemon.start(bundleEntry('src/cli/ntsyncd.ts', 'ntsyncd'));
    return new NtsyncdSide(daemon, ntsyncRun);
  }

  get device(): string {
    return this.daemon.device;
  }

  get mount(): string {
    return this.daemon.mount;
  }

  run(client: string, jobs: readonly Job[]): Promise<SideRun> {
    const script = writeJobScript(client, jobs);
    const started = Date.now();
    const args = [this.ntsyncRun, '--mount', this.mount, '--device', this.device, '--', 'sh', script, this.device];
    return new Promise<SideRun>((resolve, reject) => {
      // Its own process group, so that a timeout takes down the launcher and all it started.
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const out: Buffer[] = [];
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, timeoutFor(jobs));
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        rmSync(script, { force: true });
        if (code !== 0) {
          reject(new Error(`ntsync-run with the fuzz jobs ended with ${signal ?? `status ${code}`}:\n${stderr.slice(-2000)}\n--- daemon log ---\n${this.daemon.logs.slice(-2000)}`));
          return;
        }
        resolve({ output: Buffer.concat(out).toString('utf8'), stderr, seconds: (Date.now() - started) / 1000 });
      });
    });
  }

  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; mountsLeft: string[] }> {
    return this.daemon.stop();
  }
}
