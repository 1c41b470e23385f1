// Section 7, with real blocked threads: who gets woken, in which order, and the rule that the
// signalling call itself performs the waiter's acquisition (state read right after it returns
// already shows the waiter as the new holder).
import { EOWNERDEAD } from '../../core/errno';
import type { BlockedWait } from '../client/blocked-wait';
import { section, type AbiCase } from '../framework/abi-case';
import type { CaseContext } from '../framework/context';
import { describeResult } from '../framework/errno-names';
import { expectEqual, expectReturn } from '../framework/expect';
import { fail } from '../framework/failure';
import { expectWait, OWNER_A, OWNER_B, OWNER_C, U32_MAX } from './helpers';

const s = section('7');

/** The wait must end with `ret` and `index` within a few seconds. */
async function expectWoken(w: BlockedWait, ret: number, index: number): Promise<void> {
  const r = await w.result();
  if (r !== ret) fail(`${w.label}: expected ${ret === 0 ? 'success (0)' : describeResult(ret)}, got ${describeResult(r)}`);
  expectEqual(w.block.index, index, `${w.label}: index`);
}

async function waiters(t: CaseContext, dev: number, count: number, objs: number[], owner = OWNER_A, kind: 'any' | 'all' = 'any'): Promise<BlockedWait[]> {
  const list: BlockedWait[] = [];
  for (let i = 0; i < count; i++) list.push(await t.startWait(kind, dev, { objs, owner }, `waiter ${String.fromCharCode(65 + i)}`));
  return list;
}

export const wakeOrderCases: AbiCase[] = [
  s('sem-release-acquires-for-the-waiter-before-returning', 'SEM_RELEASE hands the unit to a blocked waiter inside the call: a SEM_READ right after shows count 0.', async (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 0, 2);
    const [a] = await waiters(t, dev, 1, [sem]);
    const r = t.nt.semRelease(sem, 1);
    t.expectSem(sem, 0, 2, 'right after SEM_RELEASE (the waiter already took the unit)');
    expectReturn(r.ret, 0, 'SEM_RELEASE');
    expectEqual(r.prev, 0, 'previous count');
    await expectWoken(a, 0, 0);
  }, { corners: [21] }),

  s('event-set-acquires-for-the-waiter-before-returning', 'EVENT_SET on an auto event with a blocked waiter: the event reads unsignaled right after the call.', async (t) => {
    const dev = t.openDevice();
    const ev = t.event(dev, false, false);
    const [a] = await waiters(t, dev, 1, [ev]);
    const r = t.nt.eventSet(ev);
    t.expectEvent(ev, false, false, 'right after EVENT_SET (the waiter already consumed it)');
    expectReturn(r.ret, 0, 'EVENT_SET');
    expectEqual(r.prev, 0, 'previous state');
    await expectWoken(a, 0, 0);
  }, { corners: [21] }),

  s('mutex-unlock-acquires-for-the-waiter-before-returning', 'MUTEX_UNLOCK to 0 with a blocked waiter: the mutex reads as owned by the waiter right after the call.', async (t) => {
    const dev = t.openDevice();
    const mutex = t.mutex(dev, OWNER_A, 1);
    const [b] = await waiters(t, dev, 1, [mutex], OWNER_B);
    const r = t.nt.mutexUnlock(mutex, OWNER_A);
    t.expectMutex(mutex, OWNER_B, 1, 'right after MUTEX_UNLOCK (the waiter already owns it)');
    expectReturn(r.ret, 0, 'MUTEX_UNLOCK');
    expectEqual(r.prev, 1, 'previous count');
    await expectWoken(b, 0, 0);
  }, { corners: [21] }),

  s('mutex-kill-hands-the-mutex-over-with-EOWNERDEAD', 'MUTEX_KILL with a blocked waiter: the waiter owns it (count 1, no longer abandoned) and gets EOWNERDEAD with its index.', async (t) => {
    const dev = t.openDevice();
    const idle = t.event(dev, false, false);
    const mutex = t.mutex(dev, OWNER_A, 3);
    const b = await t.startWait('any', dev, { objs: [idle, mutex], owner: OWNER_B }, 'waiter B on {unsignaled, mutex}');
    expectReturn(t.nt.mutexKill(mutex, OWNER_A), 0, 'MUTEX_KILL');
    t.expectMutex(mutex, OWNER_B, 1, 'right after MUTEX_KILL (the waiter already owns it)');
    await expectWoken(b, -EOWNERDEAD, 1);
  }, { corners: [10, 21] }),

  s('wait-any-waiters-are-served-in-FIFO-order', 'Waiters blocked on one object are served in the order they queued.', async (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 0, 3);
    const [a, b, c] = await waiters(t, dev, 3, [sem]);
    expectReturn(t.nt.semRelease(sem, 1).ret, 0, 'first SEM_RELEASE');
    await expectWoken(a, 0, 0);
    await b.expectStillBlocked(50, 'only one unit was released, and A queued first');
    expectReturn(t.nt.semRelease(sem, 1).ret, 0, 'second SEM_RELEASE');
    await expectWoken(b, 0, 0);
    await c.expectStillBlocked(50, 'only two units were released');
    expectReturn(t.nt.semRelease(sem, 1).ret, 0, 'third SEM_RELEASE');
    await expectWoken(c, 0, 0);
  }, { corners: [21] }),

  s('sem-release-of-n-wakes-n-waiters', 'SEM_RELEASE of n gives one unit to each of the first n waiters, straight out of the new count.', async (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 0, 5);
    const [a, b, c] = await waiters(t, dev, 3, [sem]);
    const r = t.nt.semRelease(sem, 2);
    t.expectSem(sem, 0, 5, 'right after releasing 2 to 3 waiters');
    expectReturn(r.ret, 0, 'SEM_RELEASE 2');
    await expectWoken(a, 0, 0);
    await expectWoken(b, 0, 0);
    await c.expectStillBlocked(50, 'only two units were released');
    expectReturn(t.nt.semRelease(sem, 3).ret, 0, 'SEM_RELEASE 3');
    await expectWoken(c, 0, 0);
    t.expectSem(sem, 2, 5, 'after C took one of three');
  }, { corners: [21] }),

  s('wait-all-waiters-come-before-wait-any-waiters', 'A wait-all waiter beats a wait-any waiter that queued on the object earlier.', async (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 0, 2);
    const ev = t.event(dev, true, true);
    const a = await t.startWait('any', dev, { objs: [sem] }, 'wait-any A on the semaphore');
    const b = await t.startWait('all', dev, { objs: [sem, ev] }, 'wait-all B on {semaphore, signaled manual event}');
    expectReturn(t.nt.semRelease(sem, 1).ret, 0, 'SEM_RELEASE 1');
    t.expectSem(sem, 0, 2, 'right after the release');
    await expectWoken(b, 0, 0);
    await a.expectStillBlocked(50, 'the wait-all waiter had priority');
    expectReturn(t.nt.semRelease(sem, 1).ret, 0, 'SEM_RELEASE 1 again');
    await expectWoken(a, 0, 0);
  }, { corners: [21] }),

  s('a-new-wait-any-takes-what-a-blocked-wait-all-cannot-use', 'A new WAIT_ANY takes a unit a blocked wait-all wants but cannot use yet; the wait-all is not re-examined.', async (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 0, 1);
    const ev = t.event(dev, true, false);
    const b = await t.startWait('all', dev, { objs: [sem, ev] }, 'wait-all B on {semaphore, unsignaled event}');
    expectReturn(t.nt.semRelease(sem, 1).ret, 0, 'SEM_RELEASE 1');
    t.expectSem(sem, 1, 1, 'with B still waiting for the event');
    expectWait(t, 'any', dev, { objs: [sem] }, 0, 0, 'newly arriving, on the semaphore');
    expectReturn(t.nt.eventSet(ev).ret, 0, 'EVENT_SET');
    await b.expectStillBlocked(50, 'the new wait-any took the unit');
    expectReturn(t.nt.semRelease(sem, 1).ret, 0, 'SEM_RELEASE 1 again');
    await expectWoken(b, 0, 0);
    t.expectSem(sem, 0, 1, 'after B acquired everything');
  }, { corners: [21] }),

  s('a-blocked-wait-all-holds-nothing', 'A wait-all blocked on a mutex held by another owner holds none of its other objects meanwhile.', async (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 1, 1);
    const mutex = t.mutex(dev, OWNER_A, 1);
    const b = await t.startWait('all', dev, { objs: [sem, mutex], owner: OWNER_B }, 'wait-all B on {semaphore, mutex held by A}');
    t.expectSem(sem, 1, 1, 'while B waits');
    t.expectMutex(mutex, OWNER_A, 1, 'while B waits');
    expectReturn(t.nt.mutexUnlock(mutex, OWNER_A).ret, 0, 'MUTEX_UNLOCK by A');
    t.expectSem(sem, 0, 1, 'right after the unlock');
    t.expectMutex(mutex, OWNER_B, 1, 'right after the unlock');
    await expectWoken(b, 0, 0);
  }, { corners: [21] }),

  s('wait-all-wakes-when-its-last-object-is-signaled', 'A blocked wait-all wakes when its last missing object is signaled, and takes all of them.', async (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 0, 1);
    const ev = t.event(dev, false, false);
    const w = await t.startWait('all', dev, { objs: [sem, ev] }, 'wait-all on {semaphore, auto event}');
    expectReturn(t.nt.eventSet(ev).ret, 0, 'EVENT_SET');
    await w.expectStillBlocked(50, 'the semaphore is still empty');
    t.expectEvent(ev, false, true, 'while the wait-all still waits for the semaphore');
    expectReturn(t.nt.semRelease(sem, 1).ret, 0, 'SEM_RELEASE');
    t.expectSem(sem, 0, 1, 'right after the release');
    t.expectEvent(ev, false, false, 'right after the release');
    await expectWoken(w, 0, 0);
  }, { corners: [21] }),

  s('mutex-unlock-grants-every-waiter-with-the-same-owner', 'One unlock to 0 grants every queued waiter that shares one owner id; each counts up.', async (t) => {
    const dev = t.openDevice();
    const mutex = t.mutex(dev, OWNER_A, 1);
    const [b1, b2] = await waiters(t, dev, 2, [mutex], OWNER_B);
    expectReturn(t.nt.mutexUnlock(mutex, OWNER_A).ret, 0, 'MUTEX_UNLOCK by A');
    t.expectMutex(mutex, OWNER_B, 2, 'right after the unlock');
    await expectWoken(b1, 0, 0);
    await expectWoken(b2, 0, 0);
  }, { corners: [22] }),

  s('mutex-unlock-skips-waiters-of-other-owners', 'Once granted, the mutex goes on to later waiters with the same owner, skipping those with another.', async (t) => {
    const dev = t.openDevice();
    const mutex = t.mutex(dev, OWNER_A, 1);
    const b = await t.startWait('any', dev, { objs: [mutex], owner: OWNER_B }, 'waiter B (owner B)');
    const c = await t.startWait('any', dev, { objs: [mutex], owner: OWNER_C }, 'waiter C (owner C)');
    const b2 = await t.startWait('any', dev, { objs: [mutex], owner: OWNER_B }, 'waiter B2 (owner B)');
    expectReturn(t.nt.mutexUnlock(mutex, OWNER_A).ret, 0, 'MUTEX_UNLOCK by A');
    t.expectMutex(mutex, OWNER_B, 2, 'right after the unlock');
    await expectWoken(b, 0, 0);
    await expectWoken(b2, 0, 0);
    await c.expectStillBlocked(50, 'owner B holds the mutex');
    expectReturn(t.nt.mutexUnlock(mutex, OWNER_B).ret, 0, 'MUTEX_UNLOCK by B');
    await c.expectStillBlocked(50, 'owner B still holds it once');
    expectReturn(t.nt.mutexUnlock(mutex, OWNER_B).ret, 0, 'MUTEX_UNLOCK by B again');
    t.expectMutex(mutex, OWNER_C, 1, 'right after the last unlock by B');
    await expectWoken(c, 0, 0);
  }, { corners: [22] }),

  s('mutex-wake-stops-at-0xFFFFFFFF', 'The wake of a mutex stops when its count reaches 0xFFFFFFFF, even for further waiters of the owner.', async (t) => {
    const dev = t.openDevice();
    const mutex = t.mutex(dev, OWNER_A, U32_MAX);
    const [a1, a2] = await waiters(t, dev, 2, [mutex], OWNER_A);
    expectReturn(t.nt.mutexUnlock(mutex, OWNER_A).ret, 0, 'MUTEX_UNLOCK at count 0xffffffff');
    t.expectMutex(mutex, OWNER_A, U32_MAX, 'right after the unlock (one waiter took the freed count)');
    await expectWoken(a1, 0, 0);
    await a2.expectStillBlocked(50, 'the count is back at 0xffffffff');
    expectReturn(t.nt.mutexUnlock(mutex, OWNER_A).ret, 0, 'MUTEX_UNLOCK again');
    await expectWoken(a2, 0, 0);
  }),

  s('manual-event-set-wakes-every-waiter', 'EVENT_SET on a manual event wakes every queued waiter and the event stays signaled.', async (t) => {
    const dev = t.openDevice();
    const ev = t.event(dev, true, false);
    const list = await waiters(t, dev, 3, [ev]);
    expectReturn(t.nt.eventSet(ev).ret, 0, 'EVENT_SET');
    t.expectEvent(ev, true, true, 'right after EVENT_SET');
    for (const w of list) await expectWoken(w, 0, 0);
  }),

  s('auto-event-set-wakes-one-waiter', 'EVENT_SET on an auto event wakes the first waiter only, which consumes it.', async (t) => {
    const dev = t.openDevice();
    const ev = t.event(dev, false, false);
    const [a, b] = await waiters(t, dev, 2, [ev]);
    expectReturn(t.nt.eventSet(ev).ret, 0, 'EVENT_SET');
    t.expectEvent(ev, false, false, 'right after EVENT_SET');
    await expectWoken(a, 0, 0);
    await b.expectStillBlocked(50, 'the auto event was consumed by A');
    expectReturn(t.nt.eventSet(ev).ret, 0, 'EVENT_SET again');
    await expectWoken(b, 0, 0);
  }),

  s('manual-event-pulse-wakes-every-waiter-and-ends-unsignaled', 'EVENT_PULSE on a manual event wakes every queued waiter and leaves the event unsignaled.', async (t) => {
    const dev = t.openDevice();
    const ev = t.event(dev, true, false);
    const list = await waiters(t, dev, 2, [ev]);
    const r = t.nt.eventPulse(ev);
    expectReturn(r.ret, 0, 'EVENT_PULSE');
    expectEqual(r.prev, 0, 'previous state');
    t.expectEvent(ev, true, false, 'right after EVENT_PULSE');
    for (const w of list) await expectWoken(w, 0, 0);
  }, { corners: [23] }),

  s('auto-event-pulse-wakes-one-waiter', 'EVENT_PULSE on an auto event wakes one waiter and leaves the event unsignaled.', async (t) => {
    const dev = t.openDevice();
    const ev = t.event(dev, false, false);
    const [a, b] = await waiters(t, dev, 2, [ev]);
    expectReturn(t.nt.eventPulse(ev).ret, 0, 'EVENT_PULSE');
    t.expectEvent(ev, false, false, 'right after EVENT_PULSE');
    await expectWoken(a, 0, 0);
    await b.expectStillBlocked(50, 'a pulse of an auto event wakes one waiter');
  }, { corners: [23] }),

  s('pulse-wakes-a-wait-all-whose-other-objects-are-signaled', 'EVENT_PULSE satisfies a blocked wait-all whose other objects are signaled.', async (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 1, 1);
    const ev = t.event(dev, true, false);
    const w = await t.startWait('all', dev, { objs: [sem, ev] }, 'wait-all on {semaphore, manual event}');
    expectReturn(t.nt.eventPulse(ev).ret, 0, 'EVENT_PULSE');
    t.expectSem(sem, 0, 1, 'right after EVENT_PULSE');
    t.expectEvent(ev, true, false, 'right after EVENT_PULSE');
    await expectWoken(w, 0, 0);
  }, { corners: [23] }),

  s('a-satisfied-waiter-takes-only-one-entry', 'A waiter queued twice on one object (duplicates) is satisfied once; the next unit goes to the next waiter.', async (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 0, 2);
    const a = await t.startWait('any', dev, { objs: [sem, sem] }, 'waiter A on {s, s}');
    const b = await t.startWait('any', dev, { objs: [sem] }, 'waiter B on {s}');
    expectReturn(t.nt.semRelease(sem, 2).ret, 0, 'SEM_RELEASE 2');
    t.expectSem(sem, 0, 2, 'right after the release');
    await expectWoken(a, 0, 0);
    await expectWoken(b, 0, 0);
  }, { corners: [12, 21] }),

  s('alert-wakes-a-blocked-wait-with-index-count', 'Signaling the alert wakes a blocked WAIT_ANY or WAIT_ALL with index == count; its objects stay untouched.', async (t) => {
    const dev = t.openDevice();
    for (const kind of ['any', 'all'] as const) {
      const sem = t.sem(dev, 0, 1);
      const idle = t.event(dev, true, false);
      const alert = t.event(dev, false, false);
      const w = await t.startWait(kind, dev, { objs: [sem, idle], alert }, `${kind === 'any' ? 'WAIT_ANY' : 'WAIT_ALL'} with an alert`);
      expectReturn(t.nt.eventSet(alert).ret, 0, 'EVENT_SET on the alert');
      t.expectEvent(alert, false, false, 'right after setting the alert');
      await expectWoken(w, 0, 2);
    }
  }, { corners: [16] }),

  s('mutex-kill-wakes-a-wait-all-with-EOWNERDEAD', 'MUTEX_KILL wakes a blocked wait-all: EOWNERDEAD, index 0, every object acquired.', async (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 1, 1);
    const mutex = t.mutex(dev, OWNER_A, 1);
    const w = await t.startWait('all', dev, { objs: [sem, mutex], owner: OWNER_B }, 'wait-all B on {semaphore, mutex held by A}');
    expectReturn(t.nt.mutexKill(mutex, OWNER_A), 0, 'MUTEX_KILL by A');
    t.expectMutex(mutex, OWNER_B, 1, 'right after the kill');
    t.expectSem(sem, 0, 1, 'right after the kill');
    await expectWoken(w, -EOWNERDEAD, 0);
  }, { corners: [10, 21] }),
];
