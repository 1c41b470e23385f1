// The two clocks a wait deadline can be measured on, in nanoseconds, read the way the kernel
// reads them (clock_gettime), so deadlines the suite computes are comparable to the driver's.
import { libc } from '../../sys/libc';

const c_clock_gettime = libc.func('int clock_gettime(int clk, _Out_ int64_t *ts)');

export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;

const ts = new BigInt64Array(2);

export function clockNs(clock: number): bigint {
  if (c_clock_gettime(clock, ts) !== 0) throw new Error(`clock_gettime(${clock}) failed`);
  return ts[0] * 1_000_000_000n + ts[1];
}

export const monotonicNs = () => clockNs(CLOCK_MONOTONIC);
export const realtimeNs = () => clockNs(CLOCK_REALTIME);

export const msToNs = (ms: number) => BigInt(Math.round(ms * 1e6));
