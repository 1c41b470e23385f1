// Quick end-to-end checks of the engine's main paths; the exhaustive suites live in test/engine.
import { Engine, WaitRequest } from '../../src/core/engine';
import { EOWNERDEAD, ETIMEDOUT, ERESTARTSYS, EINVAL } from '../../src/core/errno';
import { TIMEOUT_INFINITE } from '../../src/core/types';

const clock = () => 1000n;

function request(dev: number, objects: number[], opts: Partial<WaitRequest<string>> = {}) {
  const req = new WaitRequest<string>();
  Object.assign(req, { device: dev, objects, count: objects.length, owner: 1, timeout: 0n, tag: 't' }, opts);
  return req;
}

test('a blocked semaphore wait is satisfied inside the release call', () => {
  const e = new Engine<string>();
  const dev = e.openDevice();
  const sem = e.createSemaphore(dev, 0, 2);
  expect(e.wait(request(dev, [sem]), clock)).toBeNull();
  const wait = e.wait(request(dev, [sem], { timeout: TIMEOUT_INFINITE }), clock)!;
  expect(wait).not.toBeNull();
  expect(e.semRelease(sem, 1)).toBe(0);
  expect(e.woken).toEqual([wait]);
  expect(wait.status).toBe(0);
  const out = { count: -1, max: -1 };
  e.semRead(sem, out);
  expect(out).toEqual({ count: 0, max: 2 });
  expect(e.cancel(wait, -ETIMEDOUT)).toBe(false);
});

test('poll times out; cancel changes nothing; closed objects live while a wait holds them', () => {
  const e = new Engine<string>();
  const dev = e.openDevice();
  const ev = e.createEvent(dev, 0, 0);
  const req = request(dev, [ev]);
  expect(e.wait(req, clock)).toBeNull();
  expect(req.status).toBe(-ETIMEDOUT);
  const wait = e.wait(request(dev, [ev], { timeout: 5000n }), clock)!;
  e.closeObject(ev);
  expect(e.typeOf(ev)).not.toBe(0);
  expect(e.cancel(wait, -ERESTARTSYS)).toBe(true);
  expect(e.typeOf(ev)).toBe(0);
  expect(wait.status).toBe(-ERESTARTSYS);
});

test('wait-all beats wait-any, and a killed mutex reports EOWNERDEAD to the next owner', () => {
  const e = new Engine<string>();
  const dev = e.openDevice();
  const m = e.createMutex(dev, 7, 1);
  const s = e.createSemaphore(dev, 1, 1);
  const any = e.wait(request(dev, [m], { timeout: TIMEOUT_INFINITE, owner: 2 }), clock)!;
  const all = e.wait(request(dev, [m, s], { timeout: TIMEOUT_INFINITE, owner: 3, all: true }), clock)!;
  expect(e.mutexKill(m, 7)).toBe(0);
  expect(e.woken).toEqual([all]);
  expect(all.status).toBe(-EOWNERDEAD);
  expect(any.done).toBe(false);
  e.woken.length = 0;
  expect(e.mutexUnlock(m, 3)).toBe(1);
  expect(e.woken).toEqual([any]);
  expect(any.status).toBe(0);
  expect(any.index).toBe(0);
  expect(e.wait(request(dev, [s, s], { all: true }), clock)).toBeNull();
});

test('objects of another device are EINVAL', () => {
  const e = new Engine<string>();
  const a = e.openDevice();
  const b = e.openDevice();
  const ev = e.createEvent(b, 1, 1);
  const req = request(a, [ev]);
  e.wait(req, clock);
  expect(req.status).toBe(-EINVAL);
});
