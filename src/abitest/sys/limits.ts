// RLIMIT_NOFILE, lowered for a moment so that no fd number is free: the only way to see how
// CREATE behaves when it cannot install the new fd.
import { libc, koffi } from '../../sys/libc';

const c_getrlimit = libc.func('int getrlimit(int resource, _Out_ uint64_t *rlim)');
const c_setrlimit = libc.func('int setrlimit(int resource, const uint64_t *rlim)');
const RLIMIT_NOFILE = 7;

export interface Limit {
  soft: bigint;
  hard: bigint;
}

export function getNofile(): Limit {
  const r = new BigUint64Array(2);
  if (c_getrlimit(RLIMIT_NOFILE, r) !== 0) throw new Error(`getrlimit failed: errno ${koffi.errno()}`);
  return { soft: r[0], hard: r[1] };
}

export function setNofile(limit: Limit): void {
  if (c_setrlimit(RLIMIT_NOFILE, new BigUint64Array([limit.soft, limit.hard])) !== 0) {
    throw new Error(`setrlimit failed: errno ${koffi.errno()}`);
  }
}
