// npm run bench: how close ntsyncd sits to the physical floor of a userspace device (issue 7).
//
// Builds the C programs (bench/floor, bench/clients) with gcc -O2 into .cache/bench/, mounts the
// floor daemon on a temporary directory, starts ntsyncd on another (when it has been built), and
// runs the same C clients against both, interleaved, plus the eventfd/futex reference rows. Writes
// bench/results/latest.{md,json,svg} and prints the table. Needs root (it mounts FUSE).
//
//   node dist/bench/run.js [--quick] [--iters N] [--repeat N] [--thread-ms N] [--objects N]
//                          [--only key,key] [--no-ntsyncd] [--no-objects] [--no-pin] [--out DIR] [--no-write]
//                          [--kernel] [--kernel-device PATH] [--emit-json] [--title TEXT]
//
// --kernel-device PATH adds the kernel driver at PATH as a third implementation (clients use it
//   directly, no launcher). This is what runs inside the qemu guest.
// --kernel runs the whole benchmark again inside the 7.2 qemu guest of test/kernels (see
//   kernelHook()) with --kernel-device /dev/ntsync --emit-json, and adds its results as a second
//   section: guest timings are compared only with each other (floor, ntsyncd and the kernel in the
//   same guest).
// --emit-json prints the results between BENCH-JSON-BEGIN/END lines (for the guest hook).
//
// A benchmark reports what it measured: missed targets never make it fail. It exits non-zero
// only when it could not measure at all (no root, no /dev/fuse, no gcc, the floor did not mount).
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { ImplName, REFERENCE_CASES, RunSpec, runSpecs, Sample, Settings } from './lib/cases';
import { BenchResults, evaluate, ImplResult, markdown, MemorySample, Section, svg } from './lib/report';

// ---- options ----------------------------------------------------------------------------------

interface Options extends Settings {
  repeat: number;
  runObjects: boolean;
  pin: boolean;
  only: Set<string> | null;
  ntsyncd: boolean;
  out: string;
  write: boolean;
  kernel: boolean;
  kernelDevice: string | null;
  emitJson: boolean;
  title: string | null;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    // Many short repeats, interleaved between implementations, best median kept: on a shared,
    // busy machine a quiet window is more likely to be caught by each implementation.
    iters: 10000,
    warmup: 500,
    threadMs: 400,
    objects: 100000,
    repeat: 5,
    runObjects: true,
    pin: true,
    only: null,
    ntsyncd: true,
    out: '',
    write: true,
    kernel: false,
    kernelDevice: null,
    emitJson: false,
    title: null,
  };
  const num = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (!v || !Number.isInteger(n) || n < 1) usage(`${flag} needs a positive integer`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    switch (a) {
      case '--quick':
        o.iters = 2000;
        o.warmup = 200;
        o.threadMs = 200;
        o.repeat = 1;
        break;
      case '--iters': o.iters = num(a, v); i++; break;
      case '--warmup': o.warmup = num(a, v); i++; break;
      case '--repeat': o.repeat = num(a, v); i++; break;
      case '--thread-ms': o.threadMs = num(a, v); i++; break;
      case '--objects': o.objects = num(a, v); i++; break;
      case '--only': o.only = new Set((v ?? '').split(',').filter(Boolean)); i++; break;
      case '--no-ntsyncd': o.ntsyncd = false; break;
      case '--no-objects': o.runObjects = false; break;
      case '--no-pin': o.pin = false; break;
      case '--out': o.out = v ?? usage('--out needs a directory'); i++; break;
      case '--no-write': o.write = false; break;
      case '--kernel': o.kernel = true; break;
      case '--kernel-device': o.kernelDevice = v ?? usage('--kernel-device needs a path'); i++; break;
      case '--emit-json': o.emitJson = true; break;
      case '--title': o.title = v ?? usage('--title needs text'); i++; break;
      case '-h':
      case '--help':
        usage();
        break;
      default:
        usage(`unknown option ${a}`);
    }
  }
  return o;
}

function usage(msg?: string): never {
  if (msg) console.error(`bench: ${msg}`);
  console.error(
    'usage: node dist/bench/run.js [--quick] [--iters N] [--repeat N] [--thread-ms N] [--objects N] [--only k1,k2]\n' +
      '                              [--no-ntsyncd] [--no-objects] [--no-pin] [--out DIR] [--no-write] [--kernel] [--kernel-device PATH] [--emit-json]',
  );
  process.exit(msg ? 2 : 0);
}

// ---- paths ------------------------------------------------------------------------------------

function findRoot(): string {
  let d = __dirname;
  for (;;) {
    const p = path.join(d, 'package.json');
    if (fs.existsSync(p)) {
      try {
        if (JSON.parse(fs.readFileSync(p, 'utf8')).name === 'ntsyncd') return d;
      } catch {
        /* keep looking */
      }
    }
    const up = path.dirname(d);
    if (up === d) throw new Error('bench: cannot find the repository root (package.json of ntsyncd)');
    d = up;
  }
}

const ROOT = findRoot();
const BUILD = path.join(ROOT, '.cache', 'bench');
const BIN = {
  floor: path.join(BUILD, 'floor-fuse'),
  ntbench: path.join(BUILD, 'ntbench'),
  reference: path.join(BUILD, 'reference'),
};
const NTSYNCD_JS = path.join(ROOT, 'dist', 'src', 'cli', 'ntsyncd.js');
const NTSYNC_RUN_JS = path.join(ROOT, 'dist', 'src', 'cli', 'ntsync-run.js');

// ---- small helpers ------------------------------------------------------------------------------

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function newerThan(target: string, sources: string[]): boolean {
  try {
    const t = fs.statSync(target).mtimeMs;
    return sources.every((s) => fs.statSync(s).mtimeMs <= t);
  } catch {
    return false;
  }
}

function buildC(): void {
  fs.mkdirSync(BUILD, { recursive: true });
  const headers = ['bench/clients/ntsync-abi.h', 'bench/clients/bench-common.h'].map((h) => path.join(ROOT, h));
  const jobs: [string, string][] = [
    [BIN.floor, 'bench/floor/floor-fuse.c'],
    [BIN.ntbench, 'bench/clients/ntbench.c'],
    [BIN.reference, 'bench/clients/reference.c'],
  ];
  for (const [out, src] of jobs) {
    const srcPath = path.join(ROOT, src);
    if (newerThan(out, [srcPath, ...headers])) continue;
    const r = spawnSync('gcc', ['-O2', '-Wall', '-Wextra', '-pthread', '-o', out, srcPath], { encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      throw new Error(`gcc ${src} failed: ${r.error?.message ?? r.stderr}`);
    }
  }
}

function mountsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = line.split(' ')[4];
    if (mp && (mp === dir || mp.startsWith(dir + '/'))) out.push(mp.replace(/\\040/g, ' '));
  }
  return out.sort((a, b) => b.length - a.length);
}

function readStatusKb(pid: number, field: string): number | null {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

function parseSamples(stdout: string): Sample[] {
  const out: Sample[] = [];
  for (const line of stdout.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      out.push(JSON.parse(t) as Sample);
    } catch {
      /* not ours */
    }
  }
  return out;
}

/** Processes and mounts to clean up on every exit path. */
const cleanup = {
  procs: new Set<ChildProcess>(),
  tmp: null as string | null,
};

async function stopProc(p: ChildProcess, graceMs = 3000): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const done = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGTERM');
  const timer = sleep(graceMs).then(() => {
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  });
  await Promise.race([done, timer]);
  await Promise.race([done, sleep(1000)]);
  cleanup.procs.delete(p);
}

function cleanupSync(): void {
  for (const p of cleanup.procs) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (cleanup.tmp) {
    for (const m of mountsUnder(cleanup.tmp)) spawnSync('umount', ['-l', m]);
    try {
      fs.rmSync(cleanup.tmp, { recursive: true, force: true });
    } catch {
      /* a lazily detached mount point may still be busy */
    }
    cleanup.tmp = null;
  }
}

// ---- the floor ----------------------------------------------------------------------------------

interface Daemon {
  proc: ChildProcess;
  pid: number;
  device: string;
  logTail: () => string;
}

function tail(buf: string[], n = 20): string {
  return buf.join('').split('\n').slice(-n).join('\n');
}

async function startFloor(tmp: string): Promise<Daemon> {
  const mnt = path.join(tmp, 'floor-mnt');
  fs.mkdirSync(mnt);
  const proc = spawn(BIN.floor, [mnt], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanup.procs.add(proc);
  const errs: string[] = [];
  proc.stderr?.on('data', (d: Buffer) => errs.push(d.toString()));
  const ready = await new Promise<boolean>((resolve) => {
    const rl = readline.createInterface({ input: proc.stdout! });
    const timer = setTimeout(() => resolve(false), 5000);
    rl.on('line', (l) => {
      if (l.startsWith('ready')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  const device = path.join(mnt, 'floor');
  if (!ready || !fs.existsSync(device)) {
    await stopProc(proc);
    throw new Error(`the floor daemon did not mount: ${tail(errs)}`);
  }
  return { proc, pid: proc.pid!, device, logTail: () => tail(errs) };
}

// ---- ntsyncd and the launcher --------------------------------------------------------------------

interface Ntsyncd extends Daemon {
  mount: string;
  /** ntsync-run is not built: clients register as supervisors and create objects themselves. */
  direct: boolean;
}

/** The command line that runs the client `argv` on ntsyncd: under the launcher, or direct. */
function onNtsyncd(d: Ntsyncd, argv: string[]): string[] {
  if (d.direct) return [...argv, '--device', d.device, '--supervise', d.mount];
  const extra = (process.env.NTSYNC_BENCH_LAUNCHER_ARGS ?? '').split(/\s+/).filter(Boolean);
  return [process.execPath, NTSYNC_RUN_JS, '--mount', d.mount, '--device', d.device, ...extra, '--', ...argv, '--device', d.device];
}

async function startNtsyncd(tmp: string): Promise<Ntsyncd | string> {
  if (!fs.existsSync(NTSYNCD_JS)) {
    return fs.existsSync(path.join(ROOT, 'src', 'cli', 'ntsyncd.ts'))
      ? `${path.relative(ROOT, NTSYNCD_JS)} is not built (npx tsc -p tsconfig.build.json)`
      : 'src/cli/ntsyncd.ts does not exist yet';
  }
  const direct = !fs.existsSync(NTSYNC_RUN_JS);
  const device = path.join(tmp, 'ntsync');
  const mount = path.join(tmp, 'ntsync-mnt');
  const words = (v: string | undefined) => (v ?? '').split(/\s+/).filter(Boolean);
  const nodeArgs = words(process.env.NTSYNC_BENCH_DAEMON_NODE_ARGS); // e.g. --cpu-prof --cpu-prof-dir=/tmp/prof
  const extra = words(process.env.NTSYNC_BENCH_DAEMON_ARGS);
  const proc = spawn(process.execPath, [...nodeArgs, NTSYNCD_JS, '--device', device, '--mount', mount, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanup.procs.add(proc);
  const out: string[] = [];
  proc.stdout?.on('data', (d: Buffer) => out.push(d.toString()));
  proc.stderr?.on('data', (d: Buffer) => out.push(d.toString()));
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      return `ntsyncd exited (${proc.exitCode ?? proc.signalCode}) during start-up: ${tail(out, 8)}`;
    }
    // "ntsyncd: info: ready: serving ..." (src/cuse/daemon.ts), and the device is there.
    if (/^ntsyncd: info: ready: /m.test(out.join('')) && fs.existsSync(device)) {
      return { proc, pid: proc.pid!, device, mount, direct, logTail: () => tail(out) };
    }
    await sleep(20);
  }
  await stopProc(proc);
  return `ntsyncd did not report ready within 15 s: ${tail(out, 8)}`;
}

// ---- CPU placement -------------------------------------------------------------------------------

/**
 * On a VM, a FUSE round trip costs about 3x more when the daemon is woken on another CPU than on
 * the caller's (an IPI each way), and which one the scheduler picks flips from run to run and from
 * daemon to daemon. For the pairable cases the harness therefore puts the daemons and the client on
 * one CPU (the idlest, sampled from /proc/stat): what is compared is then the work of a round
 * trip, not the scheduler's placement. Blocking and multi-threaded cases run unpinned.
 */
const HAVE_TASKSET = spawnSync('taskset', ['-V'], { encoding: 'utf8' }).status === 0;

function cpuTimes(): number[][] {
  return fs
    .readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .filter((l) => /^cpu\d+ /.test(l))
    .map((l) => l.trim().split(/\s+/).slice(1).map(Number));
}

async function idlestCpu(): Promise<number> {
  const a = cpuTimes();
  await sleep(150);
  const b = cpuTimes();
  let best = 0;
  let bestIdle = -1;
  b.forEach((t, i) => {
    const idle = t[3] + (t[4] ?? 0) - (a[i][3] + (a[i][4] ?? 0));
    if (idle > bestIdle) {
      bestIdle = idle;
      best = i;
    }
  });
  return best;
}

/** Pins every thread of the daemons to `cpu`, or lets them run anywhere again (null). */
function pinDaemons(pids: number[], cpu: number | null): void {
  const list = cpu === null ? `0-${os.cpus().length - 1}` : String(cpu);
  for (const pid of pids) spawnSync('taskset', ['-a', '-p', '-c', list, String(pid)], { stdio: 'ignore' });
}

// ---- running clients ---------------------------------------------------------------------------

interface Target {
  name: ImplName;
  argv: (clientArgs: string[]) => string[];
  daemonPid: number | null;
  alive: () => boolean;
}

/** Runs one case; with `pairFloor`, the client also measures the floor (a second line). */
function runClient(t: Target, spec: RunSpec, pairFloor: string | null, cpu: number | null): { main: Sample; floor: Sample | null } {
  const args = [BIN.ntbench, '--case', spec.clientCase, ...spec.args, ...(pairFloor ? ['--pair-floor', pairFloor] : [])];
  // Pinned: the whole command (the launcher too, and the client it starts) on the daemons' CPU.
  const argv = cpu === null ? t.argv(args) : ['taskset', '-c', String(cpu), ...t.argv(args)];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 180_000, maxBuffer: 16 << 20 });
  const samples = parseSamples(r.stdout ?? '').filter((x) => x.case === spec.clientCase);
  const main = samples.find((x) => x.paired !== 'floor');
  const floor = samples.find((x) => x.paired === 'floor') ?? null;
  if (main && !main.error && (!pairFloor || floor)) return { main, floor };
  const why =
    main?.error ??
    (r.error
      ? r.error.message
      : `exit ${r.status ?? r.signal}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' / ') || 'no output'}`);
  return { main: { case: spec.clientCase, error: why }, floor: null };
}

/** The live-object case: the client creates N objects, we read the daemon's RSS, then let it go. */
async function runObjects(t: Target, count: number): Promise<MemorySample | string> {
  if (t.daemonPid === null) return 'no daemon process';
  const baseline = readStatusKb(t.daemonPid, 'VmRSS');
  const argv = t.argv([BIN.ntbench, '--case', 'objects', '--count', String(count)]);
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  cleanup.procs.add(child);
  child.stdin?.on('error', () => undefined); // EPIPE when the client died first
  const errs: string[] = [];
  child.stderr?.on('data', (d: Buffer) => errs.push(d.toString()));
  const result = await new Promise<MemorySample | string>((resolve) => {
    const rl = readline.createInterface({ input: child.stdout! });
    const timer = setTimeout(() => resolve(`no "ready" within 300 s`), 300_000);
    rl.on('line', (line) => {
      const [s] = parseSamples(line);
      if (!s) return;
      if (s.error) {
        clearTimeout(timer);
        resolve(s.error);
      } else if (s.case === 'objects' && s.ready) {
        clearTimeout(timer);
        // give the daemon a moment to finish the replies it owes and settle
        setTimeout(() => {
          const rss = readStatusKb(t.daemonPid as number, 'VmRSS');
          const hwm = readStatusKb(t.daemonPid as number, 'VmHWM');
          if (rss === null || baseline === null) resolve('cannot read the daemon\'s /proc/<pid>/status');
          else
            resolve({
              baselineBytes: baseline,
              rssBytes: rss,
              hwmBytes: hwm ?? rss,
              created: Number(s.created),
              createNsMean: Number(s.create_ns_mean),
            });
        }, 300);
      }
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      resolve(`client exited (${code ?? sig}) before it was ready: ${tail(errs, 3)}`);
    });
  });
  child.stdin?.end('\n');
  await Promise.race([new Promise((r) => child.once('exit', r)), sleep(60_000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  cleanup.procs.delete(child);
  return result;
}

function runReference(key: string, iters: number, warmup: number): Sample {
  const r = spawnSync(BIN.reference, ['--case', key, '--iters', String(Math.max(1, Math.round(iters / 2))), '--warmup', String(warmup)], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  const s = parseSamples(r.stdout ?? '').find((x) => x.case === key);
  return s ?? { case: key, error: r.error?.message ?? `exit ${r.status ?? r.signal}: ${(r.stderr ?? '').trim()}` };
}

// ---- one complete measurement (host, or inside the guest) -----------------------------------------

function newImpl(name: ImplName, label: string): ImplResult {
  return { name, label, available: true, runs: {}, repeats: {}, pairedFloor: {}, errors: {} };
}

async function measure(opts: Options, title: string, note?: string): Promise<Section> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ntsync-bench-'));
  cleanup.tmp = tmp;
  const floorImpl = newImpl('floor', 'floor');
  const ntsImpl = newImpl('ntsyncd', 'ntsyncd');
  const impls: ImplResult[] = [floorImpl, ntsImpl];
  const targets: { impl: ImplResult; target: Target }[] = [];
  let floor: Daemon | null = null;
  let nts: Ntsyncd | null = null;
  try {
    floor = await startFloor(tmp);
    const floorDev = floor.device;
    const floorProc = floor.proc;
    targets.push({
      impl: floorImpl,
      target: {
        name: 'floor',
        argv: (a) => [...a, '--device', floorDev, '--floor'],
        daemonPid: floor.pid,
        alive: () => floorProc.exitCode === null && floorProc.signalCode === null,
      },
    });
    log(`floor mounted at ${path.dirname(floorDev)} (pid ${floor.pid})`);

    if (!opts.ntsyncd) {
      ntsImpl.available = false;
      ntsImpl.reason = 'skipped (--no-ntsyncd)';
    } else {
      const r = await startNtsyncd(tmp);
      if (typeof r === 'string') {
        ntsImpl.available = false;
        ntsImpl.reason = r;
        log(`ntsyncd not available: ${r}`);
      } else {
        nts = r;
        const d = r;
        if (d.direct) {
          ntsImpl.label = 'ntsyncd*';
          ntsImpl.direct = true;
          ntsImpl.reason = 'ntsync-run is not built: objects made by the client through the control ioctl (no seccomp, no ADDFD)';
        }
        targets.push({
          impl: ntsImpl,
          target: {
            name: 'ntsyncd',
            argv: (a) => onNtsyncd(d, a),
            daemonPid: d.pid,
            alive: () => d.proc.exitCode === null && d.proc.signalCode === null,
          },
        });
        log(`ntsyncd serving ${d.device}, objects at ${d.mount} (pid ${d.pid})${d.direct ? '; no ntsync-run: clients create objects through the control ioctl' : ''}`);
      }
    }

    if (opts.kernelDevice) {
      const kImpl = newImpl('kernel', 'kernel');
      impls.push(kImpl);
      const dev = opts.kernelDevice;
      let st: fs.Stats | null = null;
      try {
        st = fs.statSync(dev);
      } catch {
        /* missing */
      }
      if (!st || !st.isCharacterDevice()) {
        kImpl.available = false;
        kImpl.reason = `${dev} is not a character device`;
      } else {
        targets.push({ impl: kImpl, target: { name: 'kernel', argv: (a) => [...a, '--device', dev], daemonPid: null, alive: () => true } });
      }
    }

    // The cases, each implementation in turn, repeated: the best of the repeats is kept. The runs
    // of one group (1, 2 and 4 threads) are repeated together so that they can be paired.
    const specs = runSpecs(opts).filter((s) => !opts.only || opts.only.has(s.key) || opts.only.has(s.clientCase));
    const groups = [...new Set(specs.map((s) => s.group))].map((g) => specs.filter((s) => s.group === g));
    const better = (a: Sample, b: Sample | undefined) =>
      !b ||
      (a.ops_per_s_total !== undefined
        ? a.ops_per_s_total > (b.ops_per_s_total ?? 0)
        : (a.median_ns ?? Infinity) < (b.median_ns ?? Infinity));
    const daemonPids = targets.map((t) => t.target.daemonPid).filter((p): p is number => p !== null);
    const canPin = opts.pin && HAVE_TASKSET && os.cpus().length > 1;
    for (const group of groups) {
      let cpu: number | null = null;
      if (canPin && group.every((s) => s.pairable)) {
        cpu = await idlestCpu();
        pinDaemons(daemonPids, cpu);
      }
      for (let rep = 0; rep < opts.repeat; rep++) {
        for (const spec of group) {
          // Pairable cases: each device's client measures the floor itself, interleaved; the
          // floor's own column comes from the first of those (ntsyncd's when it runs).
          const paired = spec.pairable ? targets.filter((t) => t.impl.name !== 'floor') : [];
          for (const { impl, target } of targets) {
            if (!spec.onFloor && impl.name === 'floor') continue;
            if (impl.name === 'floor' && paired.length) continue;
            const reps = (impl.repeats[spec.key] ??= []);
            const pairReps = paired.length ? (impl.pairedFloor[spec.key] ??= []) : null;
            if (!target.alive()) {
              impl.errors[spec.key] = `${impl.name} daemon died`;
              reps.push(null);
              pairReps?.push(null);
              continue;
            }
            const { main: s, floor: f } = runClient(target, spec, pairReps ? floorDev : null, cpu);
            if (cpu !== null) s.cpu = cpu;
            if (s.error) {
              impl.errors[spec.key] = s.error;
              reps.push(null);
              pairReps?.push(null);
              log(`${impl.name} ${spec.key}: ${s.error}`);
              continue;
            }
            reps.push(s);
            if (better(s, impl.runs[spec.key])) impl.runs[spec.key] = s;
            if (pairReps && f) {
              pairReps.push(f);
              if (paired[0].impl === impl) {
                (floorImpl.repeats[spec.key] ??= [])[rep] = f;
                if (better(f, floorImpl.runs[spec.key])) floorImpl.runs[spec.key] = f;
              }
            }
          }
        }
      }
      if (cpu !== null) pinDaemons(daemonPids, null);
      for (const spec of group) {
        const line = targets
          .map(({ impl }) => {
            const s = impl.runs[spec.key];
            if (!s) return `${impl.name} —`;
            const tp = s.ops_per_s_total ? ` ${(s.ops_per_s_total / 1000).toFixed(0)}k ops/s` : '';
            return `${impl.name} ${((s.median_ns ?? 0) / 1000).toFixed(2)}/${((s.p99_ns ?? 0) / 1000).toFixed(2)} µs${tp}`;
          })
          .join(', ');
        log(`${spec.key}: ${line}`);
      }
    }

    // 100,000 live objects: the daemon's RSS (ntsyncd only; the floor has no objects).
    if (opts.runObjects && (!opts.only || opts.only.has('objects'))) {
      floorImpl.memoryNote = 'n/a';
      for (const { impl, target } of targets) {
        if (impl.name === 'floor') continue;
        if (impl.name === 'kernel') {
          impl.memoryNote = 'n/a (kernel memory)';
          continue;
        }
        const m = await runObjects(target, opts.objects);
        if (typeof m === 'string') {
          impl.memoryNote = 'error';
          impl.errors.objects = m;
          log(`${impl.name} objects: ${m}`);
        } else {
          impl.memory = m;
          log(
            `${impl.name} objects: ${m.created} live, daemon RSS ${(m.rssBytes / 1048576).toFixed(1)} MB ` +
              `(from ${(m.baselineBytes / 1048576).toFixed(1)} MB; HWM ${(m.hwmBytes / 1048576).toFixed(1)} MB), ` +
              `${(m.createNsMean / 1000).toFixed(1)} µs wall time per object`,
          );
        }
      }
    }

    // Reference rows.
    const reference: Record<string, Sample> = {};
    for (const c of REFERENCE_CASES) {
      if (opts.only && !opts.only.has(c.key) && !opts.only.has('reference')) continue;
      let best: Sample | null = null;
      for (let rep = 0; rep < opts.repeat; rep++) {
        const s = runReference(c.key, opts.iters, opts.warmup);
        if (!best || best.error || (!s.error && (s.median_ns ?? Infinity) < (best.median_ns ?? Infinity))) best = s;
      }
      if (best) {
        reference[c.key] = best;
        log(`${c.key}: ${best.error ?? `${((best.median_ns ?? 0) / 1000).toFixed(2)}/${((best.p99_ns ?? 0) / 1000).toFixed(2)} µs`}`);
      }
    }
    const section: Section = { title, impls, reference };
    if (note) section.note = note;
    return section;
  } finally {
    if (nts) await stopProc(nts.proc);
    if (floor) await stopProc(floor.proc);
    cleanupSync();
  }
}

// ---- the kernel hook --------------------------------------------------------------------------------

const GUEST_BEGIN = 'BENCH-JSON-BEGIN';
const GUEST_END = 'BENCH-JSON-END';

/** What test/kernels/qemu.ts exports (another engineer's harness), as far as this file needs it. */
interface GuestApi {
  runInGuest(options: {
    kernel: '7.2';
    command: string[];
    modules?: string[];
    cpus?: number;
    memoryMiB?: number;
    timeoutMs?: number;
    cwd?: string;
  }): Promise<{ exitCode: number | null; signal: number | null; stdout: string; stderr: string; kernelRelease: string }>;
}

/**
 * Loads test/kernels/qemu.ts at run time (bundled with esbuild into .cache/bench/, so that the
 * benchmark's own build never depends on the test tree), or says why it cannot.
 */
function loadGuestApi(): GuestApi | string {
  const src = path.join(ROOT, 'test', 'kernels', 'qemu.ts');
  if (!fs.existsSync(src)) return 'test/kernels/qemu.ts does not exist';
  const out = path.join(BUILD, 'guest.js');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require('esbuild') as {
      buildSync(o: Record<string, unknown>): unknown;
    };
    esbuild.buildSync({
      stdin: { contents: "export { runInGuest } from './test/kernels/qemu';", resolveDir: ROOT, loader: 'ts', sourcefile: 'guest-entry.ts' },
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: ['koffi', 'esbuild'],
      outfile: out,
      logLevel: 'error',
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const api = require(out) as Partial<GuestApi>;
    if (typeof api.runInGuest !== 'function') return 'test/kernels/qemu.ts has no runInGuest()';
    return api as GuestApi;
  } catch (e) {
    return `cannot load test/kernels/qemu.ts: ${(e as Error).message.split('\n')[0]}`;
  }
}

/**
 * --kernel: runs this benchmark inside the sid 7.2 guest of test/kernels (runInGuest: host root
 * read-only under an overlay, the working tree shared read-write, root inside), with the kernel
 * driver loaded and one vCPU (an idle second vCPU can wake a tick late), as
 *   node dist/bench/run.js --kernel-device /dev/ntsync --emit-json --no-write [...]
 * and returns its first section. The floor and ntsyncd run in the same guest: guest timings are
 * compared only with each other. Fewer iterations by default (TCG is slow), no live-object case
 * (the daemon's memory does not depend on the kernel).
 */
async function kernelHook(passArgs: string[]): Promise<Section | string> {
  const api = loadGuestApi();
  if (typeof api === 'string') return api;
  const has = (flag: string) => passArgs.includes(flag);
  const guestDefaults = [
    ...(has('--iters') || has('--quick') ? [] : ['--iters', '2000']),
    ...(has('--repeat') || has('--quick') ? [] : ['--repeat', '2']),
    ...(has('--thread-ms') ? [] : ['--thread-ms', '300']),
    ...(has('--objects') ? [] : ['--no-objects']),
  ];
  const command = [
    process.execPath,
    path.join(__dirname, 'run.js'),
    '--kernel-device',
    '/dev/ntsync',
    '--emit-json',
    '--no-write',
    ...guestDefaults,
    ...passArgs,
  ];
  log(`booting the 7.2 guest (1 vCPU, TCG) for: ${command.slice(1).map((a) => path.relative(ROOT, a) || a).join(' ')}`);
  let r;
  try {
    r = await api.runInGuest({ kernel: '7.2', command, modules: ['ntsync', 'fuse'], cpus: 1, memoryMiB: 2048, timeoutMs: 3 * 3600_000, cwd: ROOT });
  } catch (e) {
    return `the guest run failed: ${(e as Error).message.split('\n').slice(0, 3).join(' / ')}`;
  }
  process.stderr.write(r.stderr.split('\n').map((l) => (l ? `  guest: ${l}` : l)).join('\n'));
  const out = r.stdout;
  const a = out.indexOf(GUEST_BEGIN);
  const b = out.indexOf(GUEST_END);
  if (a < 0 || b < a) return `the guest run produced no results (exit ${r.exitCode ?? 'signal ' + r.signal})`;
  try {
    const inner = JSON.parse(out.slice(a + GUEST_BEGIN.length, b)) as BenchResults;
    const s = inner.sections[0];
    s.title = `In the qemu guest (Linux ${inner.host.kernel}, ${inner.host.cpus} vCPU, TCG): floor, ntsyncd and the kernel driver`;
    s.note =
      'Guest timings compare only with each other: context switches under TCG emulation cost far more than on the host. ' +
      `Settings in the guest: ${JSON.stringify(inner.settings)}.`;
    return s;
  } catch (e) {
    return `cannot parse the guest's results: ${(e as Error).message}`;
  }
}

// ---- main -----------------------------------------------------------------------------------------

function gitCommit(): string {
  const r = spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  const dirty = spawnSync('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' });
  return (r.stdout ?? '').trim() + ((dirty.stdout ?? '').trim() ? ' (+ uncommitted changes)' : '') || 'unknown';
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const opts = parseArgs(argv);
  if (process.getuid && process.getuid() !== 0) {
    console.error('bench: needs root (it mounts FUSE filesystems); nothing measured');
    return 1;
  }
  if (!fs.existsSync('/dev/fuse')) {
    console.error('bench: /dev/fuse is missing (modprobe fuse); nothing measured');
    return 1;
  }
  try {
    buildC();
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    return 1;
  }
  const onSignal = (sig: NodeJS.Signals) => {
    cleanupSync();
    process.kill(process.pid, sig);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, onSignal);
  process.once('exit', cleanupSync);

  const loadBefore = os.loadavg();
  const results: BenchResults = {
    version: 1,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    commit: gitCommit(),
    host: {
      kernel: os.release(),
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model.trim() ?? '?',
      node: process.version,
      loadBefore,
      loadAfter: [],
    },
    settings: {
      iters: opts.iters,
      warmup: opts.warmup,
      repeat: opts.repeat,
      threadMs: opts.threadMs,
      objects: opts.objects,
      pinned: opts.pin && HAVE_TASKSET && os.cpus().length > 1,
      only: opts.only ? [...opts.only] : null,
    },
    sections: [],
  };
  let section: Section;
  try {
    section = await measure(
      opts,
      opts.title ?? (opts.kernelDevice ? `Linux ${os.release()}: floor, ntsyncd and the kernel driver` : `This machine (Linux ${os.release()}): ntsyncd against the floor`),
      loadBefore[0] > 0.5 * os.cpus().length
        ? `Measured on a busy machine (load average ${loadBefore[0].toFixed(2)} on ${os.cpus().length} CPUs): expect noise, especially in p99 and in the blocking cases.`
        : undefined,
    );
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    return 1;
  }
  results.sections.push(section);

  if (opts.kernel) {
    const pass = argv.filter((a) => a !== '--kernel' && a !== '--emit-json' && a !== '--no-write');
    const k = await kernelHook(pass);
    if (typeof k === 'string') {
      log(`kernel: not available: ${k}`);
      results.sections.push({
        title: 'Kernel driver (qemu guest)',
        note: `Not available: ${k}`,
        impls: [{ ...newImpl('floor', 'floor'), available: false, reason: k }],
        reference: {},
      });
    } else {
      results.sections.push(k);
    }
  }
  results.host.loadAfter = os.loadavg();
  const tables = results.sections.map(evaluate);
  results.table = tables;
  const md = markdown(results, tables);
  process.stdout.write(md + '\n');
  if (opts.emitJson) process.stdout.write(`${GUEST_BEGIN}\n${JSON.stringify(results)}\n${GUEST_END}\n`);
  if (opts.write) {
    const out = opts.out ? path.resolve(opts.out) : path.join(ROOT, 'bench', 'results');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'latest.md'), md + '\n');
    fs.writeFileSync(path.join(out, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
    fs.writeFileSync(path.join(out, 'latest.svg'), svg(results, tables));
    log(`wrote ${path.relative(process.cwd(), path.join(out, 'latest.md'))}, latest.json, latest.svg`);
  }
  return 0;
}

main().then(
  (code) => {
    cleanupSync();
    process.exitCode = code;
  },
  (e: unknown) => {
    cleanupSync();
    console.error(e);
    process.exitCode = 1;
  },
);
