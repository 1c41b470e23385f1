// Section 4: what CREATE returns, the object fds themselves, and object lifetime.
import { fstatSync, readlinkSync } from 'node:fs';
import { EINVAL, ETIMEDOUT } from '../../core/errno';
import {
  NTSYNC_IOC_CREATE_EVENT,
  NTSYNC_IOC_CREATE_MUTEX,
  NTSYNC_IOC_CREATE_SEM,
} from '../../ioctl/numbers';
import { section, type AbiCase } from '../framework/abi-case';
import type { CaseContext } from '../framework/context';
import { describeResult } from '../framework/errno-names';
import { expectBytesEqual, expectEqual, expectErrno, expectReturn, expectSuccess, expectTrue } from '../framework/expect';
import { fail } from '../framework/failure';
import { monotonicNs } from '../sys/clock';
import { getNofile, setNofile } from '../sys/limits';
import { FD_CLOEXEC, F_GETFD, F_GETFL, O_ACCMODE, O_RDONLY, O_RDWR } from '../sys/native';
import { expectWait, OWNER_A, U32_MAX } from './helpers';

const s4 = section('4');
const EMFILE = 24;

const CREATES: ReadonlyArray<[string, number, [number, number]]> = [
  ['CREATE_SEM', NTSYNC_IOC_CREATE_SEM, [3, 7]],
  ['CREATE_MUTEX', NTSYNC_IOC_CREATE_MUTEX, [OWNER_A, 2]],
  ['CREATE_EVENT', NTSYNC_IOC_CREATE_EVENT, [1, 0]],
];

function oneOfEach(t: CaseContext, dev: number): Array<[string, number]> {
  return [
    ['semaphore', t.sem(dev, 1, 2)],
    ['mutex', t.mutex(dev, OWNER_A, 1)],
    ['event', t.event(dev, true, true)],
  ];
}

export const objectCases: AbiCase[] = [
  s4('create-returns-a-new-fd', 'CREATE_* return the new object fd as the ioctl result.', (t) => {
    const dev = t.openDevice();
    const seen = new Set<number>([dev]);
    for (const [name, cmd, [a, b]] of CREATES) {
      for (let i = 0; i < 2; i++) {
        const arg = t.mem.alloc(8);
        t.mem.setU32(arg, a);
        t.mem.setU32(arg + 4, b);
        const fd = t.track(expectSuccess(t.nt.ioctl(dev, cmd, arg), name));
        expectTrue(fd > 0, `${name} returned ${fd}, not an fd`);
        expectTrue(!seen.has(fd), `${name} returned fd ${fd}, which was already open`);
        seen.add(fd);
        expectSuccess(t.sys.fcntl(fd, F_GETFD, 0), `fcntl(F_GETFD) on the fd ${name} returned`);
      }
    }
  }, { corners: [1] }),

  s4('object-fds-are-close-on-exec', 'Object fds are always O_CLOEXEC, whatever the device fd\'s flags.', (t) => {
    for (const devFlags of [O_RDONLY, O_RDONLY | 0o2000000]) {
      const dev = t.openDevice(devFlags);
      for (const [what, fd] of oneOfEach(t, dev)) {
        const flags = expectSuccess(t.sys.fcntl(fd, F_GETFD, 0), 'F_GETFD');
        expectEqual(flags & FD_CLOEXEC, FD_CLOEXEC, `FD_CLOEXEC of a ${what} fd (device opened ${devFlags ? 'with' : 'without'} O_CLOEXEC)`);
      }
    }
  }, { corners: [1] }),

  s4('create-args-are-input-only', 'CREATE args are never written back; they may even be in read-only memory.', (t) => {
    const dev = t.openDevice();
    for (const [name, cmd, [a, b]] of CREATES) {
      const arg = t.mem.alloc(16);
      t.mem.setU32(arg, a);
      t.mem.setU32(arg + 4, b);
      t.mem.setU32(arg + 8, 0x5a5a5a5a); // bytes just past the struct must stay too
      const before = t.mem.bytes(arg, 16);
      t.track(expectSuccess(t.nt.ioctl(dev, cmd, arg), name));
      expectBytesEqual(t.mem.bytes(arg, 16), before, `${name} argument bytes after the call`);
      const ro = t.mem.readOnly((page) => {
        page.setUint32(0, a, true);
        page.setUint32(4, b, true);
      });
      t.track(expectSuccess(t.nt.ioctl(dev, cmd, ro), `${name} with its args in a read-only page`));
    }
  }, { corners: [1] }),

  s4('object-fds-are-read-write', 'The object\'s open file is O_RDWR.', (t) => {
    const dev = t.openDevice(O_RDONLY);
    for (const [what, fd] of oneOfEach(t, dev)) {
      expectEqual(expectSuccess(t.sys.fcntl(fd, F_GETFL, 0), 'F_GETFL') & O_ACCMODE, O_RDWR, `access mode of a ${what} fd`);
    }
  }),

  s4('object-fds-are-anon-inode-ntsync', '/proc/self/fd/N of an object reads "anon_inode:ntsync".', (t) => {
    const dev = t.openDevice();
    for (const [what, fd] of oneOfEach(t, dev)) {
      expectEqual(readlinkSync(`/proc/self/fd/${fd}`), 'anon_inode:ntsync', `/proc/self/fd link of a ${what}`);
    }
  }),

  s4('objects-share-one-inode', 'All objects share the one anonymous inode: fstat gives the same st_ino.', (t) => {
    const a = t.openDevice();
    const b = t.openDevice();
    const fds = [...oneOfEach(t, a), ...oneOfEach(t, b)];
    const ino = fstatSync(fds[0][1]).ino;
    for (const [what, fd] of fds) expectEqual(fstatSync(fd).ino, ino, `st_ino of a ${what} (the first object's is ${ino})`);
  }),

  s4('closing-the-device-keeps-objects-usable', 'Closing the device fd leaves its objects alive and usable through their own ioctls.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 1, 5);
    const mutex = t.mutex(dev, OWNER_A, 2);
    const event = t.event(dev, false, false);
    expectReturn(t.close(dev), 0, 'close(device)');
    const r = t.nt.semRelease(sem, 2);
    expectReturn(r.ret, 0, 'SEM_RELEASE after the device was closed');
    expectEqual(r.prev, 1, 'previous count');
    t.expectSem(sem, 3, 5, 'after the device was closed');
    expectReturn(t.nt.mutexUnlock(mutex, OWNER_A).ret, 0, 'MUTEX_UNLOCK after the device was closed');
    t.expectMutex(mutex, OWNER_A, 1, 'after the device was closed');
    expectReturn(t.nt.mutexKill(mutex, OWNER_A), 0, 'MUTEX_KILL after the device was closed');
    t.expectMutex(mutex, 0, 0, 'after the kill', true);
    expectReturn(t.nt.eventSet(event).ret, 0, 'EVENT_SET after the device was closed');
    t.expectEvent(event, false, true, 'after the device was closed');
  }, { corners: [20] }),

  s4('waits-after-closing-the-device-go-through-a-dup', 'With the device fd closed, waits on its objects work through a dup of it.', (t) => {
    const dev = t.openDevice();
    const copy = t.dup(dev);
    const sem = t.sem(dev, 2, 2);
    const event = t.event(dev, true, true);
    expectReturn(t.close(dev), 0, 'close(device)');
    expectWait(t, 'any', copy, { objs: [sem] }, 0, 0, 'through a dup of the closed device fd');
    expectWait(t, 'all', copy, { objs: [sem, event] }, 0, 0, 'through a dup of the closed device fd');
    t.expectSem(sem, 0, 2, 'after the two waits');
  }, { corners: [20] }),

  s4('a-new-open-is-not-the-closed-instance', 'Objects of a closed device belong to no other open: waiting on them through a new open is EINVAL.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 1, 1);
    expectReturn(t.close(dev), 0, 'close(device)');
    const other = t.openDevice();
    expectWait(t, 'any', other, { objs: [sem] }, -EINVAL, undefined, 'through a new open with an object of the closed one');
    t.expectSem(sem, 1, 1, 'after the refused wait');
  }, { corners: [18, 20] }),

  s4('a-dup-of-an-object-is-the-same-object', 'dup() of an object fd shares the object; it lives until its last fd is closed.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 0, 10);
    const copy = t.dup(sem);
    expectReturn(t.nt.semRelease(copy, 3).ret, 0, 'SEM_RELEASE through the dup');
    t.expectSem(sem, 3, 10, 'through the original fd');
    expectReturn(t.close(sem), 0, 'close(original)');
    t.expectSem(copy, 3, 10, 'through the dup after closing the original');
    expectWait(t, 'any', dev, { objs: [copy] }, 0, 0, 'on the dup');
    t.expectSem(copy, 2, 10, 'after the wait');
  }),

  s4('owner-is-an-opaque-u32', 'The owner is any non-zero u32 the caller picks (no thread identity is looked at).', (t) => {
    const dev = t.openDevice();
    const mutex = t.mutex(dev, U32_MAX, 1);
    expectWait(t, 'any', dev, { objs: [mutex], owner: U32_MAX }, 0, 0, 'by owner 0xffffffff on its own mutex');
    t.expectMutex(mutex, U32_MAX, 2, 'after the recursive wait');
    expectWait(t, 'any', dev, { objs: [mutex], owner: OWNER_A }, -ETIMEDOUT, undefined, 'by another owner');
    const r = t.nt.mutexUnlock(mutex, U32_MAX);
    expectReturn(r.ret, 0, 'MUTEX_UNLOCK by 0xffffffff');
    expectEqual(r.prev, 2, 'previous count');
  }),

  s4('wrong-object-kind-is-EINVAL', 'An object ioctl on an object of another kind gives EINVAL.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 1, 2);
    const mutex = t.mutex(dev, OWNER_A, 1);
    const event = t.event(dev, true, true);
    const wrong: Array<[string, number, () => number]> = [
      ['SEM_RELEASE', mutex, () => t.nt.semRelease(mutex, 1).ret],
      ['SEM_RELEASE', event, () => t.nt.semRelease(event, 1).ret],
      ['SEM_READ', mutex, () => t.nt.semRead(mutex).ret],
      ['SEM_READ', event, () => t.nt.semRead(event).ret],
      ['MUTEX_UNLOCK', sem, () => t.nt.mutexUnlock(sem, OWNER_A).ret],
      ['MUTEX_UNLOCK', event, () => t.nt.mutexUnlock(event, OWNER_A).ret],
      ['MUTEX_KILL', sem, () => t.nt.mutexKill(sem, OWNER_A)],
      ['MUTEX_KILL', event, () => t.nt.mutexKill(event, OWNER_A)],
      ['MUTEX_READ', sem, () => t.nt.mutexRead(sem).ret],
      ['MUTEX_READ', event, () => t.nt.mutexRead(event).ret],
      ['EVENT_SET', sem, () => t.nt.eventSet(sem).ret],
      ['EVENT_SET', mutex, () => t.nt.eventSet(mutex).ret],
      ['EVENT_RESET', sem, () => t.nt.eventReset(sem).ret],
      ['EVENT_RESET', mutex, () => t.nt.eventReset(mutex).ret],
      ['EVENT_PULSE', sem, () => t.nt.eventPulse(sem).ret],
      ['EVENT_PULSE', mutex, () => t.nt.eventPulse(mutex).ret],
      ['EVENT_READ', sem, () => t.nt.eventRead(sem).ret],
      ['EVENT_READ', mutex, () => t.nt.eventRead(mutex).ret],
    ];
    const names = new Map([[sem, 'semaphore'], [mutex, 'mutex'], [event, 'event']]);
    for (const [name, fd, call] of wrong) expectErrno(call(), EINVAL, `${name} on a ${names.get(fd)}`);
    t.expectSem(sem, 1, 2, 'after the refused ioctls');
    t.expectMutex(mutex, OWNER_A, 1, 'after the refused ioctls');
    t.expectEvent(event, true, true, 'after the refused ioctls');
  }),

  s4('create-is-EMFILE-when-no-fd-is-free', 'CREATE fails with EMFILE when the caller has no free fd number.', (t) => {
    const dev = t.openDevice();
    const saved = getNofile();
    // The lowest free fd number: with the soft limit there, every number below it is in use.
    const probe = expectSuccess(t.sys.dup(dev), 'dup');
    t.sys.close(probe);
    const results: Array<[string, number]> = [];
    setNofile({ soft: BigInt(probe), hard: saved.hard });
    try {
      results.push(['CREATE_SEM', t.nt.createSem(dev, 1, 1)]);
      results.push(['CREATE_MUTEX', t.nt.createMutex(dev, 0, 0)]);
      results.push(['CREATE_EVENT', t.nt.createEvent(dev, 0, 0)]);
    } finally {
      setNofile(saved);
    }
    for (const [, r] of results) t.track(r);
    for (const [name, r] of results) expectErrno(r, EMFILE, `${name} with RLIMIT_NOFILE at the lowest free fd`);
    // And the device still works once fds are available again.
    t.sem(dev, 1, 1);
  }),

  s4('closing-an-object-does-not-wake-its-waiter', 'Closing an object fd while a thread waits on it neither wakes nor fails the wait: it ends with ETIMEDOUT.', async (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 0, 1);
    const deadline = t.deadline(600);
    const w = await t.startWait('any', dev, { objs: [sem], timeout: deadline }, 'WAIT_ANY on the semaphore');
    expectReturn(t.close(sem), 0, 'close(semaphore) during the wait');
    await w.expectStillBlocked(200, 'closing the object must not wake it');
    const r = await w.result(3000);
    const now = monotonicNs();
    if (r !== -ETIMEDOUT) fail(`WAIT_ANY after its object was closed: expected ETIMEDOUT (110) at the deadline, got ${describeResult(r)}`);
    expectTrue(now >= deadline, `WAIT_ANY returned ETIMEDOUT ${(Number(deadline - now) / 1e6).toFixed(1)} ms before its deadline`);
    expectEqual(w.block.index, 0xdeadbeef, 'index after ETIMEDOUT (must be left untouched)');
  }, { corners: [19] }),
];
