// Shared vocabulary of the engine. Pure data: no I/O, no clock, no Node APIs.

/** An open of /dev/ntsync: an isolated namespace of objects. Positive, never reused. */
export type DeviceId = number;
/** A semaphore, mutex or event. Positive, never reused within one Engine. */
export type ObjectId = number;

export enum ObjectType {
  Semaphore = 1,
  Mutex = 2,
  Event = 3,
}

export const U32_MAX = 0xffffffff;
export const NTSYNC_MAX_WAIT_COUNT = 64;
export const NTSYNC_WAIT_REALTIME = 0x1;
/** A wait deadline of U64_MAX never expires. */
export const TIMEOUT_INFINITE = 0xffffffffffffffffn;
/**
 * The kernel turns the deadline into a signed 64-bit ktime; from 2^63 up it is not a poll and
 * (on MONOTONIC, observed on 7.2) sleeps without end. We treat that whole range as "never".
 */
export const TIMEOUT_NEVER_FROM = 0x8000000000000000n;

/** Returns "now" in nanoseconds on CLOCK_REALTIME (true) or CLOCK_MONOTONIC (false). */
export type ClockNow = (realtime: boolean) => bigint;

export interface SemaphoreState {
  count: number;
  max: number;
}

export interface MutexState {
  owner: number;
  count: number;
}

/** As EVENT_READ reports it: 0 or 1 in each field. */
export interface EventState {
  manual: number;
  signaled: number;
}
