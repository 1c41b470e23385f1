import { Engine, WaitRequest } from '../../src/core/engine';
import { findDeadlocks } from '../../src/core/deadlock';
import { TIMEOUT_INFINITE } from '../../src/core/types';

function block(e: Engine<string>, dev: number, owner: number, objects: number[], all = false, alert = 0) {
  const req = new WaitRequest<string>();
  Object.assign(req, { device: dev, objects, count: objects.length, owner, all, alert, timeout: TIMEOUT_INFINITE, tag: `t${owner}` });
  const w = e.wait(req, () => 0n);
  if (!w) throw new Error('expected the wait to block');
  return w;
}

test('two owners each waiting for the mutex the other holds form one cycle', () => {
  const e = new Engine<string>();
  const dev = e.openDevice();
  const a = e.createMutex(dev, 1, 1);
  const b = e.createMutex(dev, 2, 1);
  block(e, dev, 1, [b]);
  block(e, dev, 2, [a]);
  const cycles = findDeadlocks(e);
  expect(cycles).toHaveLength(1);
  expect(cycles[0].map((edge) => [edge.wait.owner, edge.mutex, edge.holder]).sort()).toEqual([
    [1, b, 2],
    [2, a, 1],
  ]);
});

test('a three-owner ring through a WAIT_ALL is found; a chain that ends is not a deadlock', () => {
  const e = new Engine<string>();
  const dev = e.openDevice();
  const m1 = e.createMutex(dev, 1, 1);
  const m2 = e.createMutex(dev, 2, 1);
  const m3 = e.createMutex(dev, 3, 1);
  const free = e.createEvent(dev, 1, 0);
  block(e, dev, 1, [m2, free], true);
  block(e, dev, 2, [m3]);
  expect(findDeadlocks(e)).toHaveLength(0);
  block(e, dev, 3, [m1]);
  const cycles = findDeadlocks(e);
  expect(cycles).toHaveLength(1);
  expect(cycles[0]).toHaveLength(3);
});

test('a WAIT_ANY that an event or an alert could still end is not part of a deadlock', () => {
  const e = new Engine<string>();
  const dev = e.openDevice();
  const a = e.createMutex(dev, 1, 1);
  const b = e.createMutex(dev, 2, 1);
  const ev = e.createEvent(dev, 0, 0);
  block(e, dev, 1, [b, ev]);
  block(e, dev, 2, [a], false, ev);
  expect(findDeadlocks(e)).toHaveLength(0);
});
