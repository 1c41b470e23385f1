// Section 5, CREATE_SEM / CREATE_MUTEX / CREATE_EVENT: copy-in, validation, initial state.
import { EFAULT, EINVAL, ETIMEDOUT, EOVERFLOW } from '../../core/errno';
import { NTSYNC_IOC_CREATE_EVENT, NTSYNC_IOC_CREATE_MUTEX, NTSYNC_IOC_CREATE_SEM } from '../../ioctl/numbers';
import { section, type AbiCase } from '../framework/abi-case';
import type { CaseContext } from '../framework/context';
import { expectErrno, expectReturn, expectSuccess } from '../framework/expect';
import { badPointers, expectWait, OWNER_A, U32_MAX } from './helpers';

const s5 = section('5');

/** Every bad pointer, plus a struct whose second half lies on the no-access page. */
function faultingCreate(t: CaseContext, name: string, cmd: number): void {
  const dev = t.openDevice();
  for (const bad of badPointers(t)) {
    const r = t.nt.ioctl(dev, cmd, bad.addr);
    if (r >= 0) t.track(r);
    expectErrno(r, EFAULT, `${name} with args at ${bad.what}`);
  }
  const straddling = t.mem.tail(4);
  t.mem.setU32(straddling, 1);
  const r = t.nt.ioctl(dev, cmd, straddling);
  if (r >= 0) t.track(r);
  expectErrno(r, EFAULT, `${name} with only the first 4 of 8 bytes readable`);
}

export const createCases: AbiCase[] = [
  s5('create-sem-bad-pointer-is-EFAULT', 'CREATE_SEM copies its 8-byte struct in first: a bad pointer gives EFAULT.', (t) =>
    faultingCreate(t, 'CREATE_SEM', NTSYNC_IOC_CREATE_SEM)),

  s5('create-sem-count-above-max-is-EINVAL', 'CREATE_SEM with count > max gives EINVAL.', (t) => {
    const dev = t.openDevice();
    for (const [count, max] of [[2, 1], [1, 0], [U32_MAX, U32_MAX - 1]]) {
      const r = t.nt.createSem(dev, count, max);
      if (r >= 0) t.track(r);
      expectErrno(r, EINVAL, `CREATE_SEM {count ${count}, max ${max}}`);
    }
  }, { corners: [2] }),

  s5('create-sem-count-equal-to-max-and-max-0-are-valid', 'CREATE_SEM accepts count == max and max == 0, and stores both as given.', (t) => {
    const dev = t.openDevice();
    for (const [count, max] of [[0, 0], [5, 5], [0, 7], [U32_MAX, U32_MAX]]) {
      const sem = t.sem(dev, count, max);
      t.expectSem(sem, count, max, `of a new {count ${count}, max ${max}} semaphore`);
    }
  }, { corners: [2] }),

  s5('create-sem-0-0-can-never-be-signaled', 'A {0, 0} semaphore is valid but can never be signaled: waits time out, releases overflow.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 0, 0);
    expectWait(t, 'any', dev, { objs: [sem] }, -ETIMEDOUT, undefined, 'poll on a {0, 0} semaphore');
    expectErrno(t.nt.semRelease(sem, 1).ret, EOVERFLOW, 'SEM_RELEASE 1 on a {0, 0} semaphore');
    expectReturn(t.nt.semRelease(sem, 0).ret, 0, 'SEM_RELEASE 0 on a {0, 0} semaphore');
    t.expectSem(sem, 0, 0, 'at the end');
  }, { corners: [2] }),

  s5('create-mutex-bad-pointer-is-EFAULT', 'CREATE_MUTEX copies its struct in first: a bad pointer gives EFAULT.', (t) =>
    faultingCreate(t, 'CREATE_MUTEX', NTSYNC_IOC_CREATE_MUTEX)),

  s5('create-mutex-owner-count-mismatch-is-EINVAL', 'CREATE_MUTEX with exactly one of owner and count zero gives EINVAL.', (t) => {
    const dev = t.openDevice();
    for (const [owner, count] of [[OWNER_A, 0], [0, 1], [0, U32_MAX], [U32_MAX, 0]]) {
      const r = t.nt.createMutex(dev, owner, count);
      if (r >= 0) t.track(r);
      expectErrno(r, EINVAL, `CREATE_MUTEX {owner ${owner}, count ${count}}`);
    }
  }, { corners: [3] }),

  s5('create-mutex-unowned-and-owned-are-valid', 'CREATE_MUTEX {0, 0} is unowned, {owner, count} owned with that recursion count; neither is abandoned.', (t) => {
    const dev = t.openDevice();
    for (const [owner, count] of [[0, 0], [OWNER_A, 1], [OWNER_A, 3], [U32_MAX, U32_MAX]]) {
      const mutex = t.mutex(dev, owner, count);
      t.expectMutex(mutex, owner, count, `of a new {owner ${owner}, count ${count}} mutex`);
    }
  }, { corners: [3] }),

  s5('create-mutex-at-max-count-is-not-acquirable-by-its-owner', 'A mutex created with count 0xFFFFFFFF cannot be acquired even by its owner.', (t) => {
    const dev = t.openDevice();
    const mutex = t.mutex(dev, OWNER_A, U32_MAX);
    expectWait(t, 'any', dev, { objs: [mutex], owner: OWNER_A }, -ETIMEDOUT, undefined, 'by the owner of a mutex at count 0xffffffff');
    expectWait(t, 'all', dev, { objs: [mutex], owner: OWNER_A }, -ETIMEDOUT, undefined, 'by the owner of a mutex at count 0xffffffff');
    t.expectMutex(mutex, OWNER_A, U32_MAX, 'after the refused waits');
  }, { corners: [3] }),

  s5('create-event-bad-pointer-is-EFAULT', 'CREATE_EVENT copies its struct in first: a bad pointer gives EFAULT.', (t) =>
    faultingCreate(t, 'CREATE_EVENT', NTSYNC_IOC_CREATE_EVENT)),

  s5('create-event-stores-booleans', 'CREATE_EVENT validates nothing: any non-zero manual/signaled counts as true, and EVENT_READ reports 0/1.', (t) => {
    const dev = t.openDevice();
    const cases: Array<[number, number]> = [[0, 0], [0, 1], [1, 0], [1, 1], [2, 0x80000000], [0x100, 0], [0, U32_MAX]];
    for (const [manual, signaled] of cases) {
      const ev = t.track(expectSuccess(t.nt.createEvent(dev, manual, signaled), `CREATE_EVENT {manual ${manual}, signaled ${signaled}}`));
      t.expectEvent(ev, manual !== 0, signaled !== 0, `of a new {manual ${manual}, signaled ${signaled}} event`);
    }
  }, { corners: [4] }),
];
