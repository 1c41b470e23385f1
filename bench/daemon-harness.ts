// Shared by the daemon benchmarks: start a compiled ntsyncd on temporary paths, build and run
// bench/daemon-client.c against it, and summarize the numbers it prints.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** Run from <outDir>/bench/ after `npx tsc -p tsconfig.build.json`; the daemon is beside it. */
const DAEMON = resolve(__dirname, '../src/cli/ntsyncd.js');
const ROOT = repositoryRoot(__dirname);

function repositoryRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bench/daemon-client.c'))) return dir;
  }
  throw new Error(`cannot find the repository above ${from}`);
}

export interface Daemon {
  env: NodeJS.ProcessEnv;
  /** CPU time the daemon's main (JS) thread has used so far, in ns (/proc/<pid>/schedstat). */
  cpuNs(): number;
  stop(): Promise<void>;
}

export function buildClient(): string {
  const out = join(ROOT, '.cache/bench/daemon-client');
  mkdirSync(join(ROOT, '.cache/bench'), { recursive: true });
  execFileSync('gcc', ['-O2', '-Wall', '-o', out, join(ROOT, 'bench/daemon-client.c')], { stdio: 'inherit' });
  return out;
}

export async function startDaemon(args: string[]): Promise<Daemon> {
  if (!existsSync(DAEMON)) throw new Error(`${DAEMON} is missing: run \`npx tsc -p tsconfig.build.json\` first`);
  const dir = mkdtempSync(join(tmpdir(), 'ntsyncd-bench-'));
  const device = join(dir, 'ntsync');
  const mount = join(dir, 'objects');
  const child: ChildProcess = spawn(process.execPath, [DAEMON, '--device', device, '--mount', mount, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  for (let waited = 0; !/: ready: /.test(log); waited += 10) {
    if (child.exitCode !== null || waited > 10_000) throw new Error(`ntsyncd did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    env: { ...process.env, NTSYNC_DEVICE: device, NTSYNC_MOUNT: mount },
    cpuNs: () => Number(readFileSync(`/proc/${child.pid}/schedstat`, 'latin1').split(' ')[0]),
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs the client and returns the numbers it printed, one per line. */
export function runClient(client: string, args: string[], env: NodeJS.ProcessEnv): Promise<number[]> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(client, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`daemon-client ${args.join(' ')} exited ${code}`));
      else resolvePromise(out.split('\n').filter(Boolean).map(Number));
    });
  });
}

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function summarize(values: number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { n: s.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s[s.length - 1] };
}

export const us = (ns: number) => `${(ns / 1000).toFixed(1)} µs`;
