// Starts ntsyncd as a child process on a temporary device path and object mount, and runs the
// C clients against it. The daemon is bundled with esbuild into test/.build (git-ignored);
// koffi stays external and is found in the repository's node_modules from there.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { C_INCLUDE } from '../../launcher/helpers/build';

export const REPO = resolve(__dirname, '../../..');
export const BUILD_DIR = join(REPO, 'test/.build');
const C_DIR = join(REPO, 'test/daemon/c');

/**
 * Bundles src/cli/ntsyncd.ts into test/.build/ntsyncd.js. Jest workers may build at the same
 * time: each writes its own temporary file and renames it into place, so a daemon being
 * started always reads one complete bundle.
 */
export function buildDaemon(): string {
  mkdirSync(BUILD_DIR, { recursive: true });
  const out = join(BUILD_DIR, 'ntsyncd.js');
  const tmp = `${out}.${process.pid}.tmp`;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  esbuild.buildSync({
    entryPoints: [join(REPO, 'src/cli/ntsyncd.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    external: ['koffi'],
    outfile: tmp,
    logLevel: 'warning',
  });
  renameSync(tmp, out);
  return out;
}

/** Compiles test/daemon/c/<name>.c (with harness.h) unless the binary is newer; returns its path. */
export function compileClient(name: string, extra: string[] = []): string {
  mkdirSync(BUILD_DIR, { recursive: true });
  const src = join(C_DIR, `${name}.c`);
  const out = join(BUILD_DIR, name);
  const newest = Math.max(statSync(src).mtimeMs, statSync(join(C_DIR, 'harness.h')).mtimeMs);
  if (!existsSync(out) || statSync(out).mtimeMs < newest) {
    const tmp = `${out}.${process.pid}.tmp`;
    execFileSync('gcc', ['-O2', '-g', '-Wall', '-Wextra', '-Werror', '-Wno-unused-function', '-pthread', `-I${C_INCLUDE}`, '-o', tmp, src, ...extra], { stdio: 'pipe' });
    execFileSync('mv', ['-f', tmp, out]);
  }
  return out;
}

export function listTests(binary: string): string[] {
  return execFileSync(binary, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface StartOptions {
  args?: string[];
  /** The log line that means "serving". */
  readyPattern?: RegExp;
  timeoutMs?: number;
}

export class RunningDaemon {
  readonly devicePath: string;
  readonly mountDir: string;
  private log = '';
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly dir: string,
    readonly child: ChildProcess,
  ) {
    this.devicePath = join(dir, 'ntsync');
    this.mountDir = join(dir, 'objects');
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.log += d));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.log += d));
    this.exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  }

  get logs(): string {
    return this.log;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once `pattern` shows in the log; rejects if the daemon exits first. */
  async waitForLog(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.log)) {
      if (!this.alive) throw new Error(`ntsyncd exited before logging ${pattern}:\n${this.log}`);
      if (Date.now() > deadline) throw new Error(`ntsyncd did not log ${pattern} within ${timeoutMs} ms:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, NTSYNC_DEVICE: this.devicePath, NTSYNC_MOUNT: this.mountDir };
  }

  /** Runs one test of a C client against this daemon. */
  run(binary: string, args: string[], timeoutMs = 20_000, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    return runProcess(binary, args, { ...this.env, ...env }, timeoutMs);
  }

  /** Waits for the daemon to exit by itself; 'timeout' if it does not within `ms`. */
  waitForExit(ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'timeout'> {
    let timer: NodeJS.Timeout;
    return Promise.race([
      this.exited.finally(() => clearTimeout(timer)),
      new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms))),
    ]);
  }

  /** SIGTERM, then waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.alive) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }

  /** Removes the temporary directory (after stop). */
  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function runProcess(binary: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(binary, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

let bundle: string | null = null;

/** Starts ntsyncd on <tmp>/ntsync with objects in <tmp>/objects and waits until it serves. */
export async function startDaemon(options: StartOptions = {}): Promise<RunningDaemon> {
  bundle ??= buildDaemon();
  const dir = mkdtempSync(join(tmpdir(), 'ntsyncd-test-'));
  const child = spawn(
    process.execPath,
    [bundle, '--device', join(dir, 'ntsync'), '--mount', join(dir, 'objects'), ...(options.args ?? [])],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const daemon = new RunningDaemon(dir, child);
  try {
    await daemon.waitForLog(options.readyPattern ?? /^ntsyncd: info: ready: /m, options.timeoutMs);
  } catch (err) {
    await daemon.stop('SIGKILL');
    daemon.cleanup();
    throw err;
  }
  return daemon;
}

/** Mount points under `dir` still listed in /proc/self/mountinfo (should be none after a stop). */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p) => p && p.startsWith(dir));
}

/** The daemon's status report (`<mount>/status`, JSON). */
export async function statusJson(d: RunningDaemon): Promise<{ counters: Record<string, number> }> {
  return JSON.parse(await readFile(join(d.mountDir, 'status'), 'utf8'));
}
