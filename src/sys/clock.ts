// The two clocks a wait deadline can be on, as nanosecond BigInts (the engine's ClockNow).
import { libc } from './libc';
import { CLOCK_REALTIME } from './timerfd';

const c_clock_gettime = libc.func('int clock_gettime(int clockid, void *ts)');
const timespec = new BigInt64Array(2);
const NS_PER_S = 1_000_000_000n;

/** CLOCK_MONOTONIC: process.hrtime is libuv's uv_hrtime, which reads exactly that clock. */
export function monotonicNs(): bigint {
  return process.hrtime.bigint();
}

/** CLOCK_REALTIME with nanosecond resolution (Date.now() has only milliseconds). */
export function realtimeNs(): bigint {
  c_clock_gettime(CLOCK_REALTIME, timespec);
  return timespec[0] * NS_PER_S + timespec[1];
}

/** The engine's ClockNow: `realtime` selects CLOCK_REALTIME, otherwise CLOCK_MONOTONIC. */
export function clockNow(realtime: boolean): bigint {
  return realtime ? realtimeNs() : monotonicNs();
}
