// The corner cases of ntsync-abi.md section 13 that are about the ioctl layer, through the
// Dispatcher with a fake caller (memory and fd table under the test's control). The engine-level
// cases are in test/engine/corner-cases.test.ts.
//
// What this layer cannot show, and where it is covered instead:
//  * the fd itself, its O_CLOEXEC flag, node mode 0666, lseek/read/write/poll on the fds: the
//    transport installs the fd (launcher, SECCOMP_ADDFD with O_CLOEXEC); e2e tests of the
//    running daemon check them.
//  * EFAULT for the args struct itself (copy-in) and for the copy-out: with restricted CUSE/FUSE
//    ioctls the kernel copies _IOC_SIZE bytes in before the request reaches us and copies our
//    reply out after it; a bad pointer never reaches the dispatcher. e2e tests check the errno;
//    here we check what the dispatcher owns: which commands need no input bytes, and that the
//    state change is complete when it hands back the output (so a failing copy-out cannot undo
//    it).
import { EFAULT, EINVAL, ENOTTY, EOVERFLOW, EOWNERDEAD, EPERM, ERESTARTSYS, ETIMEDOUT } from '../../src/core/errno';
import { ObjectType, TIMEOUT_INFINITE, U32_MAX } from '../../src/core/types';
import * as N from '../../src/ioctl/numbers';
import { ioc, ior, iow, iowr } from '../../src/ioctl/ioc';
import { FakeCaller } from '../helpers/fake-caller';
import { IoctlHarness, PENDING, inputFor, readU32, u32s, waitArgs } from '../helpers/ioctl-harness';

const U64_MAX = 0xffffffffffffffffn;
const ALL_DEVICE_CMDS = [
  N.NTSYNC_IOC_CREATE_SEM,
  N.NTSYNC_IOC_WAIT_ANY,
  N.NTSYNC_IOC_WAIT_ALL,
  N.NTSYNC_IOC_CREATE_MUTEX,
  N.NTSYNC_IOC_CREATE_EVENT,
];
const ALL_OBJECT_CMDS = [
  N.NTSYNC_IOC_SEM_RELEASE,
  N.NTSYNC_IOC_MUTEX_UNLOCK,
  N.NTSYNC_IOC_MUTEX_KILL,
  N.NTSYNC_IOC_EVENT_SET,
  N.NTSYNC_IOC_EVENT_RESET,
  N.NTSYNC_IOC_EVENT_PULSE,
  N.NTSYNC_IOC_SEM_READ,
  N.NTSYNC_IOC_MUTEX_READ,
  N.NTSYNC_IOC_EVENT_READ,
];

/** A successful wait writes back `index` only: every other byte it copies out is the input's. */
function expectIndexOnly(out: Uint8Array, input: Uint8Array, index: number): void {
  expect(out.length).toBeGreaterThanOrEqual(24);
  expect(out.length).toBeLessThanOrEqual(40);
  expect(readU32(out, 20)).toBe(index);
  const rest = (b: Uint8Array) => [...b.subarray(0, 20), ...b.subarray(24, out.length)];
  expect(rest(out)).toEqual(rest(input.subarray(0, out.length)));
}

test('13.1 CREATE_* return the new object as the ioctl result and never write the args back', () => {
  const h = new IoctlHarness();
  const cases: [number, number, number, ObjectType][] = [
    [N.NTSYNC_IOC_CREATE_SEM, 1, 2, ObjectType.Semaphore],
    [N.NTSYNC_IOC_CREATE_MUTEX, 5, 1, ObjectType.Mutex],
    [N.NTSYNC_IOC_CREATE_EVENT, 1, 0, ObjectType.Event],
  ];
  const ids = new Set<number>();
  for (const [cmd, a, b, type] of cases) {
    const input = u32s(a, b);
    const r = h.device(cmd, input);
    // The result is the new object (the transport turns it into the fd the ioctl returns) ...
    expect(r.ret).toBeGreaterThan(0);
    expect(h.engine.typeOf(r.ret)).toBe(type);
    expect(h.engine.deviceOf(r.ret)).toBe(h.dev);
    // ... and nothing is copied back, not even on error.
    expect(r.out.length).toBe(0);
    expect([...input]).toEqual([...u32s(a, b)]);
    ids.add(r.ret);
  }
  expect(ids.size).toBe(3);
  for (const [cmd, a, b] of [
    [N.NTSYNC_IOC_CREATE_SEM, 3, 2],
    [N.NTSYNC_IOC_CREATE_MUTEX, 0, 1],
    [N.NTSYNC_IOC_CREATE_MUTEX, 1, 0],
  ]) {
    const r = h.device(cmd, u32s(a, b));
    expect(r).toEqual({ ret: -EINVAL, out: new Uint8Array(0) });
  }
  // Objects are created on the device the ioctl came through.
  const dev2 = h.engine.openDevice();
  const r2 = h.device(N.NTSYNC_IOC_CREATE_EVENT, u32s(0, 0), { dev: dev2 });
  expect(h.engine.deviceOf(r2.ret)).toBe(dev2);
  // O_CLOEXEC and "the result is an fd" are the transport's (launcher + SECCOMP_ADDFD); the e2e
  // tests check them on real fds.
});

test('13.5 SEM_RELEASE reads its input before the type check; EVENT_* and *_READ read no input', () => {
  const h = new IoctlHarness();
  const sem = h.sem(0, 5).id;
  const mutex = h.mutex(0, 0).id;
  const ev = h.event(0, 0).id;
  // SEM_RELEASE is _IOWR: its 4 bytes always arrive (the kernel copies them in first, so a bad
  // pointer is EFAULT whatever the object; that part is e2e). On a non-semaphore: EINVAL.
  expect(h.object(mutex, N.NTSYNC_IOC_SEM_RELEASE, u32s(1))).toEqual({ ret: -EINVAL, out: new Uint8Array(0) });
  expect(h.object(ev, N.NTSYNC_IOC_SEM_RELEASE, u32s(1))).toEqual({ ret: -EINVAL, out: new Uint8Array(0) });

  // EVENT_SET/RESET/PULSE and the READs are _IOR: no input bytes at all, and they work.
  const none = new Uint8Array(0);
  expect(h.object(ev, N.NTSYNC_IOC_EVENT_SET, none)).toEqual({ ret: 0, out: u32s(0) });
  expect(h.object(ev, N.NTSYNC_IOC_EVENT_PULSE, none)).toEqual({ ret: 0, out: u32s(1) });
  expect(h.object(ev, N.NTSYNC_IOC_EVENT_RESET, none)).toEqual({ ret: 0, out: u32s(0) });
  expect(h.object(ev, N.NTSYNC_IOC_EVENT_READ, none)).toEqual({ ret: 0, out: u32s(0, 0) });
  expect(h.object(sem, N.NTSYNC_IOC_SEM_READ, none)).toEqual({ ret: 0, out: u32s(0, 5) });
  expect(h.object(mutex, N.NTSYNC_IOC_MUTEX_READ, none)).toEqual({ ret: 0, out: u32s(0, 0) });

  // The type check comes first for them, and a failure writes nothing (so a bad output pointer
  // cannot turn the EINVAL into EFAULT).
  for (const cmd of [N.NTSYNC_IOC_EVENT_SET, N.NTSYNC_IOC_EVENT_RESET, N.NTSYNC_IOC_EVENT_PULSE, N.NTSYNC_IOC_EVENT_READ]) {
    expect(h.object(sem, cmd, none)).toEqual({ ret: -EINVAL, out: new Uint8Array(0) });
  }
  expect(h.object(ev, N.NTSYNC_IOC_SEM_READ, none)).toEqual({ ret: -EINVAL, out: new Uint8Array(0) });
  expect(h.object(ev, N.NTSYNC_IOC_MUTEX_READ, none)).toEqual({ ret: -EINVAL, out: new Uint8Array(0) });
  expect(h.object(mutex, N.NTSYNC_IOC_EVENT_READ, none)).toEqual({ ret: -EINVAL, out: new Uint8Array(0) });
  // Input bytes that happen to be there are ignored by the _IOR commands.
  expect(h.object(ev, N.NTSYNC_IOC_EVENT_SET, u32s(0xffffffff))).toEqual({ ret: 0, out: u32s(0) });
});

test('13.6 SEM_RELEASE, MUTEX_UNLOCK, EVENT_SET/RESET/PULSE and waits change state before the output is written', () => {
  // The dispatcher returns the output bytes after the engine call; the transport copies them
  // out afterwards, and if that copy faults (EFAULT, checked e2e) nothing is rolled back. Here:
  // the state change is complete when the call returns, whatever becomes of the output.
  const h = new IoctlHarness();
  const sem = h.sem(0, 5);
  const m = h.mutex(9, 2);
  const ev = h.event(0, 0);

  const pending = h.wait(false, [sem.fd], { timeout: h.clock.inMs(1000) });
  expect(pending.ret).toBe(PENDING);
  let r = h.object(sem.id, N.NTSYNC_IOC_SEM_RELEASE, u32s(2));
  expect(r).toEqual({ ret: 0, out: u32s(0) });
  expect(h.semState(sem.id)).toEqual([1, 5]); // released and one unit already taken by the waiter
  expect(h.takeWoken()).toEqual([pending.pending]);

  r = h.object(m.id, N.NTSYNC_IOC_MUTEX_UNLOCK, u32s(9, 0xdeadbeef));
  expect(r.ret).toBe(0);
  expect(readU32(r.out, 4)).toBe(2);
  expect(h.mutexState(m.id)).toEqual([9, 1]);

  for (const [cmd, prev, after] of [
    [N.NTSYNC_IOC_EVENT_SET, 0, 1],
    [N.NTSYNC_IOC_EVENT_PULSE, 1, 0],
    [N.NTSYNC_IOC_EVENT_SET, 0, 1],
    [N.NTSYNC_IOC_EVENT_RESET, 1, 0],
  ]) {
    r = h.object(ev.id, cmd);
    expect(r).toEqual({ ret: 0, out: u32s(prev) });
    expect(h.eventState(ev.id)).toEqual([0, after]);
  }

  // A successful wait: the acquisition is done when the output is handed back.
  const w = h.wait(false, [sem.fd]);
  expect(w.ret).toBe(0);
  expect(h.semState(sem.id)).toEqual([0, 5]);
});

test('13.9 (ioctl) MUTEX_READ on an abandoned mutex copies out {0,0} and returns EOWNERDEAD', () => {
  const h = new IoctlHarness();
  const m = h.mutex(4, 3);
  expect(h.object(m.id, N.NTSYNC_IOC_MUTEX_KILL, u32s(4))).toEqual({ ret: 0, out: new Uint8Array(0) });
  for (let i = 0; i < 2; i++) {
    expect(h.object(m.id, N.NTSYNC_IOC_MUTEX_READ)).toEqual({ ret: -EOWNERDEAD, out: u32s(0, 0) });
  }
  const w = h.wait(false, [m.fd], { owner: 5 });
  expect(w.ret).toBe(-EOWNERDEAD);
  expect(h.object(m.id, N.NTSYNC_IOC_MUTEX_READ)).toEqual({ ret: 0, out: u32s(5, 1) });
});

test('13.10 (ioctl) a wait acquiring an abandoned mutex returns EOWNERDEAD with index written', () => {
  const h = new IoctlHarness();
  const sem = h.sem(0, 1);
  const m = h.mutex(4, 1);
  expect(h.object(m.id, N.NTSYNC_IOC_MUTEX_KILL, u32s(4)).ret).toBe(0);
  const w = h.wait(false, [sem.fd, m.fd], { owner: 6 });
  expect(w.ret).toBe(-EOWNERDEAD);
  expectIndexOnly(w.out, w.input, 1);
  expect(h.mutexState(m.id)).toEqual([6, 1]);

  // Pending, then woken by KILL: the completion carries the index too.
  const p = h.wait(false, [sem.fd, m.fd], { owner: 7, timeout: U64_MAX });
  expect(p.ret).toBe(PENDING);
  expect(h.object(m.id, N.NTSYNC_IOC_MUTEX_KILL, u32s(6)).ret).toBe(0);
  expect(h.takeWoken()).toEqual([p.pending]);
  const c = h.complete(p.pending!);
  expect(c.ret).toBe(-EOWNERDEAD);
  expectIndexOnly(c.out, p.input, 1);

  // Wait-all: index 0.
  expect(h.object(m.id, N.NTSYNC_IOC_MUTEX_KILL, u32s(7)).ret).toBe(0);
  expect(h.object(sem.id, N.NTSYNC_IOC_SEM_RELEASE, u32s(1)).ret).toBe(0);
  const a = h.wait(true, [sem.fd, m.fd], { owner: 8 });
  expect(a.ret).toBe(-EOWNERDEAD);
  expectIndexOnly(a.out, a.input, 0);
});

test('13.11 wait index is written only on success/EOWNERDEAD, never on ETIMEDOUT, EINTR or validation errors', () => {
  const h = new IoctlHarness();
  const ev = h.event(0, 0);
  const sem = h.sem(1, 2);
  const nothing = new Uint8Array(0);

  // Success: index written, the rest of the struct as it came in.
  let r = h.wait(false, [ev.fd, sem.fd], { index: 0x12345678 });
  expect(r.ret).toBe(0);
  expectIndexOnly(r.out, r.input, 1);

  // Poll that times out.
  r = h.wait(false, [ev.fd, sem.fd]);
  expect({ ret: r.ret, out: r.out }).toEqual({ ret: -ETIMEDOUT, out: nothing });
  r = h.wait(true, [ev.fd, sem.fd]);
  expect({ ret: r.ret, out: r.out }).toEqual({ ret: -ETIMEDOUT, out: nothing });

  // Validation errors, each kind.
  const bad: [boolean, number[], object, number][] = [
    [false, [ev.fd], { pad: 1 }, -EINVAL],
    [false, [ev.fd], { flags: 2 }, -EINVAL],
    [false, [ev.fd], { owner: 0 }, -EINVAL],
    [false, [ev.fd], { count: 65 }, -EINVAL],
    [false, [ev.fd], { objs: h.caller.unmapped() }, -EFAULT],
    [false, [999], {}, -EINVAL],
    [false, [ev.fd], { alert: 999 }, -EINVAL],
    [true, [sem.fd, sem.fd], {}, -EINVAL],
  ];
  for (const [all, fds, fields, err] of bad) {
    r = h.wait(all, fds, { timeout: U64_MAX, ...fields });
    expect({ ret: r.ret, out: r.out }).toEqual({ ret: err, out: nothing });
  }

  // A pending wait that ends by timeout or by a signal (ERESTARTSYS -> EINTR or restart).
  for (const status of [-ETIMEDOUT, -ERESTARTSYS]) {
    const p = h.wait(false, [ev.fd], { timeout: h.clock.inMs(10) });
    expect(p.ret).toBe(PENDING);
    expect(p.out.length).toBe(0);
    expect(h.engine.cancel(p.pending!, status)).toBe(true);
    expect(h.complete(p.pending!)).toEqual({ ret: status, out: nothing });
  }
  // A pending wait that is satisfied: the index.
  const p = h.wait(false, [sem.fd, ev.fd], { timeout: h.clock.inMs(10) });
  expect(p.ret).toBe(PENDING);
  expect(h.object(ev.id, N.NTSYNC_IOC_EVENT_SET).ret).toBe(0);
  expect(h.takeWoken()).toEqual([p.pending]);
  const c = h.complete(p.pending!);
  expect(c.ret).toBe(0);
  expectIndexOnly(c.out, p.input, 1);
});

test('13.14 count 0..64 is valid, 65+ and 0xFFFFFFFF are EINVAL; objs is not read when count is 0 (may be NULL)', () => {
  const h = new IoctlHarness();
  const ev = h.event(1, 1);

  // count 0, objs NULL: nothing read, WAIT_ANY times out, WAIT_ALL succeeds.
  h.caller.clearLog();
  let r = h.wait(false, [], { objs: 0n, count: 0 });
  expect(r.ret).toBe(-ETIMEDOUT);
  r = h.wait(true, [], { objs: 0n, count: 0 });
  expect(r.ret).toBe(0);
  expectIndexOnly(r.out, r.input, 0);
  // count 0 with a garbage pointer: still nothing read.
  r = h.wait(true, [], { objs: h.caller.unmapped(), count: 0 });
  expect(r.ret).toBe(0);
  expect(h.caller.nonEmptyReads()).toEqual([]);

  // Exactly count * 4 bytes are read: a 2-entry array mapped at the very end of a region.
  h.caller.clearLog();
  const objs = h.caller.mapInts([ev.fd, ev.fd]);
  r = h.wait(false, [], { objs, count: 2 });
  expect(r.ret).toBe(0);
  expect(h.caller.nonEmptyReads()).toEqual([{ address: objs, length: 8 }]);
  r = h.wait(false, [], { objs, count: 3 });
  expect(r.ret).toBe(-EFAULT);

  // 64 is the maximum; 65 and above (including values whose byte size wraps) are EINVAL,
  // checked before objs is read.
  const fds64 = Array.from({ length: 64 }, () => ev.fd);
  r = h.wait(false, fds64);
  expect(r.ret).toBe(0);
  expectIndexOnly(r.out, r.input, 0);
  const fds65 = [...fds64, ev.fd];
  for (const count of [65, 66, 0x40000001, 0x80000000, U32_MAX]) {
    h.caller.clearLog();
    r = h.wait(false, fds65, { count });
    expect(r.ret).toBe(-EINVAL);
    expect(h.caller.nonEmptyReads()).toEqual([]);
    r = h.wait(true, fds65, { count, objs: h.caller.unmapped() });
    expect(r.ret).toBe(-EINVAL);
  }
});

test('13.16 (ioctl) alert fd 0 means "no alert"; the alert index is count', () => {
  const h = new IoctlHarness();
  // A signaled event that really sits at fd 0 of the caller.
  const ev = h.event(1, 1);
  h.caller.fds.set(0, ev.id);
  h.caller.clearLog();
  let r = h.wait(false, [], { alert: 0 });
  expect(r.ret).toBe(-ETIMEDOUT); // not woken through fd 0: there is no alert
  expect(h.caller.resolved).not.toContain(0);
  // fd 0 inside objs is an ordinary fd.
  r = h.wait(false, [0]);
  expect(r.ret).toBe(0);
  expectIndexOnly(r.out, r.input, 0);

  // Alert index = count, through the output bytes.
  const sem = h.sem(0, 1);
  r = h.wait(false, [sem.fd, sem.fd, sem.fd], { alert: ev.fd });
  expect(r.ret).toBe(0);
  expectIndexOnly(r.out, r.input, 3);
  r = h.wait(false, [], { alert: ev.fd });
  expect(r.ret).toBe(0);
  expectIndexOnly(r.out, r.input, 0);

  // A negative alert (as a u32: 0xFFFFFFFF) does not resolve: EINVAL.
  r = h.wait(false, [sem.fd], { alert: U32_MAX });
  expect(r.ret).toBe(-EINVAL);
});

test('13.17 (ioctl) timeout 0/past is a poll, U64_MAX infinite, REALTIME picks the clock; other flags or pad are EINVAL', () => {
  const h = new IoctlHarness();
  const ev = h.event(0, 0);
  for (const timeout of [0n, h.clock.monotonic - 1n, h.clock.monotonic]) {
    expect(h.wait(false, [ev.fd], { timeout }).ret).toBe(-ETIMEDOUT);
  }
  let r = h.wait(false, [ev.fd], { timeout: U64_MAX });
  expect(r.ret).toBe(PENDING);
  expect(r.out.length).toBe(0);
  expect(r.pending!.deadline).toBe(TIMEOUT_INFINITE);
  h.engine.cancel(r.pending!, -ERESTARTSYS);

  // Between MONOTONIC now and REALTIME now: future on MONOTONIC, past on REALTIME.
  const t = h.clock.monotonic + 5_000_000_000n;
  expect(t).toBeLessThan(h.clock.realtime);
  r = h.wait(false, [ev.fd], { timeout: t });
  expect(r.ret).toBe(PENDING);
  expect(r.pending!.realtime).toBe(false);
  expect(r.pending!.deadline).toBe(t);
  expect(h.wait(false, [ev.fd], { timeout: t, flags: 1 }).ret).toBe(-ETIMEDOUT);
  r = h.wait(false, [ev.fd], { timeout: h.clock.realtime + 1n, flags: 1 });
  expect(r.ret).toBe(PENDING);
  expect(r.pending!.realtime).toBe(true);

  for (const flags of [2, 3, 0x100, 0x80000000, U32_MAX]) {
    expect(h.wait(false, [ev.fd], { flags, timeout: U64_MAX }).ret).toBe(-EINVAL);
    expect(h.wait(true, [ev.fd], { flags, timeout: U64_MAX }).ret).toBe(-EINVAL);
  }
  for (const pad of [1, 0x100, 0x80000000]) {
    expect(h.wait(false, [ev.fd], { pad, timeout: U64_MAX }).ret).toBe(-EINVAL);
    expect(h.wait(true, [ev.fd], { pad, timeout: U64_MAX }).ret).toBe(-EINVAL);
  }
  // The input value of index is ignored.
  const sem = h.sem(1, 1);
  expect(h.wait(false, [sem.fd], { index: U32_MAX }).ret).toBe(0);
});

test('13.18 a foreign-instance fd, a non-ntsync fd, the device fd or a closed fd in a wait is EINVAL (not EBADF)', () => {
  const h = new IoctlHarness();
  const mine = h.event(1, 1);
  const dev2 = h.engine.openDevice();
  const foreign = h.event(1, 1, dev2);
  // Fds the resolver does not know: the device fd itself, a pipe, a closed fd, a number never
  // opened. For our fake they are simply absent from the table (the resolver answers 0).
  const deviceFd = 40;
  const pipeFd = 41;
  const closed = h.event(1, 1);
  h.caller.fds.delete(closed.fd);
  h.engine.closeObject(closed.id);
  const strangers = [foreign.fd, deviceFd, pipeFd, closed.fd, 1000, -1, -2147483648];

  for (const bad of strangers) {
    for (const all of [false, true]) {
      for (const fds of [[bad], [mine.fd, bad], [bad, mine.fd]]) {
        const r = h.wait(all, fds, { timeout: U64_MAX });
        expect({ bad, all, fds, ret: r.ret, out: r.out.length }).toEqual({ bad, all, fds, ret: -EINVAL, out: 0 });
      }
      const r = h.wait(all, [mine.fd], { alert: bad >>> 0, timeout: U64_MAX });
      expect({ bad, all, ret: r.ret }).toEqual({ bad, all, ret: -EINVAL });
    }
  }
  // Nothing was acquired by the failed waits (mine is manual, still signaled).
  expect(h.eventState(mine.id)).toEqual([1, 1]);
  // The foreign object is fine on its own device.
  const caller2 = new FakeCaller();
  caller2.fds.set(7, foreign.id);
  const r = h.device(
    N.NTSYNC_IOC_WAIT_ANY,
    waitArgs({ objs: caller2.mapInts([7]), count: 1, owner: 1 }),
    { dev: dev2, caller: caller2 },
  );
  expect(r.ret).toBe(0);
});

test('13.25 (ioctl) an interrupted wait answers ERESTARTSYS with no output; the restart re-resolves its fds', () => {
  const h = new IoctlHarness();
  const ev = h.event(0, 0);
  const sem = h.sem(0, 1);
  const timeout = h.clock.inMs(300);
  const first = h.wait(false, [ev.fd, sem.fd], { timeout });
  expect(first.ret).toBe(PENDING);
  expect(h.engine.cancel(first.pending!, -ERESTARTSYS)).toBe(true);
  expect(h.complete(first.pending!)).toEqual({ ret: -ERESTARTSYS, out: new Uint8Array(0) });

  // The restart is the same ioctl again, with the same bytes (absolute deadline unchanged).
  const again = h.device(N.NTSYNC_IOC_WAIT_ANY, first.input);
  expect(again.ret).toBe(PENDING);
  expect(h.dispatcher.pending!.deadline).toBe(timeout);
  const second = h.dispatcher.pending!;
  // The fd of the event is closed while the caller handles the signal: the next restart fails.
  expect(h.engine.cancel(second, -ERESTARTSYS)).toBe(true);
  h.caller.fds.delete(ev.fd);
  h.engine.closeObject(ev.id);
  expect(h.device(N.NTSYNC_IOC_WAIT_ANY, first.input)).toEqual({ ret: -EINVAL, out: new Uint8Array(0) });
  // Restarted after its deadline: ETIMEDOUT at once.
  const third = h.wait(false, [sem.fd], { timeout });
  expect(third.ret).toBe(PENDING);
  h.engine.cancel(third.pending!, -ERESTARTSYS);
  h.clock.monotonic = timeout + 1n;
  expect(h.device(N.NTSYNC_IOC_WAIT_ANY, third.input).ret).toBe(-ETIMEDOUT);
});

test('13.26 unknown ioctls, object ioctls on the device and device ioctls on an object are ENOTTY', () => {
  const h = new IoctlHarness();
  const sem = h.sem(1, 5);
  const m = h.mutex(3, 1);
  const ev = h.event(1, 1);
  const big = new Uint8Array(40);
  const nothing = new Uint8Array(0);

  for (const cmd of ALL_OBJECT_CMDS) {
    expect(h.device(cmd, inputFor(cmd, big))).toEqual({ ret: -ENOTTY, out: nothing });
  }
  for (const cmd of ALL_DEVICE_CMDS) {
    for (const obj of [sem.id, m.id, ev.id]) {
      expect(h.object(obj, cmd, inputFor(cmd, waitArgs({ owner: 1 })))).toEqual({ ret: -ENOTTY, out: nothing });
    }
  }
  const unknown = [
    0,
    ioc(0, 0x4e, 0x80, 0), // _IO('N', 0x80)
    0xc00c4e80, // the 6.10 CREATE_SEM (12-byte struct)
    iowr(0x4e, 0x80, 8), // right nr, wrong direction
    ior(0x4e, 0x80, 8),
    iowr(0x4e, 0x81, 8), // SEM_RELEASE with a wrong size
    iow(0x4e, 0x81, 4),
    iowr(0x4e, 0x82, 32), // WAIT_ANY with the wrong size
    iowr(0x4e, 0x8e, 8), // past the last number
    iowr(0x4e, 0x7f, 8),
    ior(0x4d, 0x8b, 8), // SEM_READ's nr and size with another type
    N.NTSYNC_IOC_SEM_READ | 0x80000000 | 0x40000000,
    0x5421, // FIONBIO (the VFS handles it before the driver)
    0xffffffff,
  ];
  for (const cmd of unknown) {
    expect(h.device(cmd, big)).toEqual({ ret: -ENOTTY, out: nothing });
    for (const obj of [sem.id, m.id, ev.id]) expect(h.object(obj, cmd, big)).toEqual({ ret: -ENOTTY, out: nothing });
  }
  // Nothing changed.
  expect(h.semState(sem.id)).toEqual([1, 5]);
  expect(h.mutexState(m.id)).toEqual([3, 1]);
  expect(h.eventState(ev.id)).toEqual([1, 1]);
  expect([...h.engine.liveObjects()].length).toBe(3);
});

describe('validation order (sections 5 and 6.1)', () => {
  test('SEM_RELEASE: the type is checked before the overflow', () => {
    const h = new IoctlHarness();
    const m = h.mutex(0, 0);
    expect(h.object(m.id, N.NTSYNC_IOC_SEM_RELEASE, u32s(U32_MAX)).ret).toBe(-EINVAL);
    const sem = h.sem(1, 1);
    expect(h.object(sem.id, N.NTSYNC_IOC_SEM_RELEASE, u32s(U32_MAX))).toEqual({ ret: -EOVERFLOW, out: new Uint8Array(0) });
    expect(h.object(sem.id, N.NTSYNC_IOC_SEM_RELEASE, u32s(0))).toEqual({ ret: 0, out: u32s(1) });
  });

  test('MUTEX_UNLOCK / MUTEX_KILL: owner 0, then the type, then the owner match', () => {
    const h = new IoctlHarness();
    const sem = h.sem(0, 1);
    const m = h.mutex(5, 2);
    const nothing = new Uint8Array(0);
    expect(h.object(sem.id, N.NTSYNC_IOC_MUTEX_UNLOCK, u32s(0, 0))).toEqual({ ret: -EINVAL, out: nothing });
    expect(h.object(sem.id, N.NTSYNC_IOC_MUTEX_UNLOCK, u32s(5, 0))).toEqual({ ret: -EINVAL, out: nothing });
    expect(h.object(m.id, N.NTSYNC_IOC_MUTEX_UNLOCK, u32s(0, 0))).toEqual({ ret: -EINVAL, out: nothing });
    expect(h.object(m.id, N.NTSYNC_IOC_MUTEX_UNLOCK, u32s(6, 0))).toEqual({ ret: -EPERM, out: nothing });
    expect(h.object(sem.id, N.NTSYNC_IOC_MUTEX_KILL, u32s(0))).toEqual({ ret: -EINVAL, out: nothing });
    expect(h.object(sem.id, N.NTSYNC_IOC_MUTEX_KILL, u32s(5))).toEqual({ ret: -EINVAL, out: nothing });
    expect(h.object(m.id, N.NTSYNC_IOC_MUTEX_KILL, u32s(0))).toEqual({ ret: -EINVAL, out: nothing });
    expect(h.object(m.id, N.NTSYNC_IOC_MUTEX_KILL, u32s(6))).toEqual({ ret: -EPERM, out: nothing });
    expect(h.mutexState(m.id)).toEqual([5, 2]);
  });

  test('WAIT: struct checks (pad, flags, owner, count) before reading objs, objs (EFAULT) before resolving fds', () => {
    const h = new IoctlHarness();
    const ev = h.event(1, 1);
    const nowhere = h.caller.unmapped();
    for (const all of [false, true]) {
      // Struct errors win over an unreadable objs, and objs is not even read.
      for (const fields of [{ pad: 1 }, { flags: 4 }, { owner: 0 }, { count: 65 }]) {
        h.caller.clearLog();
        const r = h.wait(all, [ev.fd], { objs: nowhere, alert: 999, ...fields });
        expect(r.ret).toBe(-EINVAL);
        expect(h.caller.nonEmptyReads()).toEqual([]);
        expect(h.caller.resolved).toEqual([]);
      }
      // An unreadable objs wins over bad fds (nothing is resolved).
      h.caller.clearLog();
      expect(h.wait(all, [ev.fd], { objs: nowhere, alert: 999 }).ret).toBe(-EFAULT);
      expect(h.caller.resolved).toEqual([]);
      // Bad fds are EINVAL even for a poll that would time out, and even when something is
      // signaled: resolution comes before any acquisition.
      expect(h.wait(all, [ev.fd, 999]).ret).toBe(-EINVAL);
      expect(h.wait(all, [ev.fd], { alert: 999 }).ret).toBe(-EINVAL);
    }
    expect(h.wait(true, [ev.fd, ev.fd]).ret).toBe(-EINVAL);
    expect(h.wait(true, [ev.fd], { alert: ev.fd }).ret).toBe(-EINVAL);
    expect(h.eventState(ev.id)).toEqual([1, 1]);
  });

  test('CREATE_*: the checks of section 5', () => {
    const h = new IoctlHarness();
    expect(h.device(N.NTSYNC_IOC_CREATE_SEM, u32s(2, 1)).ret).toBe(-EINVAL);
    expect(h.device(N.NTSYNC_IOC_CREATE_SEM, u32s(U32_MAX, 0)).ret).toBe(-EINVAL);
    expect(h.device(N.NTSYNC_IOC_CREATE_SEM, u32s(0, 0)).ret).toBeGreaterThan(0);
    expect(h.device(N.NTSYNC_IOC_CREATE_MUTEX, u32s(0, U32_MAX)).ret).toBe(-EINVAL);
    expect(h.device(N.NTSYNC_IOC_CREATE_MUTEX, u32s(U32_MAX, U32_MAX)).ret).toBeGreaterThan(0);
    expect(h.device(N.NTSYNC_IOC_CREATE_EVENT, u32s(U32_MAX, U32_MAX)).ret).toBeGreaterThan(0);
  });
});
