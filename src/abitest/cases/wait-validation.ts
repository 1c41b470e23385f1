// Section 6.1: argument validation of WAIT_ANY and WAIT_ALL, in the driver's order, and the
// rule that a failed wait acquires nothing and leaves `index` alone.
import { EFAULT, EINVAL, ETIMEDOUT } from '../../core/errno';
import { INDEX_SENTINEL, NTSYNC_WAIT_REALTIME, WaitBlock } from '../client/wait-block';
import { section, type AbiCase } from '../framework/abi-case';
import type { CaseContext, WaitKind } from '../framework/context';
import { describeResult } from '../framework/errno-names';
import { expectBytesEqual, expectEqual, expectErrno, expectReturn, expectSuccess } from '../framework/expect';
import { fail } from '../framework/failure';
import { UNMAPPED_ADDRESS } from '../sys/memory';
import { O_CLOEXEC, O_RDONLY } from '../sys/native';
import { badPointers, expectWait, kindName, OWNERDEAD, OWNER_A, U32_MAX } from './helpers';

const s = section('6.1');
const KINDS: WaitKind[] = ['any', 'all'];

/** An fd number that is certainly not open: opened, then closed. */
function closedFd(t: CaseContext): number {
  const fd = expectSuccess(t.sys.open('/dev/null', O_RDONLY | O_CLOEXEC), 'open(/dev/null)');
  t.sys.close(fd);
  return fd;
}

/** Fds a wait must refuse with EINVAL, each with what it is. */
function foreignFds(t: CaseContext, dev: number): Array<[string, number]> {
  const other = t.openDevice();
  const pipe = t.sys.pipe();
  if (typeof pipe === 'number') throw new Error(`pipe2 failed: ${pipe}`);
  pipe.forEach((fd) => t.track(fd));
  const devNull = t.track(expectSuccess(t.sys.open('/dev/null', O_RDONLY | O_CLOEXEC), 'open(/dev/null)'));
  return [
    ['a closed fd', closedFd(t)],
    ['fd -1', -1],
    ['fd 0x7fffffff', 0x7fffffff],
    ['a pipe fd', pipe[0]],
    ['an fd of /dev/null', devNull],
    ['the device fd itself', dev],
    ['another open of the device', other],
    ["an object of another open of the device", t.sem(other, 1, 1)],
  ];
}

export const waitValidationCases: AbiCase[] = [
  s('args-bad-pointer-is-EFAULT', 'WAIT_* copy the 40-byte struct in first: a bad pointer gives EFAULT.', (t) => {
    const dev = t.openDevice();
    const straddling = t.mem.tail(36);
    for (const kind of KINDS) {
      for (const bad of [...badPointers(t), { what: 'a struct whose last 4 bytes are unreadable', addr: straddling }]) {
        expectErrno(t.wait(kind, dev, new WaitBlock(t.mem, { at: bad.addr })).ret, EFAULT, `${kindName(kind)} with args at ${bad.what}`);
      }
    }
  }),

  s('nonzero-pad-is-EINVAL', 'A non-zero pad gives EINVAL, and nothing is acquired.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 2, 2);
    for (const kind of KINDS) {
      for (const pad of [1, 0x80000000]) expectWait(t, kind, dev, { objs: [sem], pad }, -EINVAL, undefined, `with pad ${pad}`);
    }
    t.expectSem(sem, 2, 2, 'after the refused waits');
  }, { corners: [17, 11] }),

  s('unknown-flags-are-EINVAL', 'Any flags bit other than NTSYNC_WAIT_REALTIME gives EINVAL.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 2, 2);
    for (const kind of KINDS) {
      for (const flags of [0x2, 0x3, 0x80000000, U32_MAX]) expectWait(t, kind, dev, { objs: [sem], flags }, -EINVAL, undefined, `with flags 0x${flags.toString(16)}`);
      expectWait(t, kind, dev, { objs: [sem], flags: NTSYNC_WAIT_REALTIME }, 0, 0, 'with flags NTSYNC_WAIT_REALTIME');
    }
    t.expectSem(sem, 0, 2, 'after the two accepted waits');
  }, { corners: [17] }),

  s('owner-0-is-EINVAL', 'A wait with owner 0 gives EINVAL (7.x), even on objects that are not mutexes.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 2, 2);
    const mutex = t.mutex(dev, 0, 0);
    for (const kind of KINDS) {
      expectWait(t, kind, dev, { objs: [sem], owner: 0 }, -EINVAL, undefined, 'with owner 0 on a semaphore');
      expectWait(t, kind, dev, { objs: [mutex], owner: 0 }, -EINVAL, undefined, 'with owner 0 on a free mutex');
    }
    t.expectSem(sem, 2, 2, 'after the refused waits');
    t.expectMutex(mutex, 0, 0, 'after the refused waits');
  }),

  s('count-64-is-valid', 'count 64 (NTSYNC_MAX_WAIT_COUNT) is accepted.', (t) => {
    const dev = t.openDevice();
    const sems = Array.from({ length: 64 }, (_, i) => t.sem(dev, i === 63 ? 2 : 1, 2));
    const unsignaled = Array.from({ length: 63 }, () => t.event(dev, false, false));
    expectWait(t, 'any', dev, { objs: [...unsignaled, sems[63]] }, 0, 63, 'on 64 objects, the last one signaled');
    expectWait(t, 'all', dev, { objs: sems }, 0, 0, 'on 64 signaled semaphores');
    for (const [i, sem] of sems.entries()) t.expectSem(sem, 0, 2, `of semaphore ${i} after both waits`);
  }, { corners: [14] }),

  s('count-65-is-EINVAL', 'count 65 or more gives EINVAL, and nothing is acquired.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 65, 65);
    const objs = Array.from({ length: 65 }, () => sem);
    const event = t.event(dev, true, true);
    const distinct = [...Array.from({ length: 64 }, () => t.event(dev, true, true)), event];
    expectWait(t, 'any', dev, { objs }, -EINVAL, undefined, 'with count 65');
    expectWait(t, 'all', dev, { objs: distinct }, -EINVAL, undefined, 'with count 65');
    t.expectSem(sem, 65, 65, 'after the refused waits');
  }, { corners: [14] }),

  s('huge-counts-are-EINVAL', 'count 0xFFFFFFFF and counts whose byte size overflows 32 bits give EINVAL.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 1, 1);
    for (const kind of KINDS) {
      for (const count of [U32_MAX, 0x80000000, 0x40000001, 0x40000000, 1000]) {
        expectWait(t, kind, dev, { objs: [sem], count }, -EINVAL, undefined, `with count 0x${count.toString(16)}`);
      }
    }
    t.expectSem(sem, 1, 1, 'after the refused waits');
  }, { corners: [14] }),

  s('header-checks-come-before-reading-objs', 'pad, flags, owner and count are checked before objs is read: with a bad objs pointer they still give EINVAL.', (t) => {
    const dev = t.openDevice();
    for (const kind of KINDS) {
      for (const bad of badPointers(t)) {
        const base = { objsAddr: bad.addr, count: 2 };
        expectWait(t, kind, dev, { ...base, pad: 1 }, -EINVAL, undefined, `with pad 1 and objs at ${bad.what}`);
        expectWait(t, kind, dev, { ...base, flags: 2 }, -EINVAL, undefined, `with flags 2 and objs at ${bad.what}`);
        expectWait(t, kind, dev, { ...base, owner: 0 }, -EINVAL, undefined, `with owner 0 and objs at ${bad.what}`);
        expectWait(t, kind, dev, { ...base, count: 65 }, -EINVAL, undefined, `with count 65 and objs at ${bad.what}`);
      }
    }
  }),

  s('objs-bad-pointer-is-EFAULT', 'A bad objs pointer gives EFAULT; the whole array is read before any fd is looked at.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 1, 1);
    for (const kind of KINDS) {
      for (const bad of badPointers(t)) expectWait(t, kind, dev, { objsAddr: bad.addr, count: 1 }, -EFAULT, undefined, `with objs at ${bad.what}`);
      const straddling = t.mem.tail(4);
      t.mem.setI32(straddling, sem);
      expectWait(t, kind, dev, { objsAddr: straddling, count: 2 }, -EFAULT, undefined, 'with a 2-entry objs whose second entry is unreadable (first: a signaled semaphore)');
      t.mem.setI32(straddling, -1);
      expectWait(t, kind, dev, { objsAddr: straddling, count: 2 }, -EFAULT, undefined, 'with objs {-1, <unreadable>} (EFAULT before the fd lookup)');
      expectWait(t, kind, dev, { objsAddr: UNMAPPED_ADDRESS, count: 1, alert: -1 }, -EFAULT, undefined, 'with a bad objs pointer and a bad alert');
    }
    t.expectSem(sem, 1, 1, 'after the faulting waits');
  }),

  s('objs-is-not-read-when-count-is-0', 'With count 0, objs is not read: NULL or a bad pointer are fine.', (t) => {
    const dev = t.openDevice();
    for (const [what, addr] of [['NULL', 0], ['an unmapped address', UNMAPPED_ADDRESS], ['a PROT_NONE page', t.mem.guard]] as const) {
      expectWait(t, 'any', dev, { objsAddr: addr, count: 0 }, -ETIMEDOUT, undefined, `count 0, objs ${what} (nothing can satisfy it)`);
      expectWait(t, 'all', dev, { objsAddr: addr, count: 0 }, 0, 0, `count 0, objs ${what} (all of nothing)`);
    }
  }, { corners: [14, 15] }),

  s('bad-fds-in-objs-are-EINVAL', 'A closed, negative, non-ntsync, device or other-instance fd in objs gives EINVAL (never EBADF).', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 1, 1);
    for (const [what, fd] of foreignFds(t, dev)) {
      for (const kind of KINDS) {
        expectWait(t, kind, dev, { objs: [fd] }, -EINVAL, undefined, `with ${what} in objs`);
        expectWait(t, kind, dev, { objs: [sem, fd] }, -EINVAL, undefined, `with a signaled semaphore then ${what} in objs`);
      }
    }
    t.expectSem(sem, 1, 1, 'after the refused waits (nothing acquired)');
  }, { corners: [18] }),

  s('bad-alert-is-EINVAL', 'A closed, negative, non-ntsync, device or other-instance fd as alert gives EINVAL.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 1, 1);
    for (const [what, fd] of foreignFds(t, dev)) {
      for (const kind of KINDS) expectWait(t, kind, dev, { objs: [sem], alert: fd }, -EINVAL, undefined, `with ${what} as alert`);
    }
    t.expectSem(sem, 1, 1, 'after the refused waits (nothing acquired)');
  }, { corners: [18, 16] }),

  s('wait-all-duplicates-are-EINVAL', 'WAIT_ALL on the same object twice (also through a dup, also as alert) gives EINVAL.', (t) => {
    const dev = t.openDevice();
    const a = t.sem(dev, 2, 2);
    const b = t.event(dev, true, true);
    const aDup = t.dup(a);
    expectWait(t, 'all', dev, { objs: [a, a] }, -EINVAL, undefined, '{a, a}');
    expectWait(t, 'all', dev, { objs: [a, b, a] }, -EINVAL, undefined, '{a, b, a}');
    expectWait(t, 'all', dev, { objs: [a, aDup] }, -EINVAL, undefined, '{a, dup(a)}');
    expectWait(t, 'all', dev, { objs: [a, b], alert: b }, -EINVAL, undefined, '{a, b} with alert b');
    expectWait(t, 'all', dev, { objs: [a], alert: aDup }, -EINVAL, undefined, '{a} with alert dup(a)');
    t.expectSem(a, 2, 2, 'after the refused waits');
  }, { corners: [13] }),

  s('wait-any-allows-duplicates', 'WAIT_ANY allows duplicates, including the alert in objs; the lowest position is reported.', (t) => {
    const dev = t.openDevice();
    const idle = t.event(dev, false, false);
    const sem = t.sem(dev, 2, 2);
    expectWait(t, 'any', dev, { objs: [idle, sem, sem] }, 0, 1, '{unsignaled, s, s}');
    t.expectSem(sem, 1, 2, 'after one wait on a duplicated semaphore (one unit taken)');
    const ev = t.event(dev, false, true);
    expectWait(t, 'any', dev, { objs: [idle, ev], alert: ev }, 0, 1, '{unsignaled, e} with alert e');
    t.expectEvent(ev, false, false, 'after the wait (consumed once)');
  }, { corners: [12] }),

  s('index-input-is-ignored-and-any-timeout-is-valid', "The input value of index is ignored; any timeout value is accepted.", (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 3, 3);
    expectWait(t, 'any', dev, { objs: [sem], index: U32_MAX }, 0, 0, 'with index 0xffffffff on input');
    expectWait(t, 'all', dev, { objs: [sem], index: 64 }, 0, 0, 'with index 64 on input');
    expectWait(t, 'any', dev, { objs: [sem], timeout: 12345n }, 0, 0, 'with timeout 12345 ns');
  }),

  s('errors-leave-the-struct-untouched', 'On ETIMEDOUT and on validation errors nothing in the struct is written, index included.', (t) => {
    const dev = t.openDevice();
    const idle = t.event(dev, false, false);
    const checks: Array<[WaitKind, string, ConstructorParameters<typeof WaitBlock>[1]]> = [
      ['any', 'ETIMEDOUT', { objs: [idle] }],
      ['all', 'ETIMEDOUT', { objs: [idle] }],
      ['any', 'EINVAL (pad)', { objs: [idle], pad: 1 }],
      ['all', 'EINVAL (duplicate)', { objs: [idle, idle] }],
      ['any', 'EINVAL (bad fd)', { objs: [-1] }],
      ['any', 'EFAULT (objs)', { objsAddr: UNMAPPED_ADDRESS, count: 1 }],
    ];
    for (const [kind, what, spec] of checks) {
      const block = t.waitBlock(spec);
      const before = block.snapshot();
      const r = t.wait(kind, dev, block).ret;
      if (r >= 0) fail(`${kindName(kind)}: expected to fail with ${what}, got ${describeResult(r)}`);
      expectBytesEqual(block.snapshot(), before, `${kindName(kind)} struct after ${what}`);
      expectEqual(block.index, INDEX_SENTINEL, `${kindName(kind)} index after ${what}`);
    }
  }, { corners: [11] }),

  s('alert-0-means-no-alert', 'alert 0 means "no alert": a wait with alert 0 behaves as one without.', (t) => {
    const dev = t.openDevice();
    const idle = t.event(dev, false, false);
    expectWait(t, 'any', dev, { count: 0, alert: 0 }, -ETIMEDOUT, undefined, 'count 0, alert 0');
    expectWait(t, 'any', dev, { objs: [idle], alert: 0 }, -ETIMEDOUT, undefined, '{unsignaled}, alert 0');
    expectWait(t, 'all', dev, { objs: [idle], alert: 0 }, -ETIMEDOUT, undefined, '{unsignaled}, alert 0');
  }, { corners: [16] }),

  s('alert-is-not-type-checked', 'The alert may be a semaphore or a mutex: it is acquired like any wait-any object.', (t) => {
    const dev = t.openDevice();
    const idle = t.event(dev, false, false);
    const sem = t.sem(dev, 1, 1);
    expectWait(t, 'any', dev, { objs: [idle], alert: sem }, 0, 1, 'with a signaled semaphore as alert');
    t.expectSem(sem, 0, 1, 'after the alert woke the wait');
    const mutex = t.mutex(dev, 0, 0);
    expectWait(t, 'all', dev, { objs: [idle], alert: mutex, owner: OWNER_A }, 0, 1, 'with a free mutex as alert');
    t.expectMutex(mutex, OWNER_A, 1, 'after the alert woke the wait');
    const dead = t.mutex(dev, OWNER_A, 1);
    expectReturn(t.nt.mutexKill(dead, OWNER_A), 0, 'MUTEX_KILL');
    expectWait(t, 'any', dev, { objs: [idle], alert: dead, owner: OWNER_A }, OWNERDEAD, 1, 'with an abandoned mutex as alert');
    t.expectMutex(dead, OWNER_A, 1, 'after the alert was acquired');
  }, { corners: [16] }),
];
