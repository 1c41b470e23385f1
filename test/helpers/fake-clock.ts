// A fixed clock for tests: time moves only when a test says so. The two clocks are far apart
// (as on a real machine, where REALTIME is ~1.7e18 ns and MONOTONIC is the uptime), so a
// deadline meant for one clock is obviously wrong on the other.
import type { ClockNow } from '../../src/core/types';

export const NS_PER_MS = 1_000_000n;
export const NS_PER_S = 1_000_000_000n;

export class FakeClock {
  /** CLOCK_MONOTONIC, ns: 1000 s of uptime. */
  monotonic = 1_000n * NS_PER_S;
  /** CLOCK_REALTIME, ns: some day in 2023. */
  realtime = 1_700_000_000n * NS_PER_S;

  /** The ClockNow the engine and the dispatcher take. */
  readonly now: ClockNow = (realtime: boolean) => (realtime ? this.realtime : this.monotonic);

  /** Both clocks move forward together. */
  advance(ns: bigint): void {
    this.monotonic += ns;
    this.realtime += ns;
  }

  /** An absolute MONOTONIC deadline `ms` from now, as the selftest's get_abs_timeout(). */
  inMs(ms: number): bigint {
    return this.monotonic + BigInt(ms) * NS_PER_MS;
  }
}
