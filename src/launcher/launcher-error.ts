// Failures of ntsync-run itself, as opposed to the command it runs. The message is what the
// user reads, so it says what to do; the exit status follows env(1) and timeout(1).
import { constants } from 'node:os';

/** ntsync-run could not do its job (as env(1): 125). */
export const EXIT_LAUNCHER_FAILED = 125;
/** The command exists but could not be executed. */
export const EXIT_CANNOT_EXECUTE = 126;
/** The command was not found. */
export const EXIT_NOT_FOUND = 127;

export class LauncherError extends Error {
  constructor(
    message: string,
    readonly exitCode = EXIT_LAUNCHER_FAILED,
  ) {
    super(message);
    this.name = 'LauncherError';
  }
}

const errnoNames = new Map<number, string>(Object.entries(constants.errno).map(([name, value]) => [value, name]));

/** "ENOENT" for 2, for messages; errno values are positive here. */
export function errnoName(errno: number): string {
  return errnoNames.get(Math.abs(errno)) ?? `errno ${Math.abs(errno)}`;
}
