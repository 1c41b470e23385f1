// Sanity tests of the naive model itself, against the spec's worked examples and the kernel
// selftest's scenarios (re-expressed: a blocked thread is a pending wait). These keep the
// reference honest independently of the engine.

import { NaiveModel, ModelWait, ModelWaitRequest } from './model';
import { ObjectType, U32_MAX, TIMEOUT_INFINITE } from '../../src/core/types';
import type { EventState, MutexState, SemaphoreState } from '../../src/core/types';
import { EINVAL, EOVERFLOW, EOWNERDEAD, EPERM, ERESTARTSYS, ETIMEDOUT } from '../../src/core/errno';

const NOW = 1_000_000n;
const now = (): bigint => NOW;

function setup() {
  const m = new NaiveModel<string>();
  const dev = m.openDevice();
  let n = 0;
  const wait = (
    all: boolean,
    objects: number[],
    owner: number,
    opts: { alert?: number; timeout?: bigint; tag?: string } = {},
  ): { w: ModelWait<string> | null; req: ModelWaitRequest<string> } => {
    const req = new ModelWaitRequest<string>();
    req.device = dev;
    req.all = all;
    req.objects = objects;
    req.count = objects.length;
    req.alert = opts.alert ?? 0;
    req.owner = owner;
    req.timeout = opts.timeout ?? TIMEOUT_INFINITE;
    req.tag = opts.tag ?? `w${n++}`;
    return { w: m.wait(req, now), req };
  };
  const sem = (id: number): SemaphoreState => {
    const s = { count: -1, max: -1 };
    expect(m.semRead(id, s)).toBe(0);
    return s;
  };
  const mutex = (id: number): [number, MutexState] => {
    const s = { owner: -1, count: -1 };
    const r = m.mutexRead(id, s);
    return [r, s];
  };
  const event = (id: number): EventState => {
    const s = { manual: -1, signaled: -1 };
    expect(m.eventRead(id, s)).toBe(0);
    return s;
  };
  const wokenTags = (): string[] => {
    const t = m.woken.map((w) => `${w.tag}:${w.status}:${w.index}`);
    m.woken.length = 0;
    return t;
  };
  return { m, dev, wait, sem, mutex, event, wokenTags };
}

describe('naive model', () => {
  test('semaphore state, overflow and u32 wrap', () => {
    const { m, dev, sem } = setup();
    expect(m.createSemaphore(dev, 3, 2)).toBe(-EINVAL);
    const s = m.createSemaphore(dev, 2, 2);
    expect(s).toBeGreaterThan(0);
    expect(m.semRelease(s, 1)).toBe(-EOVERFLOW);
    expect(m.semRelease(s, 0)).toBe(2);
    const big = m.createSemaphore(dev, 1, U32_MAX);
    expect(m.semRelease(big, U32_MAX)).toBe(-EOVERFLOW);
    expect(sem(big)).toEqual({ count: 1, max: U32_MAX });
    expect(m.semRelease(big, U32_MAX - 1)).toBe(1);
    expect(sem(big)).toEqual({ count: U32_MAX, max: U32_MAX });
    expect(m.mutexUnlock(s, 1)).toBe(-EINVAL);
    expect(m.eventSet(s)).toBe(-EINVAL);
  });

  test('mutex state, kill and EOWNERDEAD', () => {
    const { m, dev, wait, mutex } = setup();
    expect(m.createMutex(dev, 0, 1)).toBe(-EINVAL);
    expect(m.createMutex(dev, 1, 0)).toBe(-EINVAL);
    const mx = m.createMutex(dev, 123, 2);
    expect(m.mutexUnlock(mx, 0)).toBe(-EINVAL);
    expect(m.mutexUnlock(mx, 456)).toBe(-EPERM);
    expect(m.mutexUnlock(mx, 123)).toBe(2);
    expect(mutex(mx)).toEqual([0, { owner: 123, count: 1 }]);
    expect(m.mutexKill(mx, 456)).toBe(-EPERM);
    expect(m.mutexKill(mx, 123)).toBe(0);
    expect(mutex(mx)).toEqual([-EOWNERDEAD, { owner: 0, count: 0 }]);
    expect(m.mutexKill(mx, 123)).toBe(-EPERM);
    const r = wait(false, [mx], 123, { timeout: 0n });
    expect(r.w).toBeNull();
    expect([r.req.status, r.req.index]).toEqual([-EOWNERDEAD, 0]);
    expect(mutex(mx)).toEqual([0, { owner: 123, count: 1 }]);
    const r2 = wait(false, [mx], 123, { timeout: 0n });
    expect([r2.req.status, r2.req.index]).toEqual([0, 0]);
    expect(mutex(mx)).toEqual([0, { owner: 123, count: 2 }]);
  });

  test('mutex at 0xFFFFFFFF is not acquirable; unlock always runs the wake procedure', () => {
    const { m, dev, wait, mutex, wokenTags } = setup();
    const mx = m.createMutex(dev, 5, U32_MAX);
    const poll = wait(false, [mx], 5, { timeout: 0n });
    expect(poll.req.status).toBe(-ETIMEDOUT);
    const p = wait(false, [mx], 5, { tag: 'own' });
    expect(p.w).not.toBeNull();
    expect(m.mutexUnlock(mx, 5)).toBe(U32_MAX);
    // count dropped to 0xFFFFFFFE and the owner's own waiter re-acquired at once
    expect(wokenTags()).toEqual(['own:0:0']);
    expect(mutex(mx)).toEqual([0, { owner: 5, count: U32_MAX }]);
  });

  test('wake_any scenario (selftest): sem, mutex, auto and manual events', () => {
    const { m, dev, wait, sem, mutex, event, wokenTags } = setup();
    const s = m.createSemaphore(dev, 0, 3);
    const mx = m.createMutex(dev, 123, 1);
    const a = wait(false, [s, mx], 456, { tag: 'a' });
    expect(a.w).not.toBeNull();
    expect(m.semRelease(s, 1)).toBe(0);
    expect(sem(s)).toEqual({ count: 0, max: 3 });
    expect(wokenTags()).toEqual(['a:0:0']);
    expect(wait(false, [mx], 123).req.status).toBe(0);
    const b = wait(false, [s, mx], 456, { tag: 'b' });
    expect(b.w).not.toBeNull();
    expect(m.mutexUnlock(mx, 123)).toBe(2);
    expect(wokenTags()).toEqual([]);
    expect(m.mutexUnlock(mx, 123)).toBe(1);
    expect(mutex(mx)).toEqual([0, { owner: 456, count: 1 }]);
    expect(wokenTags()).toEqual(['b:0:1']);

    const ev = m.createEvent(dev, 0, 0);
    wait(false, [s, ev], 456, { tag: 'c' });
    expect(m.eventSet(ev)).toBe(0);
    expect(event(ev)).toEqual({ manual: 0, signaled: 0 });
    expect(wokenTags()).toEqual(['c:0:1']);
    wait(false, [s, ev], 456, { tag: 'd' });
    expect(m.eventPulse(ev)).toBe(0);
    expect(event(ev)).toEqual({ manual: 0, signaled: 0 });
    expect(wokenTags()).toEqual(['d:0:1']);

    const man = m.createEvent(dev, 1, 0);
    wait(false, [s, man], 456, { tag: 'e' });
    wait(false, [s, man], 456, { tag: 'f' });
    expect(m.eventSet(man)).toBe(0);
    expect(event(man)).toEqual({ manual: 1, signaled: 1 });
    expect(wokenTags()).toEqual(['e:0:1', 'f:0:1']);
    expect(m.eventReset(man)).toBe(1);
    wait(false, [s, man], 456, { tag: 'g' });
    wait(false, [man, s], 456, { tag: 'h' });
    expect(m.eventPulse(man)).toBe(0);
    expect(event(man)).toEqual({ manual: 1, signaled: 0 });
    expect(wokenTags()).toEqual(['g:0:1', 'h:0:0']);
  });

  test('wake_all scenario (selftest)', () => {
    const { m, dev, wait, sem, mutex, event, wokenTags } = setup();
    const s = m.createSemaphore(dev, 0, 3);
    const mx = m.createMutex(dev, 123, 1);
    const man = m.createEvent(dev, 1, 1);
    const auto = m.createEvent(dev, 0, 1);
    const objs = [s, mx, man, auto];
    expect(wait(true, objs, 456, { tag: 'all' }).w).not.toBeNull();
    expect(m.semRelease(s, 1)).toBe(0);
    expect(sem(s).count).toBe(1);
    // a newly arriving wait-any takes the sem the blocked wait-all also wants
    const any = wait(false, [s], 123, { timeout: 0n });
    expect([any.req.status, any.req.index]).toEqual([0, 0]);
    expect(m.mutexUnlock(mx, 123)).toBe(1);
    expect(mutex(mx)).toEqual([0, { owner: 0, count: 0 }]);
    expect(m.eventReset(man)).toBe(1);
    expect(m.semRelease(s, 2)).toBe(0);
    expect(m.eventReset(auto)).toBe(1);
    expect(m.eventSet(man)).toBe(0);
    expect(wokenTags()).toEqual([]);
    expect(m.eventSet(auto)).toBe(0);
    expect(wokenTags()).toEqual(['all:0:0']);
    expect(sem(s).count).toBe(1);
    expect(mutex(mx)).toEqual([0, { owner: 456, count: 1 }]);
    expect(event(man)).toEqual({ manual: 1, signaled: 1 });
    expect(event(auto)).toEqual({ manual: 0, signaled: 0 });
  });

  test('wait-all beats wait-any on the signalled object regardless of arrival', () => {
    const { m, dev, wait, wokenTags } = setup();
    const s = m.createSemaphore(dev, 0, 5);
    wait(false, [s], 1, { tag: 'any1' });
    wait(true, [s], 2, { tag: 'all' });
    wait(false, [s], 3, { tag: 'any2' });
    expect(m.semRelease(s, 2)).toBe(0);
    expect(wokenTags()).toEqual(['all:0:0', 'any1:0:0']);
    expect(m.semRelease(s, 1)).toBe(0);
    expect(wokenTags()).toEqual(['any2:0:0']);
  });

  test('mutex unlock skips other owners but grants several waiters of one owner', () => {
    const { m, dev, wait, mutex, wokenTags } = setup();
    const mx = m.createMutex(dev, 9, 1);
    wait(false, [mx], 1, { tag: 'o1' });
    wait(false, [mx], 2, { tag: 'o2' });
    wait(false, [mx], 1, { tag: 'o1b' });
    expect(m.mutexUnlock(mx, 9)).toBe(1);
    expect(wokenTags()).toEqual(['o1:0:0', 'o1b:0:0']);
    expect(mutex(mx)).toEqual([0, { owner: 1, count: 2 }]);
  });

  test('duplicates and alerts: lowest index wins, alert is checked last', () => {
    const { m, dev, wait } = setup();
    const ev = m.createEvent(dev, 1, 1);
    const r = wait(false, [ev, ev, ev], 1, { alert: ev });
    expect([r.req.status, r.req.index]).toEqual([0, 0]);
    const s = m.createSemaphore(dev, 0, 1);
    const r2 = wait(false, [s, s], 1, { alert: ev });
    expect([r2.req.status, r2.req.index]).toEqual([0, 2]);
    expect(wait(true, [s, s], 1).req.status).toBe(-EINVAL);
    expect(wait(true, [s], 1, { alert: s }).req.status).toBe(-EINVAL);
    expect(wait(false, [s], 1, { alert: -1 }).req.status).toBe(-EINVAL);
    expect(wait(false, [0], 1).req.status).toBe(-EINVAL);
    // WAIT_ALL with count 0 succeeds at once with index 0 even with an unsignaled alert
    const auto = m.createEvent(dev, 0, 0);
    const r3 = wait(true, [], 1, { alert: auto });
    expect([r3.req.status, r3.req.index]).toEqual([0, 0]);
    // WAIT_ALL: all objects have priority over the alert at call time
    const r4 = wait(true, [s, auto], 1, { alert: ev, timeout: 0n });
    expect([r4.req.status, r4.req.index]).toEqual([0, 2]);
    expect(m.semRelease(s, 1)).toBe(0);
    expect(m.eventSet(auto)).toBe(0);
    const r5 = wait(true, [s, auto], 1, { alert: ev, timeout: 0n });
    expect([r5.req.status, r5.req.index]).toEqual([0, 0]);
    // WAIT_ANY with count 0, no alert: only a timeout
    expect(wait(false, [], 1, { timeout: NOW }).req.status).toBe(-ETIMEDOUT);
    expect(wait(false, [], 1, { timeout: NOW + 1n }).w).not.toBeNull();
  });

  test('cancel and lifetimes', () => {
    const { m, dev, wait, wokenTags } = setup();
    const s = m.createSemaphore(dev, 0, 1);
    const { w } = wait(false, [s], 1, { tag: 'x' });
    expect(w).not.toBeNull();
    m.closeObject(s);
    expect(m.typeOf(s)).toBe(ObjectType.Semaphore);
    expect(wait(false, [s], 1, { timeout: 0n }).req.status).toBe(-EINVAL); // closed: invalid for new waits
    m.closeDevice(dev);
    expect(m.deviceAlive(dev)).toBe(true);
    expect(m.semRelease(s, 1)).toBe(0);
    expect(wokenTags()).toEqual(['x:0:0']);
    expect(m.cancel(w!, -ERESTARTSYS)).toBe(false);
    expect(m.typeOf(s)).toBe(0);
    expect(m.deviceAlive(dev)).toBe(false);

    const m2 = setup();
    const e = m2.m.createEvent(m2.dev, 0, 0);
    const p = m2.wait(false, [e], 1);
    m2.m.closeObject(e);
    expect(m2.m.cancel(p.w!, -ETIMEDOUT)).toBe(true);
    expect(p.w!.status).toBe(-ETIMEDOUT);
    expect(m2.m.cancel(p.w!, -ETIMEDOUT)).toBe(false);
    expect(m2.m.typeOf(e)).toBe(0);
    expect(m2.m.eventSet(e)).toBe(-EINVAL);
  });
});
