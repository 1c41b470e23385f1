import { Engine, WaitRequest } from '../../src/core/engine';
import { TIMEOUT_INFINITE } from '../../src/core/types';
import { buildSnapshot, type StatusSources } from '../../src/status/snapshot';
import { renderStatus } from '../../src/status/render';
import { LatencyHistogram } from '../../src/status/latency';

interface Tag {
  tid: number;
  started: number;
}

function sources(engine: Engine<Tag>): StatusSources<Tag> {
  const latency = new LatencyHistogram();
  latency.record(3000);
  return {
    daemon: { pid: 1, transport: 'fuse', device: '/dev/ntsync', mount: '/run/ntsync', startedAtIso: '2026-11-28T00:00:00Z' },
    engine,
    nowMs: 5000,
    describeWait: (t) => ({ tid: t.tid, startedMs: t.started }),
    nameOf: (id) => `proc${id}`,
    deviceOpeners: new Map([[1, 100]]),
    objectHolders: new Map([[1, [100, 101]]]),
    latency,
    timedOut: 2,
    interrupted: 3,
  };
}

test('objects, waits and a deadlock show up with their callers', () => {
  const e = new Engine<Tag>();
  const dev = e.openDevice();
  const m1 = e.createMutex(dev, 11, 1);
  const m2 = e.createMutex(dev, 22, 2);
  const sem = e.createSemaphore(dev, 1, 5);
  const wait = (owner: number, tid: number, objs: number[]) => {
    const r = new WaitRequest<Tag>();
    Object.assign(r, { device: dev, objects: objs, count: objs.length, owner, timeout: TIMEOUT_INFINITE, tag: { tid, started: 1000 } });
    return e.wait(r, () => 0n);
  };
  expect(wait(11, 501, [m2])).not.toBeNull();
  expect(wait(22, 502, [m1])).not.toBeNull();
  const snap = buildSnapshot(sources(e));
  expect(snap.objects.map((o) => [o.id, o.type])).toEqual([
    [m1, 'mutex'],
    [m2, 'mutex'],
    [sem, 'semaphore'],
  ]);
  expect(snap.objects[1].state).toEqual({ owner: 22, count: 2, abandoned: false });
  expect(snap.objects[0].holders).toEqual([
    { pid: 100, name: 'proc100' },
    { pid: 101, name: 'proc101' },
  ]);
  expect(snap.waits.map((w) => [w.tid, w.owner, w.objects, w.waitingMs])).toEqual([
    [501, 11, [m2], 4000],
    [502, 22, [m1], 4000],
  ]);
  expect(snap.deadlocks).toHaveLength(1);
  expect(snap.counters.waitsTimedOut).toBe(2);
  const text = renderStatus(snap);
  expect(text).toContain('DEADLOCKS (1)');
  expect(text).toMatch(/thread proc501\[501\] \(owner 11\) waits for mutex 2, held by owner 22/);
  expect(JSON.parse(JSON.stringify(snap)).devices[0].openedBy).toEqual({ pid: 100, name: 'proc100' });
});
