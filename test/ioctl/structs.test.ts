// The byte layouts of section 2, proven through the Dispatcher: every field is given a value that
// only its own offset can explain, and the observable effect is checked. The bytes are built in
// test/helpers/ioctl-harness.ts with DataView, independently of src/ioctl/structs.ts.
import { EINVAL, ETIMEDOUT } from '../../src/core/errno';
import { U32_MAX } from '../../src/core/types';
import * as N from '../../src/ioctl/numbers';
import { IoctlHarness, PENDING, readU32, readU64, u32s, waitArgs } from '../helpers/ioctl-harness';

const U64_MAX = 0xffffffffffffffffn;

describe('struct ntsync_sem_args {count @0, max @4} (8 bytes)', () => {
  test('CREATE_SEM reads count then max; SEM_READ writes them there', () => {
    const h = new IoctlHarness();
    // {count 1, max 2} is valid; read the other way round it would be EINVAL.
    const r = h.device(N.NTSYNC_IOC_CREATE_SEM, u32s(1, 2));
    expect(r.ret).toBeGreaterThan(0);
    expect(h.object(r.ret, N.NTSYNC_IOC_SEM_READ)).toEqual({ ret: 0, out: u32s(1, 2) });
    expect(h.device(N.NTSYNC_IOC_CREATE_SEM, u32s(2, 1)).ret).toBe(-EINVAL);
    // Full u32 range, unsigned.
    const big = h.device(N.NTSYNC_IOC_CREATE_SEM, u32s(0x80000001, 0xfffffffe)).ret;
    expect(h.object(big, N.NTSYNC_IOC_SEM_READ)).toEqual({ ret: 0, out: u32s(0x80000001, 0xfffffffe) });
    expect(h.semState(big)).toEqual([0x80000001, 0xfffffffe]);
  });

  test('SEM_RELEASE: a u32 in, the previous count out (4 bytes)', () => {
    const h = new IoctlHarness();
    const sem = h.sem(0x7fffffff, U32_MAX).id;
    const r = h.object(sem, N.NTSYNC_IOC_SEM_RELEASE, u32s(0x80000000));
    expect(r).toEqual({ ret: 0, out: u32s(0x7fffffff) });
    expect(h.semState(sem)).toEqual([U32_MAX, U32_MAX]);
  });
});

describe('struct ntsync_mutex_args {owner @0, count @4} (8 bytes)', () => {
  test('CREATE_MUTEX reads owner then count; MUTEX_READ writes them there', () => {
    const h = new IoctlHarness();
    const r = h.device(N.NTSYNC_IOC_CREATE_MUTEX, u32s(0xabcdef01, 3));
    expect(r.ret).toBeGreaterThan(0);
    expect(h.object(r.ret, N.NTSYNC_IOC_MUTEX_READ)).toEqual({ ret: 0, out: u32s(0xabcdef01, 3) });
    // The owner is the one that can unlock: proves which field was which.
    expect(h.object(r.ret, N.NTSYNC_IOC_MUTEX_UNLOCK, u32s(3, 0)).ret).toBeLessThan(0);
    expect(h.object(r.ret, N.NTSYNC_IOC_MUTEX_UNLOCK, u32s(0xabcdef01, 0)).ret).toBe(0);
  });

  test('MUTEX_UNLOCK: owner in @0; only count (the previous count) is written, @4', () => {
    const h = new IoctlHarness();
    const m = h.mutex(0x90000000, 5).id;
    const r = h.object(m, N.NTSYNC_IOC_MUTEX_UNLOCK, u32s(0x90000000, 0xdeadbeef));
    expect(r.ret).toBe(0);
    expect(r.out.length).toBe(8);
    // The owner bytes go back exactly as they came in; count is the previous count.
    expect(r.out).toEqual(u32s(0x90000000, 5));
  });

  test('MUTEX_KILL: a u32 owner in, nothing out', () => {
    const h = new IoctlHarness();
    const m = h.mutex(0xfffffff0, 2).id;
    expect(h.object(m, N.NTSYNC_IOC_MUTEX_KILL, u32s(0xfffffff0))).toEqual({ ret: 0, out: new Uint8Array(0) });
  });
});

describe('struct ntsync_event_args {manual @0, signaled @4} (8 bytes; the .rst order is wrong)', () => {
  test('CREATE_EVENT reads manual then signaled; EVENT_READ writes them there', () => {
    const h = new IoctlHarness();
    const manualOnly = h.device(N.NTSYNC_IOC_CREATE_EVENT, u32s(1, 0)).ret;
    expect(h.object(manualOnly, N.NTSYNC_IOC_EVENT_READ)).toEqual({ ret: 0, out: u32s(1, 0) });
    const signaledOnly = h.device(N.NTSYNC_IOC_CREATE_EVENT, u32s(0, 1)).ret;
    expect(h.object(signaledOnly, N.NTSYNC_IOC_EVENT_READ)).toEqual({ ret: 0, out: u32s(0, 1) });
    // Behaviour agrees: the signaled auto event is consumed by a wait, the manual one is not set.
    const fd = h.installFd(signaledOnly);
    expect(h.wait(false, [fd]).ret).toBe(0);
    expect(h.object(signaledOnly, N.NTSYNC_IOC_EVENT_READ).out).toEqual(u32s(0, 0));
    // Non-zero values are stored as booleans and read back as 1.
    const odd = h.device(N.NTSYNC_IOC_CREATE_EVENT, u32s(0x100, 0x80000000)).ret;
    expect(h.object(odd, N.NTSYNC_IOC_EVENT_READ).out).toEqual(u32s(1, 1));
  });

  test('EVENT_SET/RESET/PULSE: the previous state as a u32, 4 bytes out', () => {
    const h = new IoctlHarness();
    const ev = h.event(0, 1).id;
    expect(h.object(ev, N.NTSYNC_IOC_EVENT_SET)).toEqual({ ret: 0, out: u32s(1) });
    expect(h.object(ev, N.NTSYNC_IOC_EVENT_RESET)).toEqual({ ret: 0, out: u32s(1) });
    expect(h.object(ev, N.NTSYNC_IOC_EVENT_PULSE)).toEqual({ ret: 0, out: u32s(0) });
  });
});

describe('struct ntsync_wait_args (40 bytes; the .rst order is wrong)', () => {
  // timeout u64 @0, objs u64 @8, count @16, index @20 (out), flags @24, owner @28, alert @32, pad @36

  test('timeout @0 (u64, all 64 bits) and flags @24', () => {
    const h = new IoctlHarness();
    const ev = h.event(0, 0);
    // A deadline above 2^32 ns but in the MONOTONIC future: only the full 64 bits make it pending.
    const t = h.clock.monotonic + 1n;
    expect(t).toBeGreaterThan(1n << 32n);
    let r = h.wait(false, [ev.fd], { timeout: t });
    expect(r.ret).toBe(PENDING);
    expect(r.pending!.deadline).toBe(t);
    // The high word alone (low word 0) is another deadline: proves the byte order.
    r = h.wait(false, [ev.fd], { timeout: (t >> 32n) << 32n });
    expect(r.ret).toBe(-ETIMEDOUT);
    // flags @24: REALTIME turns the same deadline into the past.
    expect(h.wait(false, [ev.fd], { timeout: t, flags: 1 }).ret).toBe(-ETIMEDOUT);
  });

  test('objs @8 (u64 pointer) and count @16: exactly count ints are read at objs', () => {
    const h = new IoctlHarness();
    const sem0 = h.sem(0, 1);
    const sem1 = h.sem(1, 1);
    const objs = h.caller.mapInts([sem0.fd, sem1.fd]);
    expect(objs).toBeGreaterThan(1n << 32n);
    h.caller.clearLog();
    const input = waitArgs({ objs, count: 2, owner: 1, timeout: 0n });
    const r = h.device(N.NTSYNC_IOC_WAIT_ANY, input);
    expect(r.ret).toBe(0);
    expect(readU32(r.out, 20)).toBe(1);
    expect(h.caller.nonEmptyReads()).toEqual([{ address: objs, length: 8 }]);
    expect(h.caller.resolved).toEqual([sem0.fd, sem1.fd]);
    // count 1: only the first fd.
    h.caller.clearLog();
    expect(h.device(N.NTSYNC_IOC_WAIT_ANY, waitArgs({ objs, count: 1, owner: 1, timeout: 0n })).ret).toBe(-ETIMEDOUT);
    expect(h.caller.resolved).toEqual([sem0.fd]);
  });

  test('objs holds C ints: negative fds do not resolve', () => {
    const h = new IoctlHarness();
    const ev = h.event(1, 1);
    h.caller.clearLog();
    expect(h.wait(false, [-1]).ret).toBe(-EINVAL);
    expect(h.wait(false, [ev.fd, -100]).ret).toBe(-EINVAL);
    // The resolver was asked about -1 and -100, not about 0xFFFFFFFF or 4294967196.
    expect(h.caller.resolved).toContain(-1);
    expect(h.caller.resolved).toContain(-100);
  });

  test('index @20 is the only field a completed wait changes', () => {
    const h = new IoctlHarness();
    const sems = [h.sem(0, 1), h.sem(0, 1), h.sem(1, 1)];
    const input = waitArgs({
      timeout: 0x0102030405060708n,
      objs: h.caller.mapInts(sems.map((s) => s.fd)),
      count: 3,
      index: 0xdeadbeef,
      owner: 0x11223344,
      alert: 0,
      flags: 0,
    });
    const r = h.device(N.NTSYNC_IOC_WAIT_ANY, input);
    expect(r.ret).toBe(0);
    expect(readU32(r.out, 20)).toBe(2);
    expect(readU64(r.out, 0)).toBe(0x0102030405060708n);
    expect(readU32(r.out, 16)).toBe(3);
    for (let i = 0; i < r.out.length; i++) if (i < 20 || i >= 24) expect(r.out[i]).toBe(input[i]);
  });

  test('owner @28: the acquiring owner of a mutex', () => {
    const h = new IoctlHarness();
    const m = h.mutex(0, 0);
    expect(h.wait(false, [m.fd], { owner: 0xcafef00d }).ret).toBe(0);
    expect(h.mutexState(m.id)).toEqual([0xcafef00d, 1]);
    expect(h.wait(true, [m.fd], { owner: 0xcafef00d }).ret).toBe(0);
    expect(h.mutexState(m.id)).toEqual([0xcafef00d, 2]);
  });

  test('alert @32: wakes with index = count', () => {
    const h = new IoctlHarness();
    const sem = h.sem(0, 1);
    const ev = h.event(0, 0);
    const r = h.wait(true, [sem.fd], { alert: ev.fd, timeout: U64_MAX });
    expect(r.ret).toBe(PENDING);
    expect(h.object(ev.id, N.NTSYNC_IOC_EVENT_SET).ret).toBe(0);
    const c = h.complete(r.pending!);
    expect(c.ret).toBe(0);
    expect(readU32(c.out, 20)).toBe(1);
  });

  test('pad @36 must be 0', () => {
    const h = new IoctlHarness();
    const ev = h.event(1, 1);
    expect(h.wait(false, [ev.fd], { pad: 0x01000000 }).ret).toBe(-EINVAL);
    expect(h.wait(false, [ev.fd], { pad: 0 }).ret).toBe(0);
  });
});
