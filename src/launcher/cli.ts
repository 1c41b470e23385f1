// ntsync-run's program: options, connecting to ntsyncd, start-up diagnostics, and the exit
// status. Kept free of side effects so that an entry point (src/cli/ntsync-run.ts, or a single
// binary that picks its program by name) decides when it runs.
import { DaemonBackend, DaemonMissingError, isKernelNtsyncDevice } from './daemon-backend';
import { EXIT_LAUNCHER_FAILED, LauncherError } from './launcher-error';
import { parseOptions, USAGE } from './options';
import { runSupervised, runUnsupervised } from './run-supervised';
import { StallWatch, stallWarningMs } from './stall-watch';

function log(line: string): void {
  process.stderr.write(`ntsync-run: ${line}\n`);
}

/** Runs ntsync-run with `argv` (its arguments only); resolves with the exit status to use. */
export async function ntsyncRunMain(argv: readonly string[]): Promise<number> {
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
    let backend: DaemonBackend;
    try {
      backend = DaemonBackend.connect(options.mount);
    } catch (error) {
      // With the kernel's own driver there is nothing to do: `ntsync-run %command%` in Steam's
      // launch options keeps working on a kernel that has it.
      if (!(error instanceof DaemonMissingError) || !isKernelNtsyncDevice(options.device)) throw error;
      log(`note: ${options.device} is the kernel's own ntsync driver and ntsyncd is not running; running the command as it is.`);
      return await runUnsupervised(options.command, log);
    }
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
    backend.watchStalls(
      new StallWatch(
        stallWarningMs(),
        `ntsync-run: ntsyncd has not answered for {s} s; the program's ntsync calls wait until it does. ` +
          'Check it with `systemctl status ntsyncd` (or its log); `sudo systemctl restart ntsyncd` ends the wait.',
        'ntsyncd answered again after {s} s.',
        log,
      ),
    );
    return await runSupervised({ command: options.command, backend, log });
  } catch (error) {
    if (error instanceof LauncherError) {
      log(error.message);
      return error.exitCode;
    }
    log(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return EXIT_LAUNCHER_FAILED;
  }
}
