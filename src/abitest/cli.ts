// `ntsyncd abi-test [--device PATH] [--json] [--filter PATTERN]`: checks every behaviour of the
// ntsync ABI on a live device through real ioctls and reports each case. The suite does not
// know or care whose device it is: the kernel driver, or ntsyncd (then run it under
// ntsync-run, which is what makes CREATE return real fds). Exit status 0 only if every case
// passed; 1 if any failed; 2 if the run could not start.
// Side-effect free: src/cli/abi-test.ts and the single binary's `ntsyncd abi-test` run it.

import { writeSync } from 'node:fs';
import { ALL_CASES } from './cases/index';
import type { AbiCase } from './framework/abi-case';
import { describeResult } from './framework/errno-names';
import { filterCases } from './framework/filter';
import { caseLine, jsonReport, summaryLine } from './framework/report';
import { DEFAULT_CASE_TIMEOUT_MS, runCases } from './framework/runner';
import { Watchdog } from './framework/watchdog';
import { O_CLOEXEC, O_RDONLY, realSysCalls, type SysCalls } from './sys/native';
import { threadSignals } from './sys/signals';

const USAGE = `usage: ntsyncd abi-test [--device PATH] [--json] [--filter PATTERN] [--list] [--case-timeout SECONDS]
Checks every behaviour of the ntsync ABI (as specified in ntsync-abi.md) on a live device, one case each.
  --device PATH          device to test (default /dev/ntsync). For ntsyncd's device, run this
                         under ntsync-run: ntsync-run -- ntsyncd abi-test --device PATH
  --json                 print one JSON document instead of lines
  --filter PATTERN       only cases whose id matches: comma-separated substrings or globs
                         ("6.1/", "wake", "5/mutex-*")
  --list                 print the case ids and titles, run nothing
  --case-timeout SECONDS hard limit for one case (default ${DEFAULT_CASE_TIMEOUT_MS / 1000})
Exit status: 0 all cases passed, 1 some failed, 2 the run could not start.
`;

/** Seams for tests: the device underneath, where lines go, whether to arm the watchdog. */
export interface AbiTestIo {
  sys?: SysCalls;
  out?: (text: string) => void;
  err?: (text: string) => void;
  watchdog?: boolean;
  /** How long past the case timeout the watchdog waits for a stuck main thread. */
  watchdogGraceMs?: number;
  cases?: readonly AbiCase[];
}

interface Options {
  device: string;
  json: boolean;
  filter?: string;
  list: boolean;
  caseTimeoutMs: number;
}

function parse(argv: string[]): Options | string {
  const o: Options = { device: '/dev/ntsync', json: false, list: false, caseTimeoutMs: DEFAULT_CASE_TIMEOUT_MS };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    try {
      switch (name) {
        case '--device': o.device = value(); break;
        case '--json': o.json = true; break;
        case '--filter': o.filter = value(); break;
        case '--list': o.list = true; break;
        case '--case-timeout': {
          const s = Number(value());
          if (!(s > 0)) return '--case-timeout needs a positive number of seconds';
          o.caseTimeoutMs = s * 1000;
          break;
        }
        case '-h':
        case '--help': return '';
        default: return `unknown argument: ${arg}`;
      }
    } catch (e) {
      return (e as Error).message;
    }
  }
  return o;
}

export async function runAbiTest(argv: string[], io: AbiTestIo = {}): Promise<number> {
  const out = io.out ?? ((s: string) => writeSync(1, s));
  const err = io.err ?? ((s: string) => writeSync(2, s));
  const sys = io.sys ?? realSysCalls;
  const parsed = parse(argv);
  if (typeof parsed === 'string') {
    if (parsed) err(`abi-test: ${parsed}\n`);
    err(USAGE);
    return parsed ? 2 : 0;
  }
  const cases = filterCases(io.cases ?? ALL_CASES, parsed.filter);
  if (parsed.list) {
    for (const c of cases) out(`${c.id}\t${c.title}\n`);
    return 0;
  }
  if (cases.length === 0) {
    err(`abi-test: no case matches --filter ${parsed.filter}\n`);
    return 2;
  }

  // The device must at least open; otherwise every case would fail for the same reason.
  const probe = sys.open(parsed.device, O_RDONLY | O_CLOEXEC);
  if (probe < 0) {
    err(`abi-test: cannot open ${parsed.device}: ${describeResult(probe)}\n`);
    return 2;
  }
  sys.close(probe);

  // Installed up front: cleanup of any case relies on interrupting blocked waits.
  threadSignals();
  const watchdog = io.watchdog === false ? undefined : new Watchdog(parsed.caseTimeoutMs, io.watchdogGraceMs ?? 10_000, parsed.json ? 2 : 1);
  try {
    const summary = await runCases({
      devicePath: parsed.device,
      sys,
      cases,
      caseTimeoutMs: parsed.caseTimeoutMs,
      onCaseStart: (c) => watchdog?.caseStarted(c.id),
      onCaseEnd: (r) => {
        watchdog?.caseEnded();
        if (!parsed.json) out(caseLine(r) + '\n');
      },
    });
    if (parsed.json) out(jsonReport(summary) + '\n');
    else out(summaryLine(summary) + '\n');
    return summary.failed === 0 ? 0 : 1;
  } finally {
    await watchdog?.stop();
  }
}
