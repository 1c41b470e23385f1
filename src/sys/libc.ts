// The one place that loads libc through koffi. Every syscall wrapper in src/sys/ builds on it.
// errno must be read immediately after the call: any other koffi call in between may clobber it.
import koffi from 'koffi';

export const libc = koffi.load('libc.so.6');

/** errno of the most recent failing libc call made through koffi. */
export function lastErrno(): number {
  return koffi.errno();
}

export { koffi };
