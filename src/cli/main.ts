// The single executable's entry point. One binary, two programs: started as `ntsync-run`
// (a symlink to it) it is the launcher, otherwise ntsyncd with its subcommands.
import { basename } from 'node:path';

const program = basename(process.argv0 || process.argv[1] || 'ntsyncd');
const args = process.argv.slice(2);
if (program !== 'ntsync-run' && args[0] === 'abi-test' && !process.env.UV_THREADPOOL_SIZE) {
  process.env.UV_THREADPOOL_SIZE = '16';
}

// Required, not imported, so that the thread-pool size above is set before anything loads.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const run: Promise<number> = program === 'ntsync-run' ? require('../launcher/cli').ntsyncRunMain(args) : require('./ntsyncd-main').ntsyncdMain(args);

run.then(
  (status) => process.exit(status),
  (err: unknown) => {
    process.stderr.write(`${program}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
