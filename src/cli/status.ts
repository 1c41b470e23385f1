// `ntsyncd status [--json] [--watch] [--mount DIR]`: reads the daemon's read-only status file
// and renders it. The daemon builds the snapshot when the file is opened.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_MOUNT, STATUS_FILE } from '../ioctl/control';
import { renderStatus } from '../status/render';
import type { StatusSnapshot } from '../status/snapshot';

const HELP = `usage: ntsyncd status [--json] [--watch] [--mount DIR]

Shows what the running ntsyncd holds: device instances and who opened them, every object with
its state and the processes holding it, every pending wait, counters, request latency, and a
report of deadlocks (waiters blocked on mutexes owned by each other).

  --json       print the raw snapshot as JSON
  --watch      redraw every second until interrupted
  --mount DIR  the daemon's object filesystem (default ${DEFAULT_MOUNT})
`;

export function readSnapshot(mount: string): StatusSnapshot {
  const path = join(mount, STATUS_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT' || code === 'ENOTCONN'
        ? `ntsyncd is not running (no ${path}); start it with \`sudo ntsyncd\` or \`systemctl start ntsyncd\``
        : `cannot read ${path}: ${(err as Error).message}`,
    );
  }
  return JSON.parse(text) as StatusSnapshot;
}

export async function runStatus(argv: string[]): Promise<number> {
  let json = false;
  let watch = false;
  let mount = DEFAULT_MOUNT;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '--watch') watch = true;
    else if (a === '--mount') mount = argv[++i] ?? '';
    else if (a.startsWith('--mount=')) mount = a.slice('--mount='.length);
    else if (a === '--help' || a === '-h') {
      process.stdout.write(HELP);
      return 0;
    } else {
      process.stderr.write(`ntsyncd status: unknown argument ${a}\n${HELP}`);
      return 2;
    }
  }
  if (!mount) {
    process.stderr.write('ntsyncd status: --mount needs a directory\n');
    return 2;
  }
  const show = () => {
    const snap = readSnapshot(mount);
    return json ? JSON.stringify(snap, null, 2) + '\n' : renderStatus(snap);
  };
  try {
    if (!watch) {
      process.stdout.write(show());
      return 0;
    }
    for (;;) {
      process.stdout.write('\x1b[H\x1b[2J' + show());
      await new Promise((r) => setTimeout(r, 1000));
    }
  } catch (err) {
    process.stderr.write(`ntsyncd status: ${(err as Error).message}\n`);
    return 1;
  }
}
