// The guest's initramfs: a static init (guest/init.c), the modules it must load, and the
// description of the one command to run. See guest/init.c for what the guest does with it.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import * as path from 'node:path';
import { buildCpio, CpioEntry } from './cpio';
import { kernelCacheDir, repoRoot } from './kernel-cache';
import { ModuleFile } from './modules';

const INIT_SOURCE = path.join(repoRoot, 'test', 'kernels', 'guest', 'init.c');

/** Compiles guest/init.c statically, once per version of its source. */
export function buildGuestInit(): string {
  const source = readFileSync(INIT_SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const dir = path.join(kernelCacheDir(), 'build');
  const out = path.join(dir, `init-${hash}`);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const tmp = `${out}.${process.pid}`;
  try {
    execFileSync('gcc', ['-static', '-O2', '-Wall', '-Wextra', '-o', tmp, INIT_SOURCE], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`building the guest init failed: gcc -static needs gcc and libc6-dev (apt-get install gcc libc6-dev): ${stderr || (e as Error).message}`);
  }
  renameSync(tmp, out);
  return out;
}

export interface GuestCommand {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  /** 9p mount tag → absolute path in the guest, mounted read-write. */
  shares: { tag: string; path: string }[];
}

export function buildInitramfs(modules: ModuleFile[], command: GuestCommand): Buffer {
  const nul = (items: string[]) => items.map((s) => `${s}\0`).join('');
  for (const s of [...command.argv, ...Object.entries(command.env).flat()]) {
    if (s.includes('\0')) throw new Error(`a guest command argument or environment entry contains a NUL byte: ${JSON.stringify(s)}`);
  }
  const entries: CpioEntry[] = [
    { kind: 'file', path: 'init', data: readFileSync(buildGuestInit()), mode: 0o755 },
    // With a console node present the kernel gives init fds 0-2 on it from the start.
    { kind: 'dir', path: 'dev' },
    { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { kind: 'dir', path: 'modules' },
    ...modules.map((m): CpioEntry => ({ kind: 'file', path: `modules/${m.fileName}`, data: m.bytes })),
    { kind: 'dir', path: 'guest' },
    { kind: 'file', path: 'guest/modules', data: modules.map((m) => `${m.fileName}\n`).join('') },
    { kind: 'file', path: 'guest/argv', data: nul(command.argv) },
    { kind: 'file', path: 'guest/env', data: nul(Object.entries(command.env).map(([k, v]) => `${k}=${v}`)) },
    { kind: 'file', path: 'guest/cwd', data: command.cwd },
    { kind: 'file', path: 'guest/shares', data: command.shares.map((s) => `${s.tag} ${s.path}\n`).join('') },
  ];
  return buildCpio(entries);
}
