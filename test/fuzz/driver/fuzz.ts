// One differential fuzz run: the same jobs on the kernel driver (7.2 guest) and on ntsyncd
// (host, under ntsync-run), at the same time, then a line-by-line comparison, then shrinking
// of the first diverging sequences to minimal reproductions.
import { relative } from 'node:path';
import { repoRoot } from '../../kernels/kernel-cache';
import { buildClient } from './build';
import { KNOWN_DIVERGENCES } from './known-divergences';
import { commandLine, Job, opList, splitJobs } from './jobs';
import { shrink } from './shrink';
import { KernelRun, NtsyncdSide, runOnKernel, SideRun } from './sides';
import { compareTraces, countOps, Divergence, parseTrace, SequenceTrace } from './trace';

export interface FuzzOptions {
  seed: number;
  count: number;
  ops: number;
  /** Run apart from the range and reported on their own (the known divergences' cases). */
  extraJobs?: Job[];
  /** Leave the known divergences out of the range (default true). */
  skipKnown?: boolean;
  /** How many diverging sequences to shrink (default 1; each costs a few guest boots). */
  shrink?: number;
  cpus?: number;
  log?: (line: string) => void;
}

export interface Reproduction {
  divergence: Divergence;
  /** The minimal operation list, or undefined if the divergence did not happen again. */
  only: string | undefined;
  rounds: number;
  candidatesTried: number;
  kernelCommand: string;
  ntsyncdCommand: string;
  /** Both traces of the minimal sequence, merged: ' ' same, '-' kernel only, '+' ntsyncd only. */
  diff: string[];
}

export interface JobResult {
  job: Job;
  sequences: number;
  ops: number;
  divergences: Divergence[];
  /** The kernel's trace of the job (kept for the extra jobs only). */
  kernelTrace?: string[];
}

export interface FuzzResult {
  range: JobResult;
  extra: JobResult[];
  reproductions: Reproduction[];
  kernel: Omit<KernelRun, 'output' | 'stderr'>;
  ntsyncdSeconds: number;
  wallSeconds: number;
  report: string;
}

interface BothSides {
  kernel: KernelRun;
  ntsyncd: SideRun;
  /** Per job: the kernel's and ntsyncd's sequences. */
  perJob: { kernel: SequenceTrace[]; ntsyncd: SequenceTrace[] }[];
}

async function runBoth(client: string, side: NtsyncdSide, jobs: Job[], cpus: number | undefined): Promise<BothSides> {
  const [kernel, ntsyncd] = await Promise.all([runOnKernel(client, jobs, { cpus }), side.run(client, jobs)]);
  const k = splitJobs(kernel.output, jobs.length);
  const u = splitJobs(ntsyncd.output, jobs.length);
  return { kernel, ntsyncd, perJob: jobs.map((_, i) => ({ kernel: parseTrace(k[i]!), ntsyncd: parseTrace(u[i]!) })) };
}

function mergedDiff(kernel: readonly string[], ntsyncd: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.max(kernel.length, ntsyncd.length); i++) {
    if (kernel[i] === ntsyncd[i]) out.push(`  ${kernel[i]}`);
    else {
      if (kernel[i] !== undefined) out.push(`- ${kernel[i]}`);
      if (ntsyncd[i] !== undefined) out.push(`+ ${ntsyncd[i]}`);
    }
  }
  return out;
}

async function reproduce(client: string, side: NtsyncdSide, d: Divergence, skipKnown: string[], cpus: number | undefined, log: (l: string) => void): Promise<Reproduction> {
  const jobFor = (ops: number[]): Job => ({ seed: d.seed, count: 1, ops: d.ops, only: opList(ops), ...(skipKnown.length ? { skipKnown } : {}) });
  // Every candidate's traces, by op list: the final one is among them.
  const seen = new Map<string, { kernel: string[]; ntsyncd: string[] }>();
  const result = await shrink(d.ops, d.op, async (candidates) => {
    log(`shrinking seed ${d.seed}: ${candidates.length} candidates of ${candidates[candidates.length - 1]!.length} to ${candidates[0]!.length} operations`);
    const jobs = candidates.map(jobFor);
    const both = await runBoth(client, side, jobs, cpus);
    return both.perJob.map((p, i) => {
      seen.set(jobs[i]!.only!, { kernel: p.kernel[0]?.lines ?? [], ntsyncd: p.ntsyncd[0]?.lines ?? [] });
      return compareTraces(p.kernel, p.ntsyncd).length > 0;
    });
  });
  const job = result.ops ? jobFor(result.ops) : undefined;
  const traces = job ? seen.get(job.only!) : undefined;
  const shown = relative(repoRoot, client); // both commands run from the working tree
  return {
    divergence: d,
    only: job?.only,
    rounds: result.rounds,
    candidatesTried: result.candidatesTried,
    kernelCommand: job ? `scripts/kernels/run-in-guest.sh --module ntsync --cpus 1 -- ${commandLine(shown, '/dev/ntsync', job)}` : '',
    // The run's daemon and bundles are gone by now: say how to get them back.
    ntsyncdCommand: job
      ? `(with "node dist/src/cli/ntsyncd.js --device /tmp/fz/ntsync --mount /tmp/fz/mnt" running) node dist/src/cli/ntsync-run.js --mount /tmp/fz/mnt --device /tmp/fz/ntsync -- ${commandLine(shown, '/tmp/fz/ntsync', job)}`
      : '',
    diff: traces ? mergedDiff(traces.kernel, traces.ntsyncd) : [],
  };
}

function describeDivergence(d: Divergence): string[] {
  const only = d.only === undefined ? '' : ` --only-ops ${d.only}`;
  return [
    `seed ${d.seed} (--ops ${d.ops}${only}): first difference at line ${d.line} of the sequence${d.op === undefined ? '' : ` (operation #${d.op})`}`,
    `  kernel : ${d.kernel}`,
    `  ntsyncd: ${d.ntsyncd}`,
  ];
}

function jobResult(job: Job, traces: { kernel: SequenceTrace[]; ntsyncd: SequenceTrace[] }): JobResult {
  return { job, sequences: traces.kernel.length, ops: countOps(traces.kernel), divergences: compareTraces(traces.kernel, traces.ntsyncd) };
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzResult> {
  const log = options.log ?? (() => {});
  const started = Date.now();
  const skipKnown = options.skipKnown ?? true;
  const skip = skipKnown ? KNOWN_DIVERGENCES.map((k) => k.name) : [];
  const range: Job = { seed: options.seed, count: options.count, ops: options.ops, ...(skip.length ? { skipKnown: skip } : {}) };
  const jobs = [range, ...(options.extraJobs ?? [])];

  const client = buildClient();
  const side = await NtsyncdSide.start();
  try {
    log(`running seeds ${range.seed}..${range.seed + range.count - 1} (${range.ops} operations each) on the 7.2 kernel driver and on ntsyncd`);
    const both = await runBoth(client, side, jobs, options.cpus);
    const results = jobs.map((job, i) => jobResult(job, both.perJob[i]!));
    const [rangeResult, ...extra] = results as [JobResult, ...JobResult[]];
    extra.forEach((e, i) => (e.kernelTrace = both.perJob[i + 1]!.kernel.flatMap((s) => s.lines)));

    const reproductions: Reproduction[] = [];
    for (const d of rangeResult.divergences.slice(0, options.shrink ?? 1)) {
      reproductions.push(await reproduce(client, side, d, skip, options.cpus, log));
    }

    const lines: string[] = [];
    const { output: _o, stderr: _e, ...kernel } = both.kernel;
    lines.push(
      `fuzz: seeds ${range.seed}..${range.seed + range.count - 1}: ${rangeResult.sequences} sequences, ${rangeResult.ops} operations, ${rangeResult.divergences.length} diverging`,
      `  kernel ${kernel.kernelRelease} (real ntsync.ko): boot ${kernel.bootSeconds.toFixed(1)} s, run ${kernel.commandSeconds.toFixed(1)} s in the guest; ntsyncd under ntsync-run: ${both.ntsyncd.seconds.toFixed(1)} s`,
    );
    if (skip.length) lines.push(`  left out of the random sequences (known divergences): ${KNOWN_DIVERGENCES.map((k) => `${k.name} (${k.title})`).join('; ')}`);
    for (const d of rangeResult.divergences.slice(0, 10)) lines.push(...describeDivergence(d));
    if (rangeResult.divergences.length > 10) lines.push(`  ... and ${rangeResult.divergences.length - 10} more diverging sequences`);
    for (const r of reproductions) {
      if (r.only === undefined) {
        lines.push(`seed ${r.divergence.seed}: did not diverge again when re-run (flaky?)`);
        continue;
      }
      const n = r.only.split(',').reduce((a, p) => a + (p.includes('-') ? Number(p.split('-')[1]) - Number(p.split('-')[0]) + 1 : 1), 0);
      lines.push(`minimal reproduction of seed ${r.divergence.seed}: ${n} of ${r.divergence.ops} operations (--only-ops ${r.only}; ${r.rounds} rounds, ${r.candidatesTried} candidates)`);
      lines.push(`  kernel : ${r.kernelCommand}`, `  ntsyncd: ${r.ntsyncdCommand}`, '  traces (- kernel, + ntsyncd):', ...r.diff.map((l) => `    ${l}`));
    }
    for (const e of extra) {
      lines.push(`job seed ${e.job.seed}${e.job.only ? ` --only-ops ${e.job.only}` : ''}: ${e.divergences.length === 0 ? 'same on both sides' : 'diverges'}`);
      for (const d of e.divergences) lines.push(...describeDivergence(d));
    }
    const wallSeconds = (Date.now() - started) / 1000;
    lines.push(`  wall time ${wallSeconds.toFixed(1)} s`);
    return { range: rangeResult, extra, reproductions, kernel, ntsyncdSeconds: both.ntsyncd.seconds, wallSeconds, report: lines.join('\n') };
  } finally {
    const stopped = await side.stop();
    if (stopped.mountsLeft.length > 0) log(`warning: mounts left behind by ntsyncd: ${stopped.mountsLeft.join(', ')}`);
  }
}
