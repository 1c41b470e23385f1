// Sections 8–10: the life of a mutex (recursion, abandonment), of an event and of a semaphore
// across several operations.
import { EOVERFLOW, EPERM, ETIMEDOUT } from '../../core/errno';
import { section, type AbiCase } from '../framework/abi-case';
import { expectEqual, expectErrno, expectReturn } from '../framework/expect';
import { expectWait, OWNERDEAD, OWNER_A, OWNER_B } from './helpers';

const s8 = section('8');
const s9 = section('9');
const s10 = section('10');

export const objectDetailCases: AbiCase[] = [
  s8('recursion-counts-up-and-unlock-counts-down', 'Each wait by the owner counts up; each unlock returns the count before and counts down; at 0 the mutex is free.', (t) => {
    const dev = t.openDevice();
    const mutex = t.mutex(dev, 0, 0);
    for (let i = 1; i <= 3; i++) {
      expectWait(t, 'any', dev, { objs: [mutex], owner: OWNER_A }, 0, 0, `acquisition #${i}`);
      t.expectMutex(mutex, OWNER_A, i, `after acquisition #${i}`);
    }
    for (let i = 3; i >= 1; i--) {
      const r = t.nt.mutexUnlock(mutex, OWNER_A);
      expectReturn(r.ret, 0, `MUTEX_UNLOCK at count ${i}`);
      expectEqual(r.prev, i, 'count before the unlock');
    }
    t.expectMutex(mutex, 0, 0, 'after as many unlocks as acquisitions');
    expectWait(t, 'any', dev, { objs: [mutex], owner: OWNER_B }, 0, 0, 'by another owner once it is free');
    t.expectMutex(mutex, OWNER_B, 1, 'after the new owner acquired it');
  }),

  s8('abandoned-mutex-refuses-unlock-and-kill', 'An abandoned mutex has owner 0: UNLOCK and KILL give EPERM, even by the previous owner.', (t) => {
    const dev = t.openDevice();
    const mutex = t.mutex(dev, OWNER_A, 2);
    expectReturn(t.nt.mutexKill(mutex, OWNER_A), 0, 'MUTEX_KILL');
    expectErrno(t.nt.mutexUnlock(mutex, OWNER_A).ret, EPERM, 'MUTEX_UNLOCK of the abandoned mutex by its previous owner');
    expectErrno(t.nt.mutexKill(mutex, OWNER_A), EPERM, 'MUTEX_KILL of the abandoned mutex by its previous owner');
    t.expectMutex(mutex, 0, 0, 'after the refused calls', true);
  }, { corners: [8] }),

  s8('abandoned-flag-lasts-until-a-wait-acquires-it', 'MUTEX_READ keeps returning EOWNERDEAD until a wait acquires the mutex; that wait alone gets EOWNERDEAD.', (t) => {
    const dev = t.openDevice();
    const mutex = t.mutex(dev, OWNER_A, 1);
    expectReturn(t.nt.mutexKill(mutex, OWNER_A), 0, 'MUTEX_KILL');
    t.expectMutex(mutex, 0, 0, 'after the kill', true);
    t.expectMutex(mutex, 0, 0, 'read again', true);
    expectWait(t, 'any', dev, { objs: [mutex], owner: OWNER_B }, OWNERDEAD, 0, 'acquiring the abandoned mutex');
    t.expectMutex(mutex, OWNER_B, 1, 'after it was acquired (no longer abandoned)');
    expectWait(t, 'any', dev, { objs: [mutex], owner: OWNER_B }, 0, 0, 'acquiring it again (plain recursion)');
    expectReturn(t.nt.mutexUnlock(mutex, OWNER_B).ret, 0, 'MUTEX_UNLOCK');
    expectReturn(t.nt.mutexUnlock(mutex, OWNER_B).ret, 0, 'MUTEX_UNLOCK');
    t.expectMutex(mutex, 0, 0, 'after unlocking it fully (free, not abandoned)');
  }, { corners: [9, 10] }),

  s9('set-with-no-waiters-leaves-it-signaled', 'EVENT_SET with nobody waiting leaves the event signaled, auto or manual.', (t) => {
    const dev = t.openDevice();
    for (const manual of [false, true]) {
      const ev = t.event(dev, manual, false);
      expectReturn(t.nt.eventSet(ev).ret, 0, 'EVENT_SET');
      t.expectEvent(ev, manual, true, 'after EVENT_SET with no waiters');
    }
  }),

  s9('pulse-with-no-waiters-leaves-it-unsignaled', 'EVENT_PULSE with nobody waiting leaves the event unsignaled and still returns the previous state.', (t) => {
    const dev = t.openDevice();
    for (const manual of [false, true]) {
      const ev = t.event(dev, manual, false);
      const r = t.nt.eventPulse(ev);
      expectReturn(r.ret, 0, 'EVENT_PULSE');
      expectEqual(r.prev, 0, 'previous state of an unsignaled event');
      t.expectEvent(ev, manual, false, 'after EVENT_PULSE with no waiters');
      expectWait(t, 'any', dev, { objs: [ev] }, -ETIMEDOUT, undefined, 'after the pulse');
    }
  }, { corners: [23] }),

  s9('reset-wakes-nobody', 'EVENT_RESET only clears the event: a later wait times out.', (t) => {
    const dev = t.openDevice();
    const ev = t.event(dev, true, true);
    expectReturn(t.nt.eventReset(ev).ret, 0, 'EVENT_RESET');
    expectWait(t, 'any', dev, { objs: [ev] }, -ETIMEDOUT, undefined, 'after the reset');
  }),

  s10('release-is-all-or-nothing', 'A release that would pass max fails whole (EOVERFLOW); a smaller one then succeeds.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 2, 3);
    expectErrno(t.nt.semRelease(sem, 2).ret, EOVERFLOW, 'SEM_RELEASE 2 on {2, 3}');
    t.expectSem(sem, 2, 3, 'after the refused release (nothing added)');
    const r = t.nt.semRelease(sem, 1);
    expectReturn(r.ret, 0, 'SEM_RELEASE 1 on {2, 3}');
    expectEqual(r.prev, 2, 'previous count');
    t.expectSem(sem, 3, 3, 'after the release');
  }, { corners: [7] }),

  s10('max-is-fixed', 'max never changes: after waits and releases it reads as created.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 3, 4);
    expectWait(t, 'all', dev, { objs: [sem] }, 0, 0, 'taking one unit');
    expectReturn(t.nt.semRelease(sem, 2).ret, 0, 'SEM_RELEASE 2');
    t.expectSem(sem, 4, 4, 'after a wait and a release');
    expectErrno(t.nt.semRelease(sem, 1).ret, EOVERFLOW, 'SEM_RELEASE 1 at max');
  }),
];
