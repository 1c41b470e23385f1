// ntsyncd as a child process on a temporary device path and object mount, for the tests that
// run programs under the real ntsync-run. Needs root (FUSE mount, bind mount).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class Daemon {
  readonly device: string;
  readonly mount: string;
  private log = '';
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly dir: string,
    private readonly child: ChildProcess,
    device?: string,
  ) {
    this.device = device ?? join(dir, 'ntsync');
    this.mount = join(dir, 'objects');
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.log += d));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.log += d));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /**
   * Starts the bundled ntsyncd and resolves once it says it serves. The device goes in the
   * temporary directory unless `device` names a path (the kernel selftest needs /dev/ntsync).
   */
  static async start(bundle: string, reuseDir?: string, device?: string): Promise<Daemon> {
    const dir = reuseDir ?? mkdtempSync(join(tmpdir(), 'ntsync-run-daemon-'));
    chmodSync(dir, 0o755); // the tests also run programs as an unprivileged user
    const child = spawn(process.execPath, [bundle, '--device', device ?? join(dir, 'ntsync'), '--mount', join(dir, 'objects')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const daemon = new Daemon(dir, child, device);
    const deadline = Date.now() + 15000;
    while (!/^ntsyncd: info: ready: /m.test(daemon.log)) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`ntsyncd did not start:\n${daemon.log}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return daemon;
  }

  get logs(): string {
    return this.log;
  }

  /** Sends `signal` (SIGSTOP/SIGCONT: a daemon that hangs, then answers again). */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** SIGKILL: the daemon cannot clean up, its mounts stay behind, stale. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then the exit status; the temporary directory is removed once nothing is mounted. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; mountsLeft: string[] }> {
    this.child.kill('SIGTERM');
    const exit = await this.exited;
    const mountsLeft = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[4])
      .filter((p): p is string => p !== undefined && p.startsWith(this.dir));
    if (mountsLeft.length === 0) rmSync(this.dir, { recursive: true, force: true });
    return { ...exit, mountsLeft };
  }
}
