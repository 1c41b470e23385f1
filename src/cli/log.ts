// One line per event on stderr. Under systemd (JOURNAL_STREAM set) each line starts with the
// sd-daemon priority prefix, so journald files it at the right level; elsewhere it carries a
// readable level word.
import type { Log } from '../cuse/log';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const PRIORITY: Record<LogLevel, number> = { error: 3, warn: 4, info: 6, debug: 7 };

export function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

export function createLog(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l), journald = !!process.env.JOURNAL_STREAM): Log {
  const max = LOG_LEVELS.indexOf(level);
  const emit = (lvl: LogLevel) =>
    LOG_LEVELS.indexOf(lvl) > max
      ? () => {}
      : (message: string) => write(journald ? `<${PRIORITY[lvl]}>${message}\n` : `ntsyncd: ${lvl}: ${message}\n`);
  return {
    error: emit('error'),
    warn: emit('warn'),
    info: emit('info'),
    debug: emit('debug'),
    debugEnabled: max >= LOG_LEVELS.indexOf('debug'),
  };
}
