// ntsync-run's life: trap CREATE ioctls, start the command, answer notifications until every
// descendant is gone, and report the command's exit status.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { sysClose } from '../sys/io';
import { hostSyscallAbis, type SyscallAbi } from './create-filter';
import { Descendants } from './descendants';
import { installCreateTrap, ListenerBusyError } from './install-trap';
import { EXIT_CANNOT_EXECUTE, EXIT_LAUNCHER_FAILED, EXIT_NOT_FOUND, LauncherError } from './launcher-error';
import { ptraceBlocker } from './ptrace-policy';
import type { ObjectBackend } from './object-backend';
import { Supervisor } from './supervisor';

export interface SupervisedRun {
  /** argv of the command; command[0] is looked up in PATH. */
  command: readonly string[];
  backend: ObjectBackend;
  log: (line: string) => void;
  abis?: readonly SyscallAbi[];
}

/** Signals passed on to the command (or, once it is gone, to what is left of its tree). */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Set in the command's environment to the launcher's pid. A launcher that finds it and cannot
 * get a listener of its own (the kernel allows one per process) is nested inside another
 * ntsync-run, for example `ntsync-run steam` running a game with `ntsync-run %command%`:
 * the outer one already answers every CREATE below it, so the inner one just runs the command.
 */
export const SUPERVISOR_ENV = 'NTSYNC_RUN_PID';

/**
 * Runs the command under the trap. Resolves with the command's exit status (128 + signal if a
 * signal killed it) once the command and every process below it have exited. Throws a
 * LauncherError before starting anything if the trap cannot be installed.
 */
export function runSupervised(run: SupervisedRun): Promise<number> {
  const abis = run.abis ?? hostSyscallAbis();
  const blocked = ptraceBlocker();
  if (blocked !== null) throw new LauncherError(blocked);
  let listener: number;
  try {
    listener = installCreateTrap(abis);
  } catch (error) {
    if (error instanceof ListenerBusyError && process.env[SUPERVISOR_ENV]) {
      run.backend.close();
      return runCommand(run.command, run.log, () => {});
    }
    throw error;
  }
  const supervisor = new Supervisor(listener, abis, run.backend, run.log);
  supervisor.start();
  return runCommand(run.command, run.log, () => {
    // Only the launcher itself is left under the filter, so no notification can be pending.
    supervisor.stop();
    sysClose(listener);
    run.backend.close();
  });
}

/** Runs the command with nothing trapped (the kernel has the real driver); same exit rules. */
export function runUnsupervised(command: readonly string[], log: (line: string) => void): Promise<number> {
  return runCommand(command, log, () => {});
}

/**
 * Starts the command, forwards signals to it, reaps adopted orphans, and resolves with its
 * status once this process has no child left; `cleanup` runs just before.
 */
function runCommand(command: readonly string[], log: (line: string) => void, cleanup: () => void): Promise<number> {
  return new Promise((resolve) => {
    let status = EXIT_LAUNCHER_FAILED;
    let commandDone = false;
    let finished = false;

    let commandPid: number | undefined;
    const descendants = new Descendants((pid) => !commandDone && pid === commandPid);

    const finishIfAllGone = (): void => {
      if (finished || !commandDone) return;
      if (!descendants.reapOrphans()) return;
      finished = true;
      for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
      process.off('SIGCHLD', onChildSignal);
      cleanup();
      resolve(status);
    };
    const onChildSignal = (): void => {
      if (commandDone) finishIfAllGone();
      else descendants.reapOrphans();
    };
    const forward = (signal: NodeJS.Signals): void => {
      // An exited command that libuv has not reaped yet counts as gone: the signal is for
      // what it left behind.
      if (!commandDone && commandPid !== undefined && !descendants.hasExited(commandPid)) {
        child.kill(signal);
        return;
      }
      for (const pid of descendants.children()) {
        try {
          process.kill(pid, signal);
        } catch {
          // exited meanwhile
        }
      }
    };

    // Listening before the command exists: a signal sent as soon as the command shows signs of
    // life must not find the launcher with the default action (death) still in place. The
    // callbacks run from the event loop, so never before spawn() below has returned.
    for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
    process.on('SIGCHLD', onChildSignal);

    const child = spawn(command[0]!, command.slice(1), {
      stdio: 'inherit',
      env: { ...process.env, [SUPERVISOR_ENV]: String(process.pid) },
    });
    commandPid = child.pid;
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (commandDone) return;
      commandDone = true;
      if (error.code === 'ENOENT') {
        log(`${command[0]}: command not found`);
        status = EXIT_NOT_FOUND;
      } else if (error.code === 'EACCES' || error.code === 'ENOEXEC') {
        log(`${command[0]}: cannot execute (${error.code})`);
        status = EXIT_CANNOT_EXECUTE;
      } else {
        log(`${command[0]}: cannot start: ${error.message}`);
        status = EXIT_LAUNCHER_FAILED;
      }
      finishIfAllGone();
    });
    child.on('exit', (code, signal) => {
      commandDone = true;
      status = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
      finishIfAllGone();
    });
  });
}
