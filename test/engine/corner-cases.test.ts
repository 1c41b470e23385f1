// The corner cases of ntsync-abi.md section 13, one named test each, at the engine level.
// The cases that belong to the ioctl layer (13.1 return value and no write-back, 13.5 copy-in
// before the type check, 13.6 copy-out after the state change, 13.11 index untouched, 13.18 fd
// resolution, 13.26 ENOTTY, and the parts of 13.9/13.10/13.14/13.16/13.17/13.25 that are about
// bytes) are in test/ioctl/corner-cases.test.ts, through the Dispatcher.
import { EINVAL, EOVERFLOW, EOWNERDEAD, EPERM, ERESTARTSYS, ETIMEDOUT } from '../../src/core/errno';
import { Wait } from '../../src/core/engine';
import { checkWaitArgs } from '../../src/core/wait-args';
import { NTSYNC_MAX_WAIT_COUNT, ObjectType, TIMEOUT_INFINITE, U32_MAX } from '../../src/core/types';
import { EngineHarness } from '../helpers/engine-harness';
import { NS_PER_MS } from '../helpers/fake-clock';

const U64_MAX = 0xffffffffffffffffn;

test('13.2 CREATE_SEM {0,0} is valid and never signaled; count == max is valid', () => {
  const h = new EngineHarness();
  const e = h.engine;
  const empty = e.createSemaphore(h.dev, 0, 0);
  expect(empty).toBeGreaterThan(0);
  h.expectSem(empty, 0, 0);
  expect(h.pollAny([empty], 1).status).toBe(-ETIMEDOUT);
  const w = h.blockAny([empty], 1);
  expect(e.semRelease(empty, 0)).toBe(0);
  expect(e.semRelease(empty, 1)).toBe(-EOVERFLOW);
  h.expectNoneWoken(w);
  h.expectSem(empty, 0, 0);

  const full = e.createSemaphore(h.dev, 5, 5);
  expect(full).toBeGreaterThan(0);
  h.expectSem(full, 5, 5);
  const big = e.createSemaphore(h.dev, U32_MAX, U32_MAX);
  expect(big).toBeGreaterThan(0);
  h.expectSem(big, U32_MAX, U32_MAX);
  expect(e.createSemaphore(h.dev, 6, 5)).toBe(-EINVAL);
  expect(e.createSemaphore(h.dev, U32_MAX, U32_MAX - 1)).toBe(-EINVAL);
});

test('13.3 CREATE_MUTEX {0,0} valid; exactly one zero is EINVAL; {x, 0xFFFFFFFF} valid and not acquirable even by x', () => {
  const h = new EngineHarness();
  const e = h.engine;
  const free = e.createMutex(h.dev, 0, 0);
  expect(free).toBeGreaterThan(0);
  h.expectMutex(free, 0, 0);
  expect(e.createMutex(h.dev, 7, 0)).toBe(-EINVAL);
  expect(e.createMutex(h.dev, 0, 7)).toBe(-EINVAL);
  expect(e.createMutex(h.dev, 0, U32_MAX)).toBe(-EINVAL);
  expect(e.createMutex(h.dev, U32_MAX, 0)).toBe(-EINVAL);

  const full = e.createMutex(h.dev, 77, U32_MAX);
  expect(full).toBeGreaterThan(0);
  h.expectMutex(full, U32_MAX, 77);
  // Not acquirable even by its owner: the wait blocks or times out, it is not an error.
  expect(h.pollAny([full], 77).status).toBe(-ETIMEDOUT);
  expect(h.pollAll([full], 77).status).toBe(-ETIMEDOUT);
  expect(h.pollAny([full], 78).status).toBe(-ETIMEDOUT);
  const w1 = h.blockAny([full], 77);
  const w2 = h.blockAny([full], 77);
  h.expectMutex(full, U32_MAX, 77);
  // One unlock makes room for exactly one more recursion: the first queued waiter takes it,
  // the count is back at the limit, and the wake stops there.
  expect(e.mutexUnlock(full, 77)).toBe(U32_MAX);
  h.expectWoken([w1, 0, 0]);
  h.expectMutex(full, U32_MAX, 77);
  expect(w2.done).toBe(false);
  expect(e.mutexUnlock(full, 77)).toBe(U32_MAX);
  h.expectWoken([w2, 0, 0]);
});

test('13.4 CREATE_EVENT accepts any values and normalizes them to booleans', () => {
  const h = new EngineHarness();
  const e = h.engine;
  const cases: [number, number, number, number][] = [
    [0, 0, 0, 0],
    [1, 0, 1, 0],
    [0, 1, 0, 1],
    [7, 0x80000000, 1, 1],
    [U32_MAX, 2, 1, 1],
    [0, U32_MAX, 0, 1],
  ];
  for (const [manual, signaled, m, s] of cases) {
    const ev = e.createEvent(h.dev, manual, signaled);
    expect(ev).toBeGreaterThan(0);
    h.expectEvent(ev, s, m);
    // The stored value is a boolean: SET on a "signaled = 2" event reports 1.
    expect(e.eventSet(ev)).toBe(s);
    expect(e.eventReset(ev)).toBe(1);
  }
});

test('13.7 SEM_RELEASE of 0 succeeds; overflow (including u32 wrap) is EOVERFLOW with no change', () => {
  const h = new EngineHarness();
  const e = h.engine;
  const sem = h.sem(3, 10);
  expect(e.semRelease(sem, 0)).toBe(3);
  h.expectSem(sem, 3, 10);
  expect(e.semRelease(sem, 8)).toBe(-EOVERFLOW);
  h.expectSem(sem, 3, 10);
  expect(e.semRelease(sem, 7)).toBe(3);
  h.expectSem(sem, 10, 10);
  expect(e.semRelease(sem, 1)).toBe(-EOVERFLOW);

  // u32 wrap: count + amount would wrap to a small number that is <= max.
  const wide = h.sem(1, U32_MAX);
  expect(e.semRelease(wide, U32_MAX)).toBe(-EOVERFLOW);
  h.expectSem(wide, 1, U32_MAX);
  expect(e.semRelease(wide, U32_MAX - 1)).toBe(1);
  h.expectSem(wide, U32_MAX, U32_MAX);
  expect(e.semRelease(wide, 1)).toBe(-EOVERFLOW);
  expect(e.semRelease(wide, 0)).toBe(U32_MAX);
  h.expectSem(wide, U32_MAX, U32_MAX);

  // A failed release wakes nobody; a release of 0 wakes nobody either.
  const zero = h.sem(0, 2);
  const w = h.blockAny([zero], 1);
  expect(e.semRelease(zero, 3)).toBe(-EOVERFLOW);
  expect(e.semRelease(zero, 0)).toBe(0);
  h.expectNoneWoken(w);
  expect(e.semRelease(zero, 2)).toBe(0);
  h.expectWoken([w, 0, 0]);
  h.expectSem(zero, 1, 2);
});

test('13.8 MUTEX_UNLOCK/KILL: owner 0 EINVAL, non-owner EPERM; KILL resets any recursion depth', () => {
  const h = new EngineHarness();
  const e = h.engine;
  const m = h.mutex(5, 4);
  expect(e.mutexUnlock(m, 0)).toBe(-EINVAL);
  expect(e.mutexKill(m, 0)).toBe(-EINVAL);
  expect(e.mutexUnlock(m, 6)).toBe(-EPERM);
  expect(e.mutexKill(m, 6)).toBe(-EPERM);
  h.expectMutex(m, 4, 5);

  // Owner 0 on a non-mutex is EINVAL either way; so is a good owner on the wrong kind.
  const sem = h.sem(0, 1);
  const ev = h.event(0, 0);
  for (const o of [sem, ev]) {
    expect(e.mutexUnlock(o, 0)).toBe(-EINVAL);
    expect(e.mutexKill(o, 0)).toBe(-EINVAL);
    expect(e.mutexUnlock(o, 5)).toBe(-EINVAL);
    expect(e.mutexKill(o, 5)).toBe(-EINVAL);
  }

  // Unowned mutex: EPERM for everyone.
  const free = h.mutex(0, 0);
  expect(e.mutexUnlock(free, 5)).toBe(-EPERM);
  expect(e.mutexKill(free, 5)).toBe(-EPERM);

  // KILL from a recursion count of 4 leaves {0, 0}, abandoned.
  expect(e.mutexKill(m, 5)).toBe(0);
  expect(h.readMutex(m)).toEqual({ ret: -EOWNERDEAD, owner: 0, count: 0 });
  // Abandoned: owner is 0, so UNLOCK and KILL are EPERM (and EINVAL for owner 0).
  expect(e.mutexUnlock(m, 5)).toBe(-EPERM);
  expect(e.mutexKill(m, 5)).toBe(-EPERM);
  expect(e.mutexUnlock(m, 0)).toBe(-EINVAL);
  expect(e.mutexKill(m, 0)).toBe(-EINVAL);
  expect(h.readMutex(m)).toEqual({ ret: -EOWNERDEAD, owner: 0, count: 0 });

  // UNLOCK returns the count before the decrement; the owner goes to 0 with the count.
  const r = h.mutex(9, 2);
  expect(e.mutexUnlock(r, 9)).toBe(2);
  h.expectMutex(r, 1, 9);
  expect(e.mutexUnlock(r, 9)).toBe(1);
  h.expectMutex(r, 0, 0);
});

test('13.9 MUTEX_READ on an abandoned mutex fills {0,0} and returns EOWNERDEAD until acquired', () => {
  const h = new EngineHarness();
  const e = h.engine;
  const m = h.mutex(3, 2);
  expect(e.mutexKill(m, 3)).toBe(0);
  for (let i = 0; i < 3; i++) {
    const out = { owner: 0xcccccccc, count: 0xcccccccc };
    expect(e.mutexRead(m, out)).toBe(-EOWNERDEAD);
    expect(out).toEqual({ owner: 0, count: 0 });
  }
  // Reads, failed unlocks/kills and timed-out polls by others do not clear the flag.
  expect(e.mutexUnlock(m, 3)).toBe(-EPERM);
  const sem = h.sem(0, 1);
  expect(h.pollAll([m, sem], 4).status).toBe(-ETIMEDOUT);
  expect(h.readMutex(m).ret).toBe(-EOWNERDEAD);
  // Acquisition clears it.
  expect(h.pollAny([m], 4)).toEqual({ status: -EOWNERDEAD, index: 0 });
  h.expectMutex(m, 1, 4);
  expect(e.mutexUnlock(m, 4)).toBe(1);
  h.expectMutex(m, 0, 0);
});

test('13.10 a wait acquiring an abandoned mutex returns EOWNERDEAD with index set and the mutex owned (count 1)', () => {
  const h = new EngineHarness();
  const e = h.engine;
  const sem = h.sem(0, 1);
  const m = h.mutex(1, 3);
  expect(e.mutexKill(m, 1)).toBe(0);

  // Immediate: index is the mutex's position.
  expect(h.pollAny([sem, m], 2)).toEqual({ status: -EOWNERDEAD, index: 1 });
  h.expectMutex(m, 1, 2);
  // Following waits by the same owner: plain recursion, status 0.
  expect(h.pollAny([sem, m], 2)).toEqual({ status: 0, index: 1 });
  h.expectMutex(m, 2, 2);

  // Pending: the KILL wakes the waiter with EOWNERDEAD.
  const w = h.blockAny([sem, m], 3);
  expect(e.mutexKill(m, 2)).toBe(0);
  h.expectWoken([w, -EOWNERDEAD, 1]);
  h.expectMutex(m, 1, 3);

  // Wait-all: index 0, every object acquired, status EOWNERDEAD.
  expect(e.mutexKill(m, 3)).toBe(0);
  const w2 = h.blockAll([sem, m], 4);
  expect(e.semRelease(sem, 1)).toBe(0);
  h.expectWoken([w2, -EOWNERDEAD, 0]);
  h.expectMutex(m, 1, 4);
  h.expectSem(sem, 0, 1);

  // KILL waking a wait-all directly.
  const w3 = h.blockAll([m], 6);
  expect(e.mutexKill(m, 4)).toBe(0);
  h.expectWoken([w3, -EOWNERDEAD, 0]);
  h.expectMutex(m, 1, 6);
  expect(e.mutexUnlock(m, 6)).toBe(1);
  expect(h.pollAny([m], 4)).toEqual({ status: 0, index: 0 });

  // An abandoned mutex used as an alert: acquired for the owner, EOWNERDEAD, index = count.
  expect(e.mutexKill(m, 4)).toBe(0);
  expect(h.pollAny([sem], 5, m)).toEqual({ status: -EOWNERDEAD, index: 1 });
  h.expectMutex(m, 1, 5);
});

test('13.12 WAIT_ANY with duplicates reports the lowest index; an event as both obj and alert reports the obj index', () => {
  const h = new EngineHarness();
  const e = h.engine;
  const sem = h.sem(0, 5);
  const ev = h.event(true, true);
  expect(h.pollAny([sem, ev, ev, sem], 1)).toEqual({ status: 0, index: 1 });
  expect(h.pollAny([sem, ev], 1, ev)).toEqual({ status: 0, index: 1 });
  expect(h.pollAny([ev], 1, ev)).toEqual({ status: 0, index: 0 });

  // Pending: one wake, reported once, at the lowest position of the signaled object.
  const auto = h.event(false, false);
  const w = h.blockAny([sem, auto, sem, auto], 1, { alert: auto });
  expect(e.eventSet(auto)).toBe(0);
  h.expectWoken([w, 0, 1]);
  h.expectEvent(auto, 0, 0);
  // A semaphore appearing twice is decremented once.
  const w2 = h.blockAny([auto, sem, sem], 1);
  expect(e.semRelease(sem, 2)).toBe(0);
  h.expectWoken([w2, 0, 1]);
  h.expectSem(sem, 1, 5);
});

test('13.13 WAIT_ALL with duplicates, or with the alert among objs, is EINVAL and acquires nothing', () => {
  const h = new EngineHarness();
  const e = h.engine;
  const sem = h.sem(2, 2);
  const ev = h.event(false, true);
  const m = h.mutex(0, 0);
  expect(h.issue(true, [sem, sem], 1)).toEqual({ status: -EINVAL, index: expect.any(Number) });
  expect(h.issue(true, [m, sem, m], 1).status).toBe(-EINVAL);
  expect(h.issue(true, [sem, ev], 1, { alert: ev }).status).toBe(-EINVAL);
  expect(h.issue(true, [ev], 1, { alert: ev, timeout: U64_MAX }).status).toBe(-EINVAL);
  h.expectSem(sem, 2, 2);
  h.expectEvent(ev, 1, 0);
  h.expectMutex(m, 0, 0);
  expect([...e.waitsPending()]).toEqual([]);
  // The same list is fine for WAIT_ANY.
  expect(h.pollAny([sem, sem], 1)).toEqual({ status: 0, index: 0 });
  expect(h.pollAny([ev], 1, ev)).toEqual({ status: 0, index: 0 });
});

test('13.14 count 0..64 is valid, 65 or more (0xFFFFFFFF too) is EINVAL', () => {
  // The struct check (the dispatcher makes it before reading objs; the ioctl-level test checks
  // that objs is not read for count 0).
  expect(checkWaitArgs(0, 0, 1, 0)).toBe(0);
  expect(checkWaitArgs(0, 0, 1, 64)).toBe(0);
  expect(checkWaitArgs(0, 0, 1, 65)).toBe(-EINVAL);
  expect(checkWaitArgs(0, 0, 1, 0x40000001)).toBe(-EINVAL); // count * 4 wraps to 4 in 32 bits
  expect(checkWaitArgs(0, 0, 1, 0x80000000)).toBe(-EINVAL);
  expect(checkWaitArgs(0, 0, 1, U32_MAX)).toBe(-EINVAL);

  const h = new EngineHarness();
  const sems = Array.from({ length: NTSYNC_MAX_WAIT_COUNT }, () => h.sem(1, 1));
  expect(h.pollAll(sems, 1)).toEqual({ status: 0, index: 0 });
  for (const s of sems) h.expectSem(s, 0, 1);
  const w = h.blockAny(sems, 1);
  expect(h.engine.semRelease(sems[63], 1)).toBe(0);
  h.expectWoken([w, 0, 63]);
  expect(h.issue(false, [...sems, sems[0]], 1).status).toBe(-EINVAL);
});

test('13.15 WAIT_ANY count 0 without alert only times out; WAIT_ALL count 0 succeeds at once with index 0, even with an alert', () => {
  const h = new EngineHarness();
  const e = h.engine;
  expect(h.pollAny([], 1).status).toBe(-ETIMEDOUT);
  const forever = h.blockAny([], 1, { timeout: U64_MAX });
  expect(forever.deadline).toBe(TIMEOUT_INFINITE);
  const sem = h.sem(0, 5);
  expect(e.semRelease(sem, 5)).toBe(0);
  h.expectNoneWoken(forever);
  expect(e.cancel(forever, -ERESTARTSYS)).toBe(true);

  // WAIT_ALL on nothing: "all of nothing" is true at once, whatever the deadline.
  const unsignaled = h.event(false, false);
  expect(h.issue(true, [], 1, { alert: unsignaled, timeout: U64_MAX })).toEqual({ status: 0, index: 0 });
  expect(h.pollAll([], 1)).toEqual({ status: 0, index: 0 });
  // ... and a signaled alert is not consumed.
  const signaled = h.event(false, true);
  expect(h.pollAll([], 1, signaled)).toEqual({ status: 0, index: 0 });
  h.expectEvent(signaled, 1, 0);
  const asem = h.sem(1, 1);
  expect(h.pollAll([], 1, asem)).toEqual({ status: 0, index: 0 });
  h.expectSem(asem, 1, 1);
  expect([...e.waitsPending()]).toEqual([]);
});

test('13.16 the alert index is count; the alert can be any object type; real objects are checked before the alert', () => {
  const h = new EngineHarness();
  const e = h.engine;
  const a = h.sem(0, 3);
  const b = h.sem(0, 3);
  const c = h.sem(0, 3);
  const alert = h.event(false, false);

  // Alert index = count, pending and immediate.
  const w = h.blockAny([a, b, c], 1, { alert });
  expect(e.eventSet(alert)).toBe(0);
  h.expectWoken([w, 0, 3]);
  h.expectEvent(alert, 0, 0);
  const wAll = h.blockAll([a, b, c], 1, { alert });
  expect(e.eventSet(alert)).toBe(0);
  h.expectWoken([wAll, 0, 3]);
  expect(e.eventSet(alert)).toBe(0);
  expect(h.pollAny([a, b], 1, alert)).toEqual({ status: 0, index: 2 });

  // Objects before the alert at call time: both signaled, the object wins and the alert stays set.
  expect(e.eventSet(alert)).toBe(0);
  expect(e.semRelease(b, 1)).toBe(0);
  expect(h.pollAny([a, b], 1, alert)).toEqual({ status: 0, index: 1 });
  h.expectEvent(alert, 1, 0);
  // WAIT_ALL: all objects signaled beats a signaled alert, which is not consumed.
  expect(e.semRelease(a, 1)).toBe(0);
  expect(e.semRelease(b, 1)).toBe(0);
  expect(h.pollAll([a, b], 1, alert)).toEqual({ status: 0, index: 0 });
  h.expectEvent(alert, 1, 0);
  h.expectSem(a, 0, 3);
  // WAIT_ALL with only some objects signaled: the alert, and nothing else taken.
  expect(e.semRelease(a, 1)).toBe(0);
  expect(h.pollAll([a, b], 1, alert)).toEqual({ status: 0, index: 2 });
  h.expectSem(a, 1, 3);
  h.expectEvent(alert, 0, 0);

  // A semaphore as alert: waking through it decrements it.
  const semAlert = h.sem(0, 2);
  const w2 = h.blockAny([c], 1, { alert: semAlert });
  expect(e.semRelease(semAlert, 2)).toBe(0);
  h.expectWoken([w2, 0, 1]);
  h.expectSem(semAlert, 1, 2);
  expect(h.pollAll([c], 1, semAlert)).toEqual({ status: 0, index: 1 });
  h.expectSem(semAlert, 0, 2);

  // A mutex as alert: acquired for the waiter's owner.
  const mAlert = h.mutex(9, 1);
  const w3 = h.blockAny([c], 4, { alert: mAlert });
  expect(e.mutexUnlock(mAlert, 9)).toBe(1);
  h.expectWoken([w3, 0, 1]);
  h.expectMutex(mAlert, 1, 4);
  // count 0 with an alert: index 0 (= count).
  expect(h.pollAny([], 4, mAlert)).toEqual({ status: 0, index: 0 });
  h.expectMutex(mAlert, 2, 4);

  // An alert id that did not resolve (-1) is EINVAL, as is an object of another device.
  expect(h.issue(false, [a], 1, { alert: -1 }).status).toBe(-EINVAL);
  const other = e.openDevice();
  const foreign = e.createEvent(other, 1, 1);
  expect(h.issue(false, [a], 1, { alert: foreign }).status).toBe(-EINVAL);
  expect(h.issue(true, [a], 1, { alert: foreign }).status).toBe(-EINVAL);
});

test('13.17 deadline <= now is a poll, U64_MAX (and anything >= 2^63) never expires, REALTIME picks the clock', () => {
  const h = new EngineHarness();
  const e = h.engine;
  const clock = h.clock;
  const ev = h.event(true, false);

  for (const timeout of [0n, 1n, clock.monotonic - 1n, clock.monotonic]) {
    expect(h.issue(false, [ev], 1, { timeout })).toEqual({ status: -ETIMEDOUT, index: expect.any(Number) });
    expect(h.issue(true, [ev], 1, { timeout }).status).toBe(-ETIMEDOUT);
  }
  // A poll still succeeds when something is available.
  const sem = h.sem(1, 1);
  expect(h.issue(false, [ev, sem], 1, { timeout: 0n })).toEqual({ status: 0, index: 1 });

  const soon = h.mustBlock(h.issue(false, [ev], 1, { timeout: clock.monotonic + 1n }));
  expect(soon.deadline).toBe(clock.monotonic + 1n);
  expect(soon.realtime).toBe(false);
  for (const timeout of [U64_MAX, U64_MAX - 1n, 1n << 63n]) {
    const never = h.mustBlock(h.issue(false, [ev], 1, { timeout }));
    expect(never.deadline).toBe(TIMEOUT_INFINITE);
    e.cancel(never, -ERESTARTSYS);
  }
  expect((1n << 63n) - 1n).toBeLessThan(TIMEOUT_INFINITE);
  const justBelow = h.mustBlock(h.issue(false, [ev], 1, { timeout: (1n << 63n) - 1n }));
  expect(justBelow.deadline).toBe((1n << 63n) - 1n);

  // REALTIME: a deadline far in the MONOTONIC future is long past on REALTIME, and vice versa.
  const monoFuture = clock.monotonic + 1_000n * NS_PER_MS;
  expect(monoFuture).toBeLessThan(clock.realtime);
  expect(h.issue(false, [ev], 1, { timeout: monoFuture, realtime: true }).status).toBe(-ETIMEDOUT);
  const rt = h.mustBlock(h.issue(false, [ev], 1, { timeout: clock.realtime + 1n, realtime: true }));
  expect(rt.realtime).toBe(true);
  expect(rt.deadline).toBe(clock.realtime + 1n);
  const mono = h.mustBlock(h.issue(false, [ev], 1, { timeout: monoFuture }));
  expect(mono.realtime).toBe(false);

  // Other flag bits and a non-zero pad: EINVAL (the struct check).
  expect(checkWaitArgs(1, 0, 1, 1)).toBe(0);
  for (const flags of [2, 3, 0x80000000, U32_MAX]) expect(checkWaitArgs(flags, 0, 1, 1)).toBe(-EINVAL);
  for (const pad of [1, 0x80000000]) expect(checkWaitArgs(0, pad, 1, 1)).toBe(-EINVAL);
  expect(checkWaitArgs(0, 0, 0, 1)).toBe(-EINVAL); // owner 0 (7.x)

  // Everything pending is still pending: a set wakes them all (manual event).
  expect(e.eventSet(ev)).toBe(0);
  expect(h.takeWoken().map((w) => w.tag)).toEqual([soon.tag, justBelow.tag, rt.tag, mono.tag]);
});

test('13.19 closing an object while a thread waits on it neither wakes nor fails the waiter', () => {
  const h = new EngineHarness();
  const e = h.engine;
  const ev = h.event(false, false);
  const sem = h.sem(0, 1);
  const m = h.mutex(0, 0);
  const held = h.mutex(5, 1);

  const wAny = h.blockAny([ev, sem], 1);
  const wAll = h.blockAll([held, m], 1);
  e.closeObject(ev);
  e.closeObject(held);
  h.expectNoneWoken(wAny, wAll);
  // Still alive, and still waitable-upon through the other objects.
  expect(e.typeOf(ev)).toBe(ObjectType.Event);
  expect(e.semRelease(sem, 1)).toBe(0);
  h.expectWoken([wAny, 0, 1]);
  // The wait was the closed event's last reference.
  expect(e.typeOf(ev)).toBe(0);
  // The closed mutex is kept alive by the wait-all; it ends by timing out, and the mutex
  // it could not take was not touched (nor was the free one).
  expect(e.typeOf(held)).toBe(ObjectType.Mutex);
  h.clock.monotonic = wAll.deadline;
  expect(e.cancel(wAll, -ETIMEDOUT)).toBe(true);
  expect(wAll.status).toBe(-ETIMEDOUT);
  expect(e.typeOf(held)).toBe(0);
  h.expectMutex(m, 0, 0);
  h.expectNoneWoken();

  // A closed object cannot be named by a new wait (its fd is gone; the id is no longer valid).
  const ev2 = h.event(true, true);
  const w3 = h.blockAny([sem], 1);
  e.closeObject(sem);
  expect(h.issue(false, [sem, ev2], 1).status).toBe(-EINVAL);
  e.cancel(w3, -ETIMEDOUT);
});

test('13.20 closing the device leaves the objects alive and usable; pending waits go on', () => {
  const h = new EngineHarness();
  const e = h.engine;
  const sem = h.sem(0, 5);
  const m = h.mutex(0, 0);
  const ev = h.event(false, false);
  const w = h.blockAny([sem], 1);
  e.closeDevice(h.dev);

  expect(e.typeOf(sem)).toBe(ObjectType.Semaphore);
  expect(e.deviceOf(sem)).toBe(h.dev);
  expect(e.semRelease(sem, 2)).toBe(0);
  h.expectWoken([w, 0, 0]);
  h.expectSem(sem, 1, 5);
  expect(e.mutexKill(m, 1)).toBe(-EPERM);
  expect(e.eventSet(ev)).toBe(0);
  expect(e.eventPulse(ev)).toBe(1);
  h.expectEvent(ev, 0, 0);
  // A closed device cannot create objects (there is no fd to issue CREATE on).
  expect(e.createSemaphore(h.dev, 0, 1)).toBeLessThan(0);

  // The instance lives while any of its objects lives.
  expect([...e.liveDevices()].map((d) => d.id)).toContain(h.dev);
  e.closeObject(sem);
  e.closeObject(m);
  expect([...e.liveDevices()].map((d) => d.id)).toContain(h.dev);
  e.closeObject(ev);
  expect([...e.liveDevices()].map((d) => d.id)).not.toContain(h.dev);
  expect([...e.liveObjects()]).toEqual([]);
});

test('13.21 wake order: wait-all first, then wait-any FIFO; the signaller acquires synchronously', () => {
  const h = new EngineHarness();
  const e = h.engine;
  const sem = h.sem(0, 10);
  const on = h.event(true, true);

  // Arrival order any1, all1, any2, all2: the wait-all waiters are served first, then FIFO.
  const any1 = h.blockAny([sem], 1);
  const all1 = h.blockAll([sem, on], 2);
  const any2 = h.blockAny([sem], 3);
  const all2 = h.blockAll([on, sem], 4);
  expect(e.semRelease(sem, 3)).toBe(0);
  h.expectWoken([all1, 0, 0], [all2, 0, 0], [any1, 0, 0]);
  h.expectSem(sem, 0, 10); // taken inside SEM_RELEASE
  expect(any2.done).toBe(false);
  expect(e.semRelease(sem, 1)).toBe(0);
  h.expectWoken([any2, 0, 0]);

  // FIFO among wait-any waiters, one unit each, stopping when the count is 0.
  const ws = [1, 2, 3, 4].map((o) => h.blockAny([sem], o));
  expect(e.semRelease(sem, 2)).toBe(0);
  h.expectWoken([ws[0], 0, 0], [ws[1], 0, 0]);
  expect(e.semRelease(sem, 3)).toBe(0);
  h.expectWoken([ws[2], 0, 0], [ws[3], 0, 0]);
  h.expectSem(sem, 1, 10);
  expect(h.pollAny([sem], 1).status).toBe(0);

  // A blocked wait-all does not reserve anything: a newly arriving WAIT_ANY takes the
  // semaphore the wait-all also wants.
  const off = h.event(true, false);
  const allBlocked = h.blockAll([sem, off], 5);
  expect(e.semRelease(sem, 1)).toBe(0);
  h.expectNoneWoken(allBlocked);
  expect(h.pollAny([sem], 6)).toEqual({ status: 0, index: 0 });
  expect(e.eventSet(off)).toBe(0);
  h.expectNoneWoken(allBlocked);
  expect(e.semRelease(sem, 1)).toBe(0);
  h.expectWoken([allBlocked, 0, 0]);
  h.expectSem(sem, 0, 10);

  // A wait-all that needs a mutex held by someone else holds nothing meanwhile.
  const m = h.mutex(7, 1);
  const sem2 = h.sem(1, 1);
  const wm = h.blockAll([sem2, m], 8);
  h.expectSem(sem2, 1, 1);
  expect(h.pollAny([sem2], 9)).toEqual({ status: 0, index: 0 });
  expect(e.mutexUnlock(m, 7)).toBe(1);
  h.expectNoneWoken(wm);
  h.expectMutex(m, 0, 0);
  expect(e.semRelease(sem2, 1)).toBe(0);
  h.expectWoken([wm, 0, 0]);
  h.expectMutex(m, 1, 8);
  h.expectSem(sem2, 0, 1);

  // Waiters that do not get the object stay queued in their place: FIFO across wakes.
  const auto = h.event(false, false);
  const q = [1, 2, 3].map((o) => h.blockAny([auto], o));
  expect(e.eventSet(auto)).toBe(0);
  h.expectWoken([q[0], 0, 0]);
  const late = h.blockAny([auto], 4);
  expect(e.eventSet(auto)).toBe(0);
  h.expectWoken([q[1], 0, 0]);
  expect(e.eventSet(auto)).toBe(0);
  h.expectWoken([q[2], 0, 0]);
  expect(e.eventSet(auto)).toBe(0);
  h.expectWoken([late, 0, 0]);
  h.expectEvent(auto, 0, 0);
});

test('13.22 a mutex unlocked to 0 grants every queued waiter that shares the new owner id', () => {
  const h = new EngineHarness();
  const e = h.engine;
  const m = h.mutex(1, 1);
  const a1 = h.blockAny([m], 2);
  const b = h.blockAny([m], 3);
  const a2 = h.blockAny([m], 2);
  const a3 = h.blockAll([m], 2); // wait-all waiters come first
  expect(e.mutexUnlock(m, 1)).toBe(1);
  h.expectWoken([a3, 0, 0], [a1, 0, 0], [a2, 0, 0]);
  h.expectMutex(m, 3, 2);
  expect(b.done).toBe(false);
  expect(e.mutexUnlock(m, 2)).toBe(3);
  expect(e.mutexUnlock(m, 2)).toBe(2);
  h.expectNoneWoken(b);
  expect(e.mutexUnlock(m, 2)).toBe(1);
  h.expectWoken([b, 0, 0]);
  h.expectMutex(m, 1, 3);

  // Through KILL: the first grant takes the abandoned flag (EOWNERDEAD), the next same-owner
  // grant is plain recursion.
  const c1 = h.blockAny([m], 4);
  const d = h.blockAny([m], 5);
  const c2 = h.blockAny([m], 4);
  expect(e.mutexKill(m, 3)).toBe(0);
  h.expectWoken([c1, -EOWNERDEAD, 0], [c2, 0, 0]);
  h.expectMutex(m, 2, 4);
  expect(d.done).toBe(false);
  e.cancel(d, -ETIMEDOUT);
});

test('13.23 PULSE: manual wakes all queued waiters, auto wakes one; the event ends unsignaled; returns the previous state', () => {
  const h = new EngineHarness();
  const e = h.engine;
  const manual = h.event(true, false);
  const ws = [1, 2, 3].map((o) => h.blockAny([manual], o));
  expect(e.eventPulse(manual)).toBe(0);
  h.expectWoken([ws[0], 0, 0], [ws[1], 0, 0], [ws[2], 0, 0]);
  h.expectEvent(manual, 0, 1);

  const auto = h.event(false, false);
  const as = [1, 2, 3].map((o) => h.blockAny([auto], o));
  expect(e.eventPulse(auto)).toBe(0);
  h.expectWoken([as[0], 0, 0]);
  h.expectEvent(auto, 0, 0);
  expect(e.eventPulse(auto)).toBe(0);
  h.expectWoken([as[1], 0, 0]);
  e.cancel(as[2], -ETIMEDOUT);

  // Nobody waiting: the event ends unsignaled, and the previous state is reported.
  expect(e.eventSet(manual)).toBe(0);
  expect(e.eventPulse(manual)).toBe(1);
  h.expectEvent(manual, 0, 1);
  expect(e.eventSet(auto)).toBe(0);
  expect(e.eventPulse(auto)).toBe(1);
  h.expectEvent(auto, 0, 0);
  // Pulse of a signaled auto event with a waiter cannot happen (the waiter would have taken
  // it), but a pulse of a signaled manual event with nobody left to wake keeps returning 1.
  expect(e.eventSet(manual)).toBe(0);
  expect(e.eventPulse(manual)).toBe(1);

  // Manual pulse and wait-all: every wait-all whose other objects are signaled, and every
  // wait-any waiter.
  const sem = h.sem(1, 1);
  const off = h.event(true, false);
  const all = h.blockAll([manual, sem], 5);
  const allBlocked = h.blockAll([manual, off], 6);
  const any = h.blockAny([manual], 7);
  expect(e.eventPulse(manual)).toBe(0);
  h.expectWoken([all, 0, 0], [any, 0, 0]);
  expect(allBlocked.done).toBe(false);
  h.expectSem(sem, 0, 1);
  h.expectEvent(manual, 0, 1);
  // The pulse is over: setting the other object later does not complete the wait-all.
  expect(e.eventSet(off)).toBe(0);
  h.expectNoneWoken(allBlocked);

  // Auto pulse and wait-all: the wait-all (served first) consumes it, the wait-any gets nothing.
  const sem2 = h.sem(1, 1);
  const all2 = h.blockAll([auto, sem2], 8);
  const any2 = h.blockAny([auto], 9);
  expect(e.eventPulse(auto)).toBe(0);
  h.expectWoken([all2, 0, 0]);
  expect(any2.done).toBe(false);
  h.expectEvent(auto, 0, 0);
});

test('13.24 a success racing with a timeout or a signal is reported as success; a cancelled wait changed nothing', () => {
  const h = new EngineHarness();
  const e = h.engine;
  const sem = h.sem(0, 2);
  const w = h.blockAny([sem], 1);
  expect(e.semRelease(sem, 1)).toBe(0);
  // The deadline passes / a signal arrives after the release satisfied the wait.
  h.clock.monotonic = w.deadline + 1n;
  expect(e.cancel(w, -ETIMEDOUT)).toBe(false);
  expect(e.cancel(w, -ERESTARTSYS)).toBe(false);
  expect({ done: w.done, status: w.status, index: w.index }).toEqual({ done: true, status: 0, index: 0 });
  h.expectWoken([w, 0, 0]);
  h.expectSem(sem, 0, 2); // the acquisition stands

  // The same with EOWNERDEAD.
  const m = h.mutex(3, 1);
  const wm = h.blockAny([sem, m], 4);
  expect(e.mutexKill(m, 3)).toBe(0);
  expect(e.cancel(wm, -ERESTARTSYS)).toBe(false);
  h.expectWoken([wm, -EOWNERDEAD, 1]);
  h.expectMutex(m, 1, 4);

  // A cancelled wait changed nothing and is skipped by later wakes.
  const c = h.blockAll([sem, m], 5);
  const next = h.blockAny([sem], 6);
  expect(e.cancel(c, -ETIMEDOUT)).toBe(true);
  expect(c.status).toBe(-ETIMEDOUT);
  expect(e.cancel(c, -ERESTARTSYS)).toBe(false);
  expect(c.status).toBe(-ETIMEDOUT);
  h.expectSem(sem, 0, 2);
  h.expectMutex(m, 1, 4);
  expect(e.semRelease(sem, 1)).toBe(0);
  h.expectWoken([next, 0, 0]);
  expect(e.mutexUnlock(m, 4)).toBe(1);
  h.expectNoneWoken();
  h.expectMutex(m, 0, 0);
  expect([...e.waitsPending()]).toEqual([]);
});

test('13.25 ERESTARTSYS: an interrupted wait acquires nothing; the restart is a new wait with the same absolute deadline', () => {
  const h = new EngineHarness();
  const e = h.engine;
  const ev = h.event(false, false);
  const sem = h.sem(0, 1);
  const timeout = h.clock.inMs(500);

  const w = h.blockAny([ev, sem], 1, { timeout });
  h.clock.advance(100n * NS_PER_MS);
  expect(e.cancel(w, -ERESTARTSYS)).toBe(true);
  expect(w.status).toBe(-ERESTARTSYS);
  h.expectNoneWoken();
  // Not queued any more: a set goes nowhere and the event stays signaled.
  expect(e.eventSet(ev)).toBe(0);
  h.expectNoneWoken();
  h.expectEvent(ev, 1, 0);
  expect(e.eventReset(ev)).toBe(1);

  // SA_RESTART: the same arguments again; the deadline is absolute, so it is unchanged.
  const again = h.blockAny([ev, sem], 1, { timeout });
  expect(again.deadline).toBe(timeout);
  expect(e.cancel(again, -ERESTARTSYS)).toBe(true);
  // Restarted after the deadline: a poll, ETIMEDOUT at once.
  h.clock.monotonic = timeout;
  expect(h.issue(false, [ev, sem], 1, { timeout }).status).toBe(-ETIMEDOUT);
  // Restarted after one of its objects was closed meanwhile: EINVAL.
  const w2 = h.blockAny([ev, sem], 1, { timeout: U64_MAX });
  e.closeObject(ev);
  expect(e.cancel(w2, -ERESTARTSYS)).toBe(true);
  expect(e.typeOf(ev)).toBe(0);
  expect(h.issue(false, [ev, sem], 1, { timeout: U64_MAX }).status).toBe(-EINVAL);
});

test('13.27 each open is an isolated namespace; ids are never reused', () => {
  // (Node mode 0666 and "the open's access mode is irrelevant" are properties of the device
  // node and of open(); the e2e tests against the running daemon cover them.)
  const h = new EngineHarness();
  const e = h.engine;
  const dev2 = e.openDevice();
  expect(dev2).not.toBe(h.dev);
  const mine = h.sem(1, 1);
  const theirs = h.sem(1, 1, dev2);
  expect(e.deviceOf(mine)).toBe(h.dev);
  expect(e.deviceOf(theirs)).toBe(dev2);
  expect(h.issue(false, [theirs], 1).status).toBe(-EINVAL);
  expect(h.issue(true, [mine, theirs], 1).status).toBe(-EINVAL);
  expect(h.issue(false, [mine], 1, { alert: theirs }).status).toBe(-EINVAL);
  expect(h.issue(false, [theirs], 1, { device: dev2 })).toEqual({ status: 0, index: 0 });
  h.expectSem(mine, 1, 1);
  // An unresolved fd (0) is EINVAL as well.
  expect(h.issue(false, [mine, 0], 1).status).toBe(-EINVAL);
  h.expectSem(mine, 1, 1);

  // Ids are never reused, across devices and after close.
  const seen = new Set([mine, theirs]);
  e.closeObject(mine);
  for (let i = 0; i < 5; i++) {
    const id = h.sem(0, 1);
    expect(seen.has(id)).toBe(false);
    seen.add(id);
    e.closeObject(id);
  }
  e.closeDevice(dev2);
  const dev3 = e.openDevice();
  expect([h.dev, dev2]).not.toContain(dev3);
  expect(h.issue(false, [theirs], 1, { device: dev3 }).status).toBe(-EINVAL);
});

test('13.x every wait result is reported exactly once (engine.woken bookkeeping)', () => {
  // Not a numbered case of its own: the reporting contract the numbered cases rely on.
  const h = new EngineHarness();
  const e = h.engine;
  const ev = h.event(true, false);
  const ws: Wait<string>[] = [];
  for (let i = 0; i < 20; i++) ws.push(h.blockAny([ev, ev], 1 + (i % 3)));
  expect(e.eventSet(ev)).toBe(0);
  const woken = h.takeWoken();
  expect(woken).toEqual(ws);
  expect(new Set(woken).size).toBe(20);
  expect(e.eventSet(ev)).toBe(1);
  expect(e.eventPulse(ev)).toBe(1);
  h.expectNoneWoken();
});
