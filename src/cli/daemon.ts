// The daemon program: `ntsyncd [options]` serving /dev/ntsync. Side-effect free until called;
// src/cli/ntsyncd.ts (and the single binary) pick it after the subcommands.
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { Daemon, type LoopKind, type Transport } from '../cuse/daemon';
import { StartupError } from '../cuse/startup/startup-error';
import { DEFAULT_DEVICE, DEFAULT_MOUNT } from '../ioctl/control';
import { createLog, isLogLevel, LOG_LEVELS } from './log';

const HELP = `Usage: ntsyncd [options]

Serves the Linux ntsync device (/dev/ntsync, as used by Wine) from userspace, for kernels
without the ntsync driver. Runs as root, in the foreground; logs one line per event to stderr.

Commands (instead of serving):
  ntsyncd status [--json] [--watch]   live objects, waiters and a deadlock report
  ntsyncd abi-test [--device PATH]    check a device against the kernel's ABI (run it under
                                      ntsync-run for ntsyncd's device)
  ntsyncd install | uninstall         put this binary and ntsync-run on PATH and (un)install
                                      the systemd service
  ntsyncd run [--] COMMAND...         the same as ntsync-run COMMAND...

Options:
  --device PATH        where to serve the device (default ${DEFAULT_DEVICE})
  --mount DIR          where to mount the object filesystem (default ${DEFAULT_MOUNT})
  --transport MODE     auto (default): a CUSE character device when /dev/cuse exists (after
                       trying \`modprobe cuse\`), else the FUSE fallback; cuse: CUSE or fail;
                       fuse: bind-mount DIR/device over PATH
  --log-level LEVEL    ${LOG_LEVELS.join(', ')} (default info); debug adds device opens/closes
  --loop KIND          uv (default): fds watched by Node's libuv loop; ppoll: our own ppoll
                       loop (kept for measurements, see bench/)
  -h, --help           show this help

Programs must be started under \`ntsync-run\` (the launcher): opening the device from a
process with no ntsync-run supervisor among its ancestors fails with EPERM, and ntsyncd logs
why. Wine then falls back to its own server-side synchronization.

SIGTERM or SIGINT: unmount, remove the device, exit 0.
`;

function fail(message: string): never {
  process.stderr.write(`ntsyncd: ${message}\n`);
  process.exit(1);
}

export async function runDaemon(argv: string[]): Promise<void> {
  // Keep V8's young generation at its initial size. The daemon allocates little per request,
  // all of it short-lived, so a nursery that grows with bursts of CREATEs only adds resident
  // memory (about 35 MB at 100,000 objects) and buys nothing; this flag is read at every
  // scavenge, so setting it now takes effect.
  setFlagsFromString('--semi-space-growth-factor=1');
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        device: { type: 'string', default: DEFAULT_DEVICE },
        mount: { type: 'string', default: DEFAULT_MOUNT },
        transport: { type: 'string', default: 'auto' },
        'log-level': { type: 'string', default: 'info' },
        loop: { type: 'string', default: 'uv' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail(`${(err as Error).message}\n\n${HELP}`);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const transport = values.transport!;
  if (transport !== 'auto' && transport !== 'cuse' && transport !== 'fuse') fail(`--transport must be auto, cuse or fuse, not "${transport}"`);
  const level = values['log-level']!;
  if (!isLogLevel(level)) fail(`--log-level must be one of ${LOG_LEVELS.join(', ')}, not "${level}"`);
  const loop = values.loop!;
  if (loop !== 'uv' && loop !== 'ppoll') fail(`--loop must be uv or ppoll, not "${loop}"`);

  const log = createLog(level);
  const daemon = new Daemon({
    devicePath: values.device!,
    mountDir: values.mount!,
    transport: transport as Transport,
    loop: loop as LoopKind,
    log,
  });

  const shutdown = (why: string, code: number) => {
    daemon.stop();
    log.info(`${why}; stopped`);
    process.exit(code);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM', 0));
  process.on('SIGINT', () => shutdown('SIGINT', 0));

  try {
    await daemon.start();
  } catch (err) {
    if (err instanceof StartupError) fail(err.message);
    throw err;
  }
  const reason = await daemon.ended;
  shutdown(reason, 0);
}
