// Runs a process to completion with a deadline, collecting its output.
import { spawn, type ChildProcess } from 'node:child_process';

export interface Finished {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  done: Promise<Finished>;
  /** Resolves when stdout has printed `text`. */
  waitForOutput(text: string): Promise<void>;
}

export function start(argv: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Running {
  // Its own process group, so a deadline can take down everything it started.
  const child = spawn(argv[0]!, argv.slice(1), { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  const watchers: { text: string; resolve: () => void }[] = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const w of watchers.splice(0)) {
      if (stdout.includes(w.text)) w.resolve();
      else watchers.push(w);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }, options.timeoutMs ?? 20000);
  const done = new Promise<Finished>((resolve) => {
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
  return {
    child,
    done,
    waitForOutput: (text) =>
      new Promise((resolve) => {
        if (stdout.includes(text)) resolve();
        else watchers.push({ text, resolve });
      }),
  };
}

export function run(argv: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Finished> {
  return start(argv, options).done;
}
