#!/usr/bin/env node
// ntsync-run: runs a command under the seccomp supervisor that turns its ntsync CREATE ioctls
// into object fds served by ntsyncd (see src/launcher/).
import { DaemonBackend } from '../launcher/daemon-backend';
import { EXIT_LAUNCHER_FAILED, LauncherError } from '../launcher/launcher-error';
import { parseOptions, USAGE } from '../launcher/options';
import { runSupervised } from '../launcher/run-supervised';

function log(line: string): void {
  process.stderr.write(`ntsync-run: ${line}\n`);
}

async function main(argv: readonly string[]): Promise<number> {
  let options;
  try {
    options = parseOptions(argv);
  } catch (error) {
    log(`${(error as Error).message}\n\n${USAGE}`);
    return EXIT_LAUNCHER_FAILED;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    const backend = DaemonBackend.connect(options.mount);
    switch (backend.describeDevice(options.device)) {
      case 'missing':
        log(`warning: ${options.device} does not exist; programs that open it will not find ntsync (ntsyncd --device PATH chooses where it serves).`);
        break;
      case 'kernel':
        log(`note: ${options.device} is the kernel's own ntsync driver; its CREATE ioctls are left to the kernel.`);
        break;
      case 'other':
        log(`warning: ${options.device} is not served by the ntsyncd mounted at ${options.mount}; CREATE ioctls on it are left to the kernel.`);
        break;
      case 'ours':
        break;
    }
    return await runSupervised({ command: options.command, backend, log });
  } catch (error) {
    if (error instanceof LauncherError) {
      log(error.message);
      return error.exitCode;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error: unknown) => {
    log(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(EXIT_LAUNCHER_FAILED);
  },
);
