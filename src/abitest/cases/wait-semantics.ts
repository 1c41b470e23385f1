// Sections 6.2–6.4: what "signaled" and "acquire" mean for each kind, and what WAIT_ANY and
// WAIT_ALL take, report and leave alone when something is available at call time.
import { EFAULT, ETIMEDOUT } from '../../core/errno';
import { NTSYNC_IOC_WAIT_ALL, NTSYNC_IOC_WAIT_ANY } from '../../ioctl/numbers';
import { WaitBlock } from '../client/wait-block';
import { section, type AbiCase } from '../framework/abi-case';
import type { CaseContext } from '../framework/context';
import { expectErrno, expectReturn } from '../framework/expect';
import { expectWait, OWNERDEAD, OWNER_A, OWNER_B, U32_MAX } from './helpers';

const s62 = section('6.2');
const s63 = section('6.3');
const s64 = section('6.4');

/** A mutex owned by OWNER_A and then killed: abandoned, owner 0, count 0. */
function abandonedMutex(t: CaseContext, dev: number): number {
  const m = t.mutex(dev, OWNER_A, 2);
  expectReturn(t.nt.mutexKill(m, OWNER_A), 0, 'MUTEX_KILL');
  return m;
}

/** A wait whose struct sits in a read-only page: the driver can read it but not write index. */
function readOnlyWait(t: CaseContext, objs: number[], owner = OWNER_A): WaitBlock {
  const objsAddr = t.mem.alloc(objs.length * 4, 4);
  objs.forEach((fd, i) => t.mem.setI32(objsAddr + i * 4, fd));
  const addr = t.mem.readOnlyBytes(WaitBlock.encode({ owner }, objs.length, objsAddr));
  return new WaitBlock(t.mem, { at: addr });
}

export const waitSemanticsCases: AbiCase[] = [
  // ---- 6.2 -----------------------------------------------------------------------------
  s62('semaphore-acquire-takes-one-unit', 'A semaphore is signaled while count > 0; acquiring takes one unit.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 2, 3);
    expectWait(t, 'any', dev, { objs: [sem] }, 0, 0, 'on {2, 3}');
    t.expectSem(sem, 1, 3, 'after one wait');
    expectWait(t, 'all', dev, { objs: [sem] }, 0, 0, 'on {1, 3}');
    t.expectSem(sem, 0, 3, 'after two waits');
    expectWait(t, 'any', dev, { objs: [sem] }, -ETIMEDOUT, undefined, 'on {0, 3}');
  }),

  s62('mutex-is-signaled-when-free-or-owned-by-the-waiter', 'A mutex is signaled for owner o when unowned or owned by o; acquiring sets the owner and counts up.', (t) => {
    const dev = t.openDevice();
    const mutex = t.mutex(dev, 0, 0);
    expectWait(t, 'any', dev, { objs: [mutex], owner: OWNER_A }, 0, 0, 'by A on a free mutex');
    t.expectMutex(mutex, OWNER_A, 1, 'after A acquired it');
    expectWait(t, 'all', dev, { objs: [mutex], owner: OWNER_A }, 0, 0, 'by A again');
    t.expectMutex(mutex, OWNER_A, 2, 'after A acquired it twice');
    expectWait(t, 'any', dev, { objs: [mutex], owner: OWNER_B }, -ETIMEDOUT, undefined, 'by B on a mutex A holds');
    expectWait(t, 'all', dev, { objs: [mutex], owner: OWNER_B }, -ETIMEDOUT, undefined, 'by B on a mutex A holds');
    t.expectMutex(mutex, OWNER_A, 2, 'after B was refused');
  }),

  s62('mutex-recursion-stops-at-0xFFFFFFFF', 'Recursion goes up to count 0xFFFFFFFF; there even the owner cannot acquire (the wait times out, no error).', (t) => {
    const dev = t.openDevice();
    const mutex = t.mutex(dev, OWNER_A, U32_MAX - 1);
    expectWait(t, 'any', dev, { objs: [mutex], owner: OWNER_A }, 0, 0, 'by the owner at count 0xfffffffe');
    t.expectMutex(mutex, OWNER_A, U32_MAX, 'after the last possible acquisition');
    expectWait(t, 'any', dev, { objs: [mutex], owner: OWNER_A }, -ETIMEDOUT, undefined, 'by the owner at count 0xffffffff');
    expectWait(t, 'all', dev, { objs: [mutex], owner: OWNER_A }, -ETIMEDOUT, undefined, 'by the owner at count 0xffffffff');
    t.expectMutex(mutex, OWNER_A, U32_MAX, 'after the refused waits');
  }, { corners: [3] }),

  s62('auto-event-is-consumed-manual-event-is-not', 'Acquiring an auto-reset event clears it; a manual-reset event stays signaled.', (t) => {
    const dev = t.openDevice();
    const auto = t.event(dev, false, true);
    const manual = t.event(dev, true, true);
    expectWait(t, 'any', dev, { objs: [auto] }, 0, 0, 'on a signaled auto event');
    t.expectEvent(auto, false, false, 'after one wait');
    expectWait(t, 'any', dev, { objs: [auto] }, -ETIMEDOUT, undefined, 'on the consumed auto event');
    for (let i = 0; i < 3; i++) expectWait(t, i % 2 ? 'all' : 'any', dev, { objs: [manual] }, 0, 0, `#${i + 1} on a signaled manual event`);
    t.expectEvent(manual, true, true, 'after three waits');
  }),

  // ---- 6.3 -----------------------------------------------------------------------------
  s63('lowest-signaled-index-wins-and-only-it-is-acquired', 'WAIT_ANY acquires exactly one object: the lowest-indexed signaled one.', (t) => {
    const dev = t.openDevice();
    const idle = t.event(dev, false, false);
    const s1 = t.sem(dev, 1, 1);
    const s2 = t.sem(dev, 1, 1);
    const ev = t.event(dev, false, true);
    expectWait(t, 'any', dev, { objs: [idle, s1, s2, ev] }, 0, 1, '{unsignaled, s1, s2, e}');
    t.expectSem(s1, 0, 1, 'of s1 (acquired)');
    t.expectSem(s2, 1, 1, 'of s2 (not acquired)');
    t.expectEvent(ev, false, true, 'of e (not acquired)');
    expectWait(t, 'any', dev, { objs: [idle, s1, s2, ev] }, 0, 2, 'again');
    expectWait(t, 'any', dev, { objs: [idle, s1, s2, ev] }, 0, 3, 'a third time');
    expectWait(t, 'any', dev, { objs: [idle, s1, s2, ev] }, -ETIMEDOUT, undefined, 'a fourth time');
  }),

  s63('objects-are-checked-before-the-alert', 'With an object and the alert both signaled, WAIT_ANY takes the object and leaves the alert.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 1, 1);
    const alert = t.event(dev, false, true);
    expectWait(t, 'any', dev, { objs: [sem], alert }, 0, 0, '{s} with a signaled alert');
    t.expectEvent(alert, false, true, 'of the alert (untouched)');
    expectWait(t, 'any', dev, { objs: [sem], alert }, 0, 1, '{s} (now empty) with the alert');
    t.expectEvent(alert, false, false, 'of the alert (consumed)');
  }, { corners: [16] }),

  s63('alert-index-is-count', 'A wait woken by its alert reports index == count.', (t) => {
    const dev = t.openDevice();
    const idle = [t.event(dev, false, false), t.event(dev, false, false), t.sem(dev, 0, 1)];
    const alert = t.event(dev, true, true);
    expectWait(t, 'any', dev, { objs: idle, alert }, 0, 3, 'on three unsignaled objects with a signaled alert');
    expectWait(t, 'any', dev, { count: 0, alert }, 0, 0, 'count 0 with a signaled alert');
  }, { corners: [16] }),

  s63('count-0-without-alert-times-out', 'WAIT_ANY with count 0 and no alert can only time out.', (t) => {
    const dev = t.openDevice();
    expectWait(t, 'any', dev, { count: 0 }, -ETIMEDOUT, undefined, 'count 0, poll');
    expectWait(t, 'any', dev, { count: 0, timeout: t.deadline(50) }, -ETIMEDOUT, undefined, 'count 0, 50 ms deadline');
  }, { corners: [15] }),

  s63('abandoned-mutex-is-EOWNERDEAD-with-its-index', 'Acquiring an abandoned mutex: EOWNERDEAD with index written and the mutex owned with count 1; the next wait by the same owner returns 0.', (t) => {
    const dev = t.openDevice();
    const idle = t.event(dev, false, false);
    const mutex = abandonedMutex(t, dev);
    expectWait(t, 'any', dev, { objs: [idle, mutex], owner: OWNER_B }, OWNERDEAD, 1, '{unsignaled, abandoned mutex}');
    t.expectMutex(mutex, OWNER_B, 1, 'after the EOWNERDEAD acquisition');
    expectWait(t, 'any', dev, { objs: [idle, mutex], owner: OWNER_B }, 0, 1, 'again by the new owner');
    t.expectMutex(mutex, OWNER_B, 2, 'after the recursive acquisition');
  }, { corners: [10] }),

  s63('index-write-fault-comes-after-the-acquisition', 'A WAIT_ANY that cannot write index gives EFAULT, but the object is acquired.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 2, 2);
    expectErrno(t.sys.ioctl(dev, NTSYNC_IOC_WAIT_ANY, readOnlyWait(t, [sem]).addr), EFAULT, 'WAIT_ANY with its struct in a read-only page');
    t.expectSem(sem, 1, 2, 'after the EFAULT');
    const idle = t.event(dev, false, false);
    expectErrno(t.sys.ioctl(dev, NTSYNC_IOC_WAIT_ANY, readOnlyWait(t, [idle]).addr), ETIMEDOUT, 'WAIT_ANY that times out, struct read-only (nothing to write)');
  }, { corners: [6] }),

  // ---- 6.4 -----------------------------------------------------------------------------
  s64('acquires-every-object-when-all-are-signaled', 'WAIT_ALL acquires every object at once (sem −1, mutex owned, auto event cleared) and reports index 0.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 2, 2);
    const mutex = t.mutex(dev, 0, 0);
    const auto = t.event(dev, false, true);
    const manual = t.event(dev, true, true);
    expectWait(t, 'all', dev, { objs: [sem, mutex, auto, manual], owner: OWNER_A }, 0, 0, 'on four signaled objects');
    t.expectSem(sem, 1, 2, 'after WAIT_ALL');
    t.expectMutex(mutex, OWNER_A, 1, 'after WAIT_ALL');
    t.expectEvent(auto, false, false, 'after WAIT_ALL');
    t.expectEvent(manual, true, true, 'after WAIT_ALL');
  }),

  s64('acquires-nothing-unless-all-are-signaled', 'WAIT_ALL never acquires part of its objects.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 1, 1);
    const auto = t.event(dev, false, true);
    const idle = t.event(dev, false, false);
    const held = t.mutex(dev, OWNER_B, 1);
    expectWait(t, 'all', dev, { objs: [sem, auto, idle], owner: OWNER_A }, -ETIMEDOUT, undefined, '{s, e, unsignaled}');
    expectWait(t, 'all', dev, { objs: [sem, auto, held], owner: OWNER_A }, -ETIMEDOUT, undefined, "{s, e, mutex held by another owner}");
    t.expectSem(sem, 1, 1, 'after the failed waits');
    t.expectEvent(auto, false, true, 'after the failed waits');
    t.expectMutex(held, OWNER_B, 1, 'after the failed waits');
  }),

  s64('objects-are-preferred-to-the-alert', 'With all objects and the alert signaled, WAIT_ALL takes the objects (index 0) and leaves the alert.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 1, 1);
    const alert = t.event(dev, false, true);
    expectWait(t, 'all', dev, { objs: [sem], alert }, 0, 0, '{s} with a signaled alert');
    t.expectEvent(alert, false, true, 'of the alert (untouched)');
    t.expectSem(sem, 0, 1, 'of s (acquired)');
  }, { corners: [16] }),

  s64('alert-reports-index-count-and-leaves-the-objects', 'When only the alert is available, WAIT_ALL takes it, reports index == count and leaves the objects alone.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 1, 1);
    const idle = t.event(dev, false, false);
    const alert = t.event(dev, false, true);
    expectWait(t, 'all', dev, { objs: [sem, idle], alert }, 0, 2, '{s, unsignaled} with a signaled alert');
    t.expectEvent(alert, false, false, 'of the alert (consumed)');
    t.expectSem(sem, 1, 1, 'of s (untouched)');
  }, { corners: [16] }),

  s64('count-0-succeeds-at-once-even-with-an-alert', 'WAIT_ALL with count 0 succeeds at once with index 0; an alert is neither needed nor consumed.', (t) => {
    const dev = t.openDevice();
    const idle = t.event(dev, false, false);
    const alert = t.event(dev, false, true);
    expectWait(t, 'all', dev, { count: 0 }, 0, 0, 'count 0');
    expectWait(t, 'all', dev, { count: 0, alert: idle }, 0, 0, 'count 0 with an unsignaled alert');
    expectWait(t, 'all', dev, { count: 0, alert }, 0, 0, 'count 0 with a signaled alert');
    t.expectEvent(alert, false, true, 'of the alert (not consumed)');
  }, { corners: [15] }),

  s64('abandoned-mutex-is-EOWNERDEAD-with-index-0', 'WAIT_ALL including an abandoned mutex: EOWNERDEAD, index 0, and every object acquired.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 1, 1);
    const mutex = abandonedMutex(t, dev);
    const ev = t.event(dev, false, true);
    expectWait(t, 'all', dev, { objs: [sem, mutex, ev], owner: OWNER_B }, OWNERDEAD, 0, '{s, abandoned mutex, e}');
    t.expectSem(sem, 0, 1, 'after the EOWNERDEAD wait');
    t.expectMutex(mutex, OWNER_B, 1, 'after the EOWNERDEAD wait');
    t.expectEvent(ev, false, false, 'after the EOWNERDEAD wait');
  }, { corners: [10] }),

  s64('index-write-fault-comes-after-the-acquisition', 'A WAIT_ALL that cannot write index gives EFAULT, but every object is acquired.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 1, 1);
    const mutex = t.mutex(dev, 0, 0);
    expectErrno(t.sys.ioctl(dev, NTSYNC_IOC_WAIT_ALL, readOnlyWait(t, [sem, mutex]).addr), EFAULT, 'WAIT_ALL with its struct in a read-only page');
    t.expectSem(sem, 0, 1, 'after the EFAULT');
    t.expectMutex(mutex, OWNER_A, 1, 'after the EFAULT');
  }, { corners: [6] }),
];
