// What the daemon needs from a logger. The CLI provides one that writes a line per event to
// stderr; tests can collect lines instead.
export interface Log {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  /** Lets hot paths skip building debug messages altogether. */
  readonly debugEnabled: boolean;
}

export const silentLog: Log = {
  error() {},
  warn() {},
  info() {},
  debug() {},
  debugEnabled: false,
};
