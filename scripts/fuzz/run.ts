// CLI over test/fuzz/driver/fuzz.ts; run it through scripts/fuzz/run.sh. See usage() below.
import { KNOWN_DIVERGENCES } from '../../test/fuzz/driver/known-divergences';
import { runFuzz } from '../../test/fuzz/driver/fuzz';

function usage(): never {
  process.stderr.write(`usage: scripts/fuzz/run.sh [options]
Runs seeded random ntsync operation sequences against the kernel's ntsync driver (Debian sid's
7.2 under qemu, one boot for the whole range) and against ntsyncd (here, under ntsync-run),
compares the traces line by line and shrinks diverging sequences to minimal reproductions.
Needs root (ntsyncd mounts FUSE) and qemu-system-x86_64.
  --count N        sequences (default 10000)
  --seed S         first seed (default 1)
  --ops N          operations per sequence (default 48)
  --shrink N       diverging sequences to shrink (default 1; each costs several guest boots)
  --with-known     keep the known divergences in the random sequences (see
                   test/fuzz/driver/known-divergences.ts) and run their regression cases
  --cpus N         guest vCPUs (default 1)
Exit status: 0 when no sequence diverges, 1 when some do, 2 on a usage error, 3 on a failure.
`);
  process.exit(2);
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  let count = 10000;
  let seed = 1;
  let ops = 48;
  let shrinkCount = 1;
  let withKnown = false;
  let cpus: number | undefined;
  const num = (v: string | undefined) => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < 0) usage();
    return n;
  };
  while (args.length) {
    const a = args.shift()!;
    switch (a) {
      case '--count': count = num(args.shift()); break;
      case '--seed': seed = num(args.shift()); break;
      case '--ops': ops = num(args.shift()); break;
      case '--shrink': shrinkCount = num(args.shift()); break;
      case '--cpus': cpus = num(args.shift()); break;
      case '--with-known': withKnown = true; break;
      default: usage();
    }
  }
  if (count < 1 || ops < 1 || ops > 256) usage();
  const result = await runFuzz({
    seed,
    count,
    ops,
    shrink: shrinkCount,
    skipKnown: !withKnown,
    extraJobs: withKnown ? KNOWN_DIVERGENCES.map((k) => k.regression) : [],
    ...(cpus !== undefined ? { cpus } : {}),
    log: (line) => process.stderr.write(`fuzz: ${line}\n`),
  });
  process.stdout.write(`${result.report}\n`);
  const diverging = result.range.divergences.length + result.extra.reduce((n, e) => n + e.divergences.length, 0);
  return diverging === 0 ? 0 : 1;
}

main().then(
  (status) => process.exit(status),
  (err: unknown) => {
    process.stderr.write(`fuzz: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(3);
  },
);
