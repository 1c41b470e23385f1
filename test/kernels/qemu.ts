// Runs one command as root inside a Debian kernel booted by qemu, and returns its output and
// exit status. The guest sees the host's root file system (read-only, under a tmpfs overlay,
// so it runs the host's node and gcc-built binaries) and the shared directories read-write
// at their host paths (the working tree by default). See guest/init.c for the guest side.
//
// Software emulation only (no usable KVM here): qemu boots the uncompressed vmlinux through
// its PVH entry, which takes seconds where a bzImage would first decompress itself slowly.
// One qemu at a time on the machine: runs queue on a lock file in the kernel cache.
import { ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildInitramfs } from './initramfs';
import { fetchKernel, kernelCacheDir, KernelSeries, repoRoot } from './kernel-cache';
import { resolveModules } from './modules';

/** What every guest loads to reach the host's root: virtio-pci, 9p over virtio, overlayfs. */
export const BASE_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay'];

export interface GuestRunOptions {
  kernel: KernelSeries;
  /** argv of the command; argv[0] is searched in the PATH of `env`. */
  command: string[];
  /** Extra modules to load before the command, e.g. ['ntsync'] or ['cuse']; dependencies follow. */
  modules?: string[];
  /** vCPUs (default 2). Use 1 to time blocking operations: an idle vCPU can wake a tick late. */
  cpus?: number;
  /** Guest memory in MiB (default 1024). */
  memoryMiB?: number;
  /** Host directories mounted read-write at the same path in the guest (default: the working tree). */
  shares?: string[];
  /** The command's working directory in the guest (default: the working tree, or / if not shared). */
  cwd?: string;
  /** Added to the command's environment (PATH, HOME=/root, TERM=dumb, LANG=C.UTF-8). */
  env?: Record<string, string>;
  /** From the start of the command to its end (default 300 s). */
  timeoutMs?: number;
  /** From qemu's start to the start of the command (default 120 s). */
  bootTimeoutMs?: number;
  /** How long to wait for another qemu run on this machine to end (default 30 min). */
  queueTimeoutMs?: number;
  /** Extra kernel command-line arguments. */
  kernelArgs?: string[];
  /** Sees the serial console as it arrives (kernel messages and the init's markers). */
  onConsole?: (text: string) => void;
}

export interface GuestTimings {
  /** Host clock: qemu's start to the command's start. */
  bootToCommandMs: number;
  /** Guest clock (CLOCK_BOOTTIME) at the command's start. */
  guestUptimeAtCommandS: number;
  /** Guest clock: the command's run time. */
  commandS: number;
  /** Host clock: qemu's start to its exit. */
  totalMs: number;
}

export interface GuestRunResult {
  /** The command's exit status, or null if a signal ended it. */
  exitCode: number | null;
  signal: number | null;
  stdout: string;
  stderr: string;
  /** The serial console: kernel messages and the init's markers. */
  console: string;
  kernelRelease: string;
  timings: GuestTimings;
}

export type GuestErrorKind = 'boot-timeout' | 'command-timeout' | 'boot-panic' | 'panic' | 'init-failed' | 'guest-died' | 'queue-timeout';

// Multi-threaded TCG now and then loses the race of the kernel's live code patching (an
// unexpected int3 in a function another vCPU is patching, an oops while booting); CI saw it
// once in some hundred boots. Nothing of ours has run by then, so a panic before the command
// boots again; a panic that comes back every time is still reported.
const BOOT_ATTEMPTS = 3;

/** The guest did not run the command to its end. `console` holds the evidence. */
export class GuestError extends Error {
  constructor(
    readonly kind: GuestErrorKind,
    message: string,
    readonly console: string,
    readonly stdout = '',
    readonly stderr = '',
  ) {
    super(`${message}\n--- last console lines ---\n${console.split('\n').slice(-25).join('\n')}`);
    this.name = 'GuestError';
  }
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const MAX_CONSOLE = 4 << 20;

function findInPath(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? DEFAULT_PATH).split(':')) {
    const candidate = path.join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  return undefined;
}

function qemuArgs(o: { vmlinux: string; initrd: string; cpus: number; memoryMiB: number; cmdline: string; shares: { tag: string; hostPath: string; readonly: boolean }[] }): string[] {
  const args = [
    '-accel', 'tcg,thread=multi',
    '-M', 'pc',
    '-cpu', 'max',
    '-smp', String(o.cpus),
    '-m', String(o.memoryMiB),
    '-nographic', '-nodefaults', '-no-user-config', '-no-reboot',
    '-serial', 'stdio', '-monitor', 'none',
    '-kernel', o.vmlinux,
    '-initrd', o.initrd,
    '-append', o.cmdline,
  ];
  for (const s of o.shares) {
    // passthrough: qemu runs as root, so the guest's root owns what it creates, as on the host.
    // multidevs=remap: the host root spans several file systems; keep inode numbers unique.
    // qemu's option syntax escapes a comma in a value by doubling it.
    args.push('-virtfs', `local,path=${s.hostPath.replace(/,/g, ',,')},mount_tag=${s.tag},security_model=passthrough,multidevs=remap${s.readonly ? ',readonly=on' : ''}`);
  }
  return args;
}

function parseStatus(text: string): { exitCode: number | null; signal: number | null } {
  const m = /^(exit|signal) (\d+)$/.exec(text.trim());
  if (!m) throw new Error(`unreadable guest status ${JSON.stringify(text)}`);
  return m[1] === 'exit' ? { exitCode: Number(m[2]), signal: null } : { exitCode: null, signal: Number(m[2]) };
}

export async function runInGuest(options: GuestRunOptions): Promise<GuestRunResult> {
  if (options.command.length === 0) throw new Error('runInGuest: empty command');
  const qemu = findInPath('qemu-system-x86_64');
  if (!qemu) throw new Error('qemu-system-x86_64 is not installed: apt-get install qemu-system-x86');
  const kernel = await fetchKernel(options.kernel);
  const modules = resolveModules(kernel.modulesDir, [...BASE_MODULES, ...(options.modules ?? [])]);

  const shares = [...new Set((options.shares ?? [repoRoot]).map((p) => path.resolve(p)))];
  for (const dir of shares) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`runInGuest: share ${dir} is not a directory`);
  }
  const cwd = options.cwd ?? (shares.includes(repoRoot) ? repoRoot : '/');
  const env = { PATH: DEFAULT_PATH, HOME: '/root', TERM: 'dumb', LANG: 'C.UTF-8', ...options.env };

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ntsyncd-guest-'));
  const resultsDir = path.join(tmp, 'results');
  mkdirSync(resultsDir);
  const initrd = path.join(tmp, 'initramfs.cpio');
  writeFileSync(
    initrd,
    buildInitramfs(modules, {
      argv: options.command,
      env,
      cwd,
      shares: shares.map((p, i) => ({ tag: `share${i}`, path: p })),
    }),
  );
  const cmdline = ['console=ttyS0', 'panic=-1', 'rdinit=/init', 'loglevel=4', 'mitigations=off', ...(options.kernelArgs ?? [])].join(' ');
  const args = qemuArgs({
    vmlinux: kernel.vmlinux,
    initrd,
    cpus: options.cpus ?? 2,
    memoryMiB: options.memoryMiB ?? 1024,
    cmdline,
    shares: [
      { tag: 'hostroot', hostPath: '/', readonly: true },
      { tag: 'results', hostPath: resultsDir, readonly: false },
      ...shares.map((p, i) => ({ tag: `share${i}`, hostPath: p, readonly: false })),
    ],
  });

  try {
    for (let attempt = 1; ; attempt++) {
      try {
        return await boot(qemu, args, kernel.release, resultsDir, options);
      } catch (e) {
        if (!(e instanceof GuestError) || e.kind !== 'boot-panic') throw e;
        if (attempt === BOOT_ATTEMPTS) throw new GuestError('boot-panic', `${e.message.split('\n')[0]} (on each of ${BOOT_ATTEMPTS} boots)`, e.console, e.stdout, e.stderr);
        const oops = /\] (Oops[^\n]*|RIP:[^\n]*)/.exec(e.console)?.[1] ?? e.message.split('\n')[0];
        process.stderr.write(`run-in-guest: the ${kernel.release} guest panicked while booting (${oops}); booting again (${attempt + 1} of ${BOOT_ATTEMPTS})\n`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function boot(qemu: string, args: string[], release: string, resultsDir: string, options: GuestRunOptions): Promise<GuestRunResult> {
  const bootTimeoutMs = options.bootTimeoutMs ?? 120_000;
  const timeoutMs = options.timeoutMs ?? 300_000;
  const queueTimeoutMs = options.queueTimeoutMs ?? 30 * 60_000;
  mkdirSync(kernelCacheDir(), { recursive: true });
  const lock = path.join(kernelCacheDir(), '.qemu.lock');

  return new Promise((resolve, reject) => {
    // flock(1) holds the machine-wide qemu lock while qemu runs; its marker on stderr says
    // when the wait is over and the boot clock starts. detached: qemu gets its own process
    // group, so that a timeout kills it and not only flock. setpriv --pdeathsig: if this
    // process dies (a killed test run), flock dies, and with it qemu; an orphaned qemu would
    // hold the lock and stall every later run.
    const child: ChildProcess = spawn(
      'setpriv',
      [
        '--pdeathsig', 'KILL',
        'flock', '-w', String(Math.ceil(queueTimeoutMs / 1000)), lock,
        'sh', '-c', 'echo NTSYNCD-QEMU-LOCKED >&2; exec setpriv --pdeathsig KILL "$@"', 'sh', qemu, ...args,
      ],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let consoleText = '';
    let qemuStderr = '';
    let lockedAt: number | undefined;
    let commandStartedAt: number | undefined;
    let timedOut: GuestErrorKind | undefined;
    let timer: NodeJS.Timeout | undefined;

    const kill = (kind: GuestErrorKind) => {
      timedOut = kind;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const arm = (ms: number, kind: GuestErrorKind) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => kill(kind), ms);
    };
    arm(queueTimeoutMs + 5000, 'queue-timeout');

    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      consoleText += chunk.replace(/\r/g, '');
      if (consoleText.length > MAX_CONSOLE) consoleText = consoleText.slice(-MAX_CONSOLE / 2);
      options.onConsole?.(chunk);
      if (commandStartedAt === undefined && consoleText.includes('NTSYNCD-GUEST-COMMAND-START')) {
        commandStartedAt = Date.now();
        arm(timeoutMs, 'command-timeout');
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      qemuStderr += chunk;
      if (lockedAt === undefined && qemuStderr.includes('NTSYNCD-QEMU-LOCKED')) {
        lockedAt = Date.now();
        qemuStderr = qemuStderr.replace('NTSYNCD-QEMU-LOCKED\n', '');
        arm(bootTimeoutMs, 'boot-timeout');
      }
    });
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(new Error(`cannot start setpriv/flock/qemu (setpriv and flock are in util-linux): ${e.message}`));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const endedAt = Date.now();
      const readResult = (name: string) => {
        try {
          return readFileSync(path.join(resultsDir, name), 'utf8');
        } catch {
          return undefined;
        }
      };
      const stdout = readResult('stdout') ?? '';
      const stderr = readResult('stderr') ?? '';
      const status = readResult('status');
      const fail = (kind: GuestErrorKind, message: string) => reject(new GuestError(kind, message, consoleText, stdout, stderr));

      if (timedOut === 'queue-timeout' || (lockedAt === undefined && code === 1 && !qemuStderr.trim())) {
        return fail('queue-timeout', `another qemu held ${lock} for longer than ${queueTimeoutMs} ms`);
      }
      if (lockedAt === undefined) {
        return fail('guest-died', `qemu never started (exit ${signal ?? code}; setpriv and flock come with util-linux): ${qemuStderr.trim()}`);
      }
      if (timedOut === 'boot-timeout') {
        return fail('boot-timeout', `the guest did not reach the command within ${bootTimeoutMs} ms (killed)`);
      }
      if (timedOut === 'command-timeout') {
        return fail('command-timeout', `the command ${JSON.stringify(options.command)} did not end within ${timeoutMs} ms (killed); partial stdout:\n${stdout.slice(-4000)}\npartial stderr:\n${stderr.slice(-4000)}`);
      }
      const initError = /NTSYNCD-GUEST-ERROR: [^\n]*/.exec(consoleText);
      if (initError) return fail('init-failed', `the guest's init failed before the command: ${initError[0]}`);
      const panic = /Kernel panic - not syncing[^\n]*/.exec(consoleText);
      if (status === undefined && panic && commandStartedAt === undefined) return fail('boot-panic', `the guest kernel panicked while booting: ${panic[0]}`);
      if (status === undefined && panic) return fail('panic', `the guest kernel panicked: ${panic[0]}`);
      if (status === undefined || commandStartedAt === undefined) {
        const where = commandStartedAt === undefined ? 'before reaching the command' : 'while the command ran';
        return fail('guest-died', `qemu exited (${signal ?? `status ${code}`}) ${where}; qemu said: ${qemuStderr.trim() || '(nothing)'}`);
      }
      const uptimeAtStart = /NTSYNCD-GUEST-COMMAND-START ([\d.]+)/.exec(consoleText);
      const ran = /NTSYNCD-GUEST-COMMAND-END [\d.]+ [^\n]*\(ran ([\d.]+) s\)/.exec(consoleText);
      resolve({
        ...parseStatus(status),
        stdout,
        stderr,
        console: consoleText,
        kernelRelease: release,
        timings: {
          bootToCommandMs: commandStartedAt - lockedAt,
          guestUptimeAtCommandS: uptimeAtStart ? Number(uptimeAtStart[1]) : NaN,
          commandS: ran ? Number(ran[1]) : NaN,
          totalMs: endedAt - lockedAt,
        },
      });
    });
  });
}
