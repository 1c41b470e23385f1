// Section 5, the object ioctls: the order in which each checks things (copy-in, owner, kind,
// ownership), what it writes back, and that a failing copy-out comes after the state change.
import { EFAULT, EINVAL, EOVERFLOW, EPERM } from '../../core/errno';
import {
  NTSYNC_IOC_EVENT_PULSE,
  NTSYNC_IOC_EVENT_READ,
  NTSYNC_IOC_EVENT_RESET,
  NTSYNC_IOC_EVENT_SET,
  NTSYNC_IOC_MUTEX_KILL,
  NTSYNC_IOC_MUTEX_READ,
  NTSYNC_IOC_MUTEX_UNLOCK,
  NTSYNC_IOC_SEM_READ,
  NTSYNC_IOC_SEM_RELEASE,
} from '../../ioctl/numbers';
import { SENTINEL } from '../client/ntsync-calls';
import { section, type AbiCase } from '../framework/abi-case';
import { expectEqual, expectErrno, expectReturn } from '../framework/expect';
import { badPointers, OWNERDEAD, OWNER_A, OWNER_B, U32_MAX } from './helpers';

const s5 = section('5');

export const objectIoctlCases: AbiCase[] = [
  // ---- SEM_RELEASE ----------------------------------------------------------------------
  s5('sem-release-bad-pointer-is-EFAULT', 'SEM_RELEASE with a bad pointer gives EFAULT and releases nothing.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 1, 5);
    for (const bad of badPointers(t)) expectErrno(t.nt.ioctl(sem, NTSYNC_IOC_SEM_RELEASE, bad.addr), EFAULT, `SEM_RELEASE with ${bad.what}`);
    t.expectSem(sem, 1, 5, 'after the faulting releases');
  }),

  s5('sem-release-reads-its-input-before-the-kind-check', 'SEM_RELEASE copies its input before checking the kind: a bad pointer on a mutex or event gives EFAULT, a good one EINVAL.', (t) => {
    const dev = t.openDevice();
    const targets: Array<[string, number]> = [['mutex', t.mutex(dev, 0, 0)], ['event', t.event(dev, false, false)]];
    for (const [what, fd] of targets) {
      for (const bad of badPointers(t)) expectErrno(t.nt.ioctl(fd, NTSYNC_IOC_SEM_RELEASE, bad.addr), EFAULT, `SEM_RELEASE on a ${what} with ${bad.what}`);
      expectErrno(t.nt.semRelease(fd, 1).ret, EINVAL, `SEM_RELEASE on a ${what} with a good pointer`);
    }
  }, { corners: [5] }),

  s5('sem-release-returns-the-previous-count', 'SEM_RELEASE adds the amount and writes the count from before.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 1, 10);
    for (const [amount, before] of [[2, 1], [3, 3], [4, 6]]) {
      const r = t.nt.semRelease(sem, amount);
      expectReturn(r.ret, 0, `SEM_RELEASE ${amount}`);
      expectEqual(r.prev, before, `previous count written by SEM_RELEASE ${amount}`);
    }
    t.expectSem(sem, 10, 10, 'after releasing 2 + 3 + 4 onto 1');
  }),

  s5('sem-release-of-0-succeeds', 'SEM_RELEASE of 0 succeeds and returns the previous count, even at max.', (t) => {
    const dev = t.openDevice();
    for (const [count, max] of [[2, 3], [3, 3], [0, 0]]) {
      const sem = t.sem(dev, count, max);
      const r = t.nt.semRelease(sem, 0);
      expectReturn(r.ret, 0, `SEM_RELEASE 0 on {${count}, ${max}}`);
      expectEqual(r.prev, count, 'previous count');
      t.expectSem(sem, count, max, 'after releasing 0');
    }
  }, { corners: [7] }),

  s5('sem-release-past-max-is-EOVERFLOW', 'SEM_RELEASE past max gives EOVERFLOW, changes nothing and writes nothing.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 2, 3);
    for (const amount of [2, 100, 0x80000000]) {
      const r = t.nt.semRelease(sem, amount);
      expectErrno(r.ret, EOVERFLOW, `SEM_RELEASE ${amount} on {2, 3}`);
      expectEqual(r.prev, amount, 'the argument after EOVERFLOW (must be left alone)');
    }
    t.expectSem(sem, 2, 3, 'after the refused releases');
  }, { corners: [7] }),

  s5('sem-release-wrapping-u32-is-EOVERFLOW', 'SEM_RELEASE whose sum wraps 32 bits gives EOVERFLOW, even with max 0xFFFFFFFF.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 1, U32_MAX);
    expectErrno(t.nt.semRelease(sem, U32_MAX).ret, EOVERFLOW, 'SEM_RELEASE 0xffffffff on {1, 0xffffffff}');
    t.expectSem(sem, 1, U32_MAX, 'after the refused release');
    expectReturn(t.nt.semRelease(sem, U32_MAX - 1).ret, 0, 'SEM_RELEASE 0xfffffffe on {1, 0xffffffff}');
    t.expectSem(sem, U32_MAX, U32_MAX, 'after filling it up');
  }, { corners: [7] }),

  s5('sem-release-output-fault-comes-after-the-release', 'SEM_RELEASE whose output cannot be written gives EFAULT, but the release has happened.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 1, 5);
    expectErrno(t.nt.ioctl(sem, NTSYNC_IOC_SEM_RELEASE, t.mem.readOnlyU32(2)), EFAULT, 'SEM_RELEASE 2 with its argument in a read-only page');
    t.expectSem(sem, 3, 5, 'after the EFAULT');
  }, { corners: [6] }),

  s5('sem-release-overflow-with-read-only-output-is-EOVERFLOW', 'A failing SEM_RELEASE writes nothing: EOVERFLOW, not EFAULT, with a read-only argument.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 1, 2);
    expectErrno(t.nt.ioctl(sem, NTSYNC_IOC_SEM_RELEASE, t.mem.readOnlyU32(5)), EOVERFLOW, 'SEM_RELEASE 5 on {1, 2} from a read-only page');
    t.expectSem(sem, 1, 2, 'after the refused release');
  }),

  // ---- MUTEX_UNLOCK ---------------------------------------------------------------------
  s5('mutex-unlock-bad-pointer-is-EFAULT', 'MUTEX_UNLOCK copies its struct first: a bad pointer gives EFAULT, on a mutex or any other object.', (t) => {
    const dev = t.openDevice();
    const mutex = t.mutex(dev, OWNER_A, 1);
    const targets: Array<[string, number]> = [['mutex', mutex], ['semaphore', t.sem(dev, 0, 1)], ['event', t.event(dev, false, false)]];
    for (const [what, fd] of targets) {
      for (const bad of badPointers(t)) expectErrno(t.nt.ioctl(fd, NTSYNC_IOC_MUTEX_UNLOCK, bad.addr), EFAULT, `MUTEX_UNLOCK on a ${what} with ${bad.what}`);
    }
    t.expectMutex(mutex, OWNER_A, 1, 'after the faulting unlocks');
  }),

  s5('mutex-unlock-owner-0-is-EINVAL', 'MUTEX_UNLOCK with owner 0 gives EINVAL, before the kind and ownership checks.', (t) => {
    const dev = t.openDevice();
    const owned = t.mutex(dev, OWNER_A, 1);
    const free = t.mutex(dev, 0, 0);
    const targets: Array<[string, number]> = [['owned mutex', owned], ['unowned mutex', free], ['semaphore', t.sem(dev, 0, 1)], ['event', t.event(dev, false, false)]];
    for (const [what, fd] of targets) expectErrno(t.nt.mutexUnlock(fd, 0).ret, EINVAL, `MUTEX_UNLOCK owner 0 on an ${what}`);
    t.expectMutex(owned, OWNER_A, 1, 'after the refused unlocks');
  }, { corners: [8] }),

  s5('mutex-unlock-by-a-non-owner-is-EPERM', 'MUTEX_UNLOCK by anyone but the owner, or of an unowned mutex, gives EPERM and changes nothing.', (t) => {
    const dev = t.openDevice();
    const owned = t.mutex(dev, OWNER_A, 2);
    const free = t.mutex(dev, 0, 0);
    const r = t.nt.mutexUnlock(owned, OWNER_B);
    expectErrno(r.ret, EPERM, 'MUTEX_UNLOCK by a non-owner');
    expectEqual(r.prev, SENTINEL, 'count field after EPERM (must be left alone)');
    expectErrno(t.nt.mutexUnlock(free, OWNER_A).ret, EPERM, 'MUTEX_UNLOCK of an unowned mutex');
    t.expectMutex(owned, OWNER_A, 2, 'after the refused unlock');
    t.expectMutex(free, 0, 0, 'after the refused unlock');
  }, { corners: [8] }),

  s5('mutex-unlock-returns-the-previous-count', 'MUTEX_UNLOCK decrements, writes the count from before into args.count only, and frees the mutex at 0.', (t) => {
    const dev = t.openDevice();
    const mutex = t.mutex(dev, OWNER_A, 3);
    for (const before of [3, 2, 1]) {
      const r = t.nt.mutexUnlock(mutex, OWNER_A);
      expectReturn(r.ret, 0, `MUTEX_UNLOCK at count ${before}`);
      expectEqual(r.prev, before, 'previous count written to args.count');
      expectEqual(r.ownerField, OWNER_A, 'args.owner after the unlock');
    }
    t.expectMutex(mutex, 0, 0, 'after unlocking 3 times');
    expectErrno(t.nt.mutexUnlock(mutex, OWNER_A).ret, EPERM, 'a fourth MUTEX_UNLOCK');
  }),

  s5('mutex-unlock-output-fault-comes-after-the-unlock', 'MUTEX_UNLOCK whose output cannot be written gives EFAULT, but the unlock has happened.', (t) => {
    const dev = t.openDevice();
    const mutex = t.mutex(dev, OWNER_A, 2);
    const ro = t.mem.readOnly((p) => p.setUint32(0, OWNER_A, true));
    expectErrno(t.nt.ioctl(mutex, NTSYNC_IOC_MUTEX_UNLOCK, ro), EFAULT, 'MUTEX_UNLOCK with its struct in a read-only page');
    t.expectMutex(mutex, OWNER_A, 1, 'after the EFAULT');
    const roOther = t.mem.readOnly((p) => p.setUint32(0, OWNER_B, true));
    expectErrno(t.nt.ioctl(mutex, NTSYNC_IOC_MUTEX_UNLOCK, roOther), EPERM, 'MUTEX_UNLOCK by a non-owner from a read-only page (nothing to write)');
  }, { corners: [6] }),

  // ---- MUTEX_KILL -----------------------------------------------------------------------
  s5('mutex-kill-bad-pointer-is-EFAULT', 'MUTEX_KILL reads its owner first: a bad pointer gives EFAULT, on a mutex or any other object.', (t) => {
    const dev = t.openDevice();
    const mutex = t.mutex(dev, OWNER_A, 1);
    const targets: Array<[string, number]> = [['mutex', mutex], ['semaphore', t.sem(dev, 0, 1)], ['event', t.event(dev, false, false)]];
    for (const [what, fd] of targets) {
      for (const bad of badPointers(t)) expectErrno(t.nt.ioctl(fd, NTSYNC_IOC_MUTEX_KILL, bad.addr), EFAULT, `MUTEX_KILL on a ${what} with ${bad.what}`);
    }
    t.expectMutex(mutex, OWNER_A, 1, 'after the faulting kills');
  }),

  s5('mutex-kill-owner-0-is-EINVAL', 'MUTEX_KILL with owner 0 gives EINVAL, before the kind and ownership checks.', (t) => {
    const dev = t.openDevice();
    const owned = t.mutex(dev, OWNER_A, 1);
    const targets: Array<[string, number]> = [['owned mutex', owned], ['unowned mutex', t.mutex(dev, 0, 0)], ['semaphore', t.sem(dev, 0, 1)], ['event', t.event(dev, false, false)]];
    for (const [what, fd] of targets) expectErrno(t.nt.mutexKill(fd, 0), EINVAL, `MUTEX_KILL owner 0 on an ${what}`);
    t.expectMutex(owned, OWNER_A, 1, 'after the refused kills');
  }, { corners: [8] }),

  s5('mutex-kill-by-a-non-owner-is-EPERM', 'MUTEX_KILL by a non-owner, of an unowned or of an abandoned mutex gives EPERM.', (t) => {
    const dev = t.openDevice();
    const owned = t.mutex(dev, OWNER_A, 1);
    expectErrno(t.nt.mutexKill(owned, OWNER_B), EPERM, 'MUTEX_KILL by a non-owner');
    expectErrno(t.nt.mutexKill(t.mutex(dev, 0, 0), OWNER_A), EPERM, 'MUTEX_KILL of an unowned mutex');
    t.expectMutex(owned, OWNER_A, 1, 'after the refused kill');
    expectReturn(t.nt.mutexKill(owned, OWNER_A), 0, 'MUTEX_KILL by the owner');
    expectErrno(t.nt.mutexKill(owned, OWNER_A), EPERM, 'MUTEX_KILL of the now abandoned mutex');
  }, { corners: [8] }),

  s5('mutex-kill-abandons-whatever-the-depth', 'MUTEX_KILL makes the mutex abandoned with owner 0 and count 0, whatever its recursion count.', (t) => {
    const dev = t.openDevice();
    for (const depth of [1, 5, U32_MAX]) {
      const mutex = t.mutex(dev, OWNER_A, depth);
      expectReturn(t.nt.mutexKill(mutex, OWNER_A), 0, `MUTEX_KILL at count ${depth}`);
      t.expectMutex(mutex, 0, 0, `after killing it at count ${depth}`, true);
    }
  }, { corners: [8] }),

  s5('mutex-kill-writes-nothing', 'MUTEX_KILL only reads its argument: it works from a read-only page.', (t) => {
    const dev = t.openDevice();
    const mutex = t.mutex(dev, OWNER_A, 2);
    expectReturn(t.nt.ioctl(mutex, NTSYNC_IOC_MUTEX_KILL, t.mem.readOnlyU32(OWNER_A)), 0, 'MUTEX_KILL from a read-only page');
    t.expectMutex(mutex, 0, 0, 'after the kill', true);
  }),

  // ---- EVENT_SET / RESET / PULSE ----------------------------------------------------------
  s5('event-and-read-ioctls-check-the-kind-before-touching-memory', 'EVENT_* and *_READ check the kind first and read no input: on the wrong kind a bad pointer still gives EINVAL.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 1, 1);
    const mutex = t.mutex(dev, OWNER_A, 1);
    const event = t.event(dev, false, false);
    const calls: Array<[string, number, Array<[string, number]>]> = [
      ['EVENT_SET', NTSYNC_IOC_EVENT_SET, [['semaphore', sem], ['mutex', mutex]]],
      ['EVENT_RESET', NTSYNC_IOC_EVENT_RESET, [['semaphore', sem], ['mutex', mutex]]],
      ['EVENT_PULSE', NTSYNC_IOC_EVENT_PULSE, [['semaphore', sem], ['mutex', mutex]]],
      ['EVENT_READ', NTSYNC_IOC_EVENT_READ, [['semaphore', sem], ['mutex', mutex]]],
      ['SEM_READ', NTSYNC_IOC_SEM_READ, [['mutex', mutex], ['event', event]]],
      ['MUTEX_READ', NTSYNC_IOC_MUTEX_READ, [['semaphore', sem], ['event', event]]],
    ];
    for (const [name, cmd, targets] of calls) {
      for (const [what, fd] of targets) {
        for (const bad of badPointers(t)) expectErrno(t.nt.ioctl(fd, cmd, bad.addr), EINVAL, `${name} on a ${what} with ${bad.what}`);
      }
    }
  }, { corners: [5] }),

  s5('event-set-returns-the-previous-state', 'EVENT_SET signals the event and writes the previous state, 0 or 1.', (t) => {
    const dev = t.openDevice();
    for (const manual of [false, true]) {
      const ev = t.event(dev, manual, false);
      for (const before of [0, 1]) {
        const r = t.nt.eventSet(ev);
        expectReturn(r.ret, 0, 'EVENT_SET');
        expectEqual(r.prev, before, `previous state written by EVENT_SET (${manual ? 'manual' : 'auto'} event)`);
        t.expectEvent(ev, manual, true, 'after EVENT_SET');
      }
    }
  }),

  s5('event-reset-returns-the-previous-state', 'EVENT_RESET unsignals the event and writes the previous state.', (t) => {
    const dev = t.openDevice();
    for (const manual of [false, true]) {
      const ev = t.event(dev, manual, true);
      for (const before of [1, 0]) {
        const r = t.nt.eventReset(ev);
        expectReturn(r.ret, 0, 'EVENT_RESET');
        expectEqual(r.prev, before, `previous state written by EVENT_RESET (${manual ? 'manual' : 'auto'} event)`);
        t.expectEvent(ev, manual, false, 'after EVENT_RESET');
      }
    }
  }),

  s5('event-pulse-returns-the-previous-state-and-leaves-it-unsignaled', 'EVENT_PULSE writes the previous state and always leaves the event unsignaled.', (t) => {
    const dev = t.openDevice();
    for (const manual of [false, true]) {
      const ev = t.event(dev, manual, true);
      for (const before of [1, 0]) {
        const r = t.nt.eventPulse(ev);
        expectReturn(r.ret, 0, 'EVENT_PULSE');
        expectEqual(r.prev, before, `previous state written by EVENT_PULSE (${manual ? 'manual' : 'auto'} event)`);
        t.expectEvent(ev, manual, false, 'after EVENT_PULSE');
      }
    }
  }, { corners: [23] }),

  s5('event-output-fault-comes-after-the-state-change', 'EVENT_SET/RESET/PULSE with an unwritable output give EFAULT after changing the state.', (t) => {
    const dev = t.openDevice();
    const ev = t.event(dev, true, false);
    const ro = t.mem.readOnlyU32(0);
    expectErrno(t.nt.ioctl(ev, NTSYNC_IOC_EVENT_SET, ro), EFAULT, 'EVENT_SET with a read-only output');
    t.expectEvent(ev, true, true, 'after the faulting EVENT_SET');
    expectErrno(t.nt.ioctl(ev, NTSYNC_IOC_EVENT_RESET, ro), EFAULT, 'EVENT_RESET with a read-only output');
    t.expectEvent(ev, true, false, 'after the faulting EVENT_RESET');
    expectReturn(t.nt.eventSet(ev).ret, 0, 'EVENT_SET');
    expectErrno(t.nt.ioctl(ev, NTSYNC_IOC_EVENT_PULSE, ro), EFAULT, 'EVENT_PULSE with a read-only output');
    t.expectEvent(ev, true, false, 'after the faulting EVENT_PULSE');
    for (const bad of badPointers(t)) {
      expectErrno(t.nt.ioctl(ev, NTSYNC_IOC_EVENT_SET, bad.addr), EFAULT, `EVENT_SET with ${bad.what}`);
    }
    t.expectEvent(ev, true, true, 'after EVENT_SET with a bad pointer');
  }, { corners: [6] }),

  // ---- *_READ ---------------------------------------------------------------------------
  s5('reads-write-the-whole-state', 'SEM_READ writes {count, max}, MUTEX_READ {owner, count}, EVENT_READ {manual, signaled}.', (t) => {
    const dev = t.openDevice();
    t.expectSem(t.sem(dev, 3, 9), 3, 9, 'of a {3, 9} semaphore');
    t.expectMutex(t.mutex(dev, 77, 4), 77, 4, 'of a {77, 4} mutex');
    t.expectEvent(t.event(dev, true, false), true, false, 'of a manual unsignaled event');
    t.expectEvent(t.event(dev, false, true), false, true, 'of an auto signaled event');
  }),

  s5('read-bad-pointer-is-EFAULT', 'SEM_READ, MUTEX_READ and EVENT_READ with an unwritable pointer give EFAULT.', (t) => {
    const dev = t.openDevice();
    const calls: Array<[string, number, number]> = [
      ['SEM_READ', NTSYNC_IOC_SEM_READ, t.sem(dev, 1, 1)],
      ['MUTEX_READ', NTSYNC_IOC_MUTEX_READ, t.mutex(dev, OWNER_A, 1)],
      ['EVENT_READ', NTSYNC_IOC_EVENT_READ, t.event(dev, true, true)],
    ];
    for (const [name, cmd, fd] of calls) {
      for (const bad of [...badPointers(t), { what: 'a read-only page', addr: t.mem.readOnlyU32(0) }, { what: 'only 4 writable bytes', addr: t.mem.tail(4) }]) {
        expectErrno(t.nt.ioctl(fd, cmd, bad.addr), EFAULT, `${name} into ${bad.what}`);
      }
    }
  }),

  s5('mutex-read-of-an-abandoned-mutex-is-EOWNERDEAD-with-data', 'MUTEX_READ of an abandoned mutex copies {0, 0} out and then fails with EOWNERDEAD, every time.', (t) => {
    const dev = t.openDevice();
    const mutex = t.mutex(dev, OWNER_A, 3);
    expectReturn(t.nt.mutexKill(mutex, OWNER_A), 0, 'MUTEX_KILL');
    for (let i = 1; i <= 3; i++) {
      const r = t.nt.mutexRead(mutex);
      expectEqual(r.ret, OWNERDEAD, `MUTEX_READ #${i} of the abandoned mutex (result, -130 = EOWNERDEAD)`);
      expectEqual(r.owner, 0, 'owner copied out with EOWNERDEAD');
      expectEqual(r.count, 0, 'count copied out with EOWNERDEAD');
    }
  }, { corners: [9] }),

  s5('mutex-read-of-an-abandoned-mutex-with-a-bad-pointer-is-EFAULT', 'A failing copy-out of an abandoned MUTEX_READ gives EFAULT instead of EOWNERDEAD.', (t) => {
    const dev = t.openDevice();
    const mutex = t.mutex(dev, OWNER_A, 1);
    expectReturn(t.nt.mutexKill(mutex, OWNER_A), 0, 'MUTEX_KILL');
    for (const bad of badPointers(t)) expectErrno(t.nt.ioctl(mutex, NTSYNC_IOC_MUTEX_READ, bad.addr), EFAULT, `MUTEX_READ of an abandoned mutex into ${bad.what}`);
    t.expectMutex(mutex, 0, 0, 'afterwards (still abandoned)', true);
  }, { corners: [9] }),
];
