// Section 6.5, deadlines: absolute, on CLOCK_MONOTONIC or (with the flag) CLOCK_REALTIME;
// 0 or the past is a poll; U64_MAX is infinite.
import { ETIMEDOUT } from '../../core/errno';
import { NTSYNC_WAIT_REALTIME, U64_MAX } from '../client/wait-block';
import { section, type AbiCase } from '../framework/abi-case';
import type { CaseContext, WaitKind } from '../framework/context';
import { describeResult } from '../framework/errno-names';
import { expectEqual, expectReturn, expectTrue } from '../framework/expect';
import { fail } from '../framework/failure';
import { monotonicNs, msToNs, realtimeNs } from '../sys/clock';
import { expectWait, kindName } from './helpers';

const s = section('6.5');

/**
 * A poll must come back at once. Generous for loaded or emulated machines: every wrong reading
 * of these deadlines would sleep 10 s or for ever.
 */
const POLL_LIMIT_MS = 2000;
/** How late a timed-out wait may return after its deadline on a loaded or emulated machine. */
const LATENESS_LIMIT_MS = 2000;

function timedPoll(t: CaseContext, kind: WaitKind, dev: number, objs: number[], timeout: bigint, flags: number, what: string): void {
  const started = Date.now();
  expectWait(t, kind, dev, { objs, timeout, flags }, -ETIMEDOUT, undefined, what);
  const took = Date.now() - started;
  expectTrue(took < POLL_LIMIT_MS, `${kindName(kind)} ${what}: a poll took ${took} ms`);
}

/** Starts a wait that must block, checks it still does after `ms`, then satisfies it. */
async function expectSleepsUntilSignaled(t: CaseContext, timeout: bigint, flags: number, what: string, ms = 300): Promise<void> {
  const dev = t.openDevice();
  const ev = t.event(dev, false, false);
  const w = await t.startWait('any', dev, { objs: [ev], timeout, flags }, `WAIT_ANY ${what}`);
  await w.expectStillBlocked(ms, `${what} is not a poll`);
  expectReturn(t.nt.eventSet(ev).ret, 0, 'EVENT_SET');
  expectReturn(await w.result(), 0, `WAIT_ANY ${what}, woken by EVENT_SET`);
  expectEqual(w.block.index, 0, `index of WAIT_ANY ${what}`);
}

async function expectTimesOutAt(t: CaseContext, kind: WaitKind, clock: () => bigint, flags: number, ms: number, what: string): Promise<void> {
  const dev = t.openDevice();
  const idle = t.event(dev, false, false);
  const deadline = clock() + msToNs(ms);
  const w = await t.startWait(kind, dev, { objs: [idle], timeout: deadline, flags }, `${kindName(kind)} ${what}`);
  const r = await w.result(ms + LATENESS_LIMIT_MS + 1000);
  const now = clock();
  if (r !== -ETIMEDOUT) fail(`${kindName(kind)} ${what}: expected ETIMEDOUT (110), got ${describeResult(r)}`);
  expectTrue(now >= deadline, `${kindName(kind)} ${what}: ETIMEDOUT ${(Number(deadline - now) / 1e6).toFixed(2)} ms before the deadline`);
  const late = Number(now - deadline) / 1e6;
  expectTrue(late < LATENESS_LIMIT_MS, `${kindName(kind)} ${what}: ETIMEDOUT ${late.toFixed(0)} ms after the deadline`);
  expectEqual(w.block.index, 0xdeadbeef, `${kindName(kind)} ${what}: index (must be left untouched)`);
}

export const waitTimeoutCases: AbiCase[] = [
  s('timeout-0-is-a-poll', 'A timeout of 0 is a poll: success if available, otherwise ETIMEDOUT at once.', (t) => {
    const dev = t.openDevice();
    const idle = t.event(dev, false, false);
    const sem = t.sem(dev, 4, 4); // one unit for each of the four successful polls below
    for (const kind of ['any', 'all'] as const) {
      for (const flags of [0, NTSYNC_WAIT_REALTIME]) {
        timedPoll(t, kind, dev, [idle], 0n, flags, `timeout 0${flags ? ' REALTIME' : ''} on an unsignaled event`);
        expectWait(t, kind, dev, { objs: [sem], timeout: 0n, flags }, 0, 0, `timeout 0${flags ? ' REALTIME' : ''} on a signaled semaphore`);
      }
    }
  }, { corners: [17] }),

  s('past-deadlines-are-polls', 'Any deadline at or before now is a poll, on either clock.', (t) => {
    const dev = t.openDevice();
    const idle = t.event(dev, false, false);
    const sem = t.sem(dev, 1, 1);
    timedPoll(t, 'any', dev, [idle], 1n, 0, 'deadline 1 ns');
    timedPoll(t, 'any', dev, [idle], monotonicNs() - msToNs(1000), 0, 'deadline 1 s ago (MONOTONIC)');
    timedPoll(t, 'all', dev, [idle], monotonicNs(), 0, 'deadline now (MONOTONIC)');
    timedPoll(t, 'any', dev, [idle], realtimeNs() - msToNs(1000), NTSYNC_WAIT_REALTIME, 'deadline 1 s ago (REALTIME)');
    expectWait(t, 'any', dev, { objs: [sem], timeout: monotonicNs() - msToNs(1000) }, 0, 0, 'with a past deadline on a signaled semaphore');
  }, { corners: [17] }),

  s('monotonic-deadline-is-absolute', 'The timeout is an absolute CLOCK_MONOTONIC time: the wait ends with ETIMEDOUT once it has passed, not before.', async (t) => {
    await expectTimesOutAt(t, 'any', monotonicNs, 0, 250, 'with a MONOTONIC deadline 250 ms ahead');
    await expectTimesOutAt(t, 'all', monotonicNs, 0, 250, 'with a MONOTONIC deadline 250 ms ahead');
  }, { corners: [17] }),

  s('realtime-flag-measures-on-CLOCK_REALTIME', 'With NTSYNC_WAIT_REALTIME the deadline is an absolute CLOCK_REALTIME time.', async (t) => {
    await expectTimesOutAt(t, 'any', realtimeNs, NTSYNC_WAIT_REALTIME, 250, 'with a REALTIME deadline 250 ms ahead');
    const dev = t.openDevice();
    const idle = t.event(dev, false, false);
    // A MONOTONIC reading taken as a REALTIME date is decades in the past.
    timedPoll(t, 'any', dev, [idle], monotonicNs() + msToNs(10_000), NTSYNC_WAIT_REALTIME, 'REALTIME with "monotonic now + 10 s" (long past on that clock)');
  }, { corners: [17] }),

  s('a-realtime-date-on-MONOTONIC-is-far-ahead', 'Without the flag the deadline is MONOTONIC: a REALTIME date there is decades ahead, so the wait sleeps.', async (t) => {
    await expectSleepsUntilSignaled(t, realtimeNs(), 0, 'with "realtime now" as a MONOTONIC deadline');
  }, { corners: [17] }),

  s('U64_MAX-is-infinite', 'timeout U64_MAX means no deadline at all, on either clock.', async (t) => {
    await expectSleepsUntilSignaled(t, U64_MAX, 0, 'with timeout U64_MAX');
    await expectSleepsUntilSignaled(t, U64_MAX, NTSYNC_WAIT_REALTIME, 'with timeout U64_MAX and the REALTIME flag');
  }, { corners: [17] }),

  s('deadlines-from-2^63-sleep-on-MONOTONIC', 'MONOTONIC deadlines from 2^63 to U64_MAX-1 are not polls: the wait sleeps (observed on 7.2).', async (t) => {
    await expectSleepsUntilSignaled(t, 1n << 63n, 0, 'with timeout 2^63');
    await expectSleepsUntilSignaled(t, U64_MAX - 1n, 0, 'with timeout U64_MAX-1');
  }),
];
