// What `<mount>/status` shows: every device instance, object and pending wait, the daemon's
// counters, and the deadlock report. Built from the engine plus what the transport knows about
// callers (thread ids, start times, process names), so this file itself does no I/O.
import type { Engine } from '../core/engine';
import type { Wait } from '../core/wait';
import { findDeadlocks } from '../core/deadlock';
import { ObjectType, TIMEOUT_INFINITE } from '../core/types';
import type { LatencyHistogram } from './latency';

export interface ProcessRef {
  pid: number;
  name: string;
}

export interface WaitCaller {
  /** The calling thread. */
  tid: number;
  /** When the wait started, on the clock of `nowMs` (milliseconds). */
  startedMs: number;
}

export interface StatusSources<Tag> {
  daemon: { pid: number; transport: string; device: string; mount: string; startedAtIso: string };
  engine: Engine<Tag>;
  nowMs: number;
  describeWait(tag: Tag): WaitCaller;
  /** Name of a process or thread ("?" when it is gone). */
  nameOf(id: number): string;
  /** The process that opened each device instance. */
  deviceOpeners: ReadonlyMap<number, number>;
  /** Processes holding an fd of each object (by object id). */
  objectHolders: ReadonlyMap<number, number[]>;
  /** Sampled: `samples` counts the timed requests, not all of them. */
  latency: LatencyHistogram;
  timedOut: number;
  interrupted: number;
  /** How waits resolved their fds: through /proc, or vouched for by a witness (null: none kept). */
  fdResolution?: { throughProc: number; witnesses: { hits: number; held: number } | null };
}

export interface ObjectStatus {
  id: number;
  device: number;
  type: 'semaphore' | 'mutex' | 'event';
  state: Record<string, number | boolean>;
  holders: ProcessRef[];
  /** Closed by every process but kept alive by a pending wait. */
  closed: boolean;
}

export interface WaitStatus {
  tid: number;
  thread: string;
  owner: number;
  kind: 'any' | 'all';
  device: number;
  objects: number[];
  alert: number | null;
  /** Absolute deadline in ns on `clock`, or null when it never expires. */
  deadlineNs: string | null;
  clock: 'monotonic' | 'realtime';
  waitingMs: number;
}

export interface DeadlockStatus {
  cycle: { tid: number; thread: string; owner: number; waitsForMutex: number; heldBy: number }[];
}

export interface StatusSnapshot {
  daemon: StatusSources<unknown>['daemon'];
  devices: { id: number; openedBy: ProcessRef | null; live: boolean }[];
  objects: ObjectStatus[];
  waits: WaitStatus[];
  counters: Record<string, number>;
  latencyNs: { p50: number; p99: number; samples: number };
  deadlocks: DeadlockStatus[];
}

const TYPE_NAMES = { [ObjectType.Semaphore]: 'semaphore', [ObjectType.Mutex]: 'mutex', [ObjectType.Event]: 'event' } as const;

function ref(pid: number | undefined, nameOf: (id: number) => string): ProcessRef | null {
  return pid === undefined ? null : { pid, name: nameOf(pid) };
}

export function buildSnapshot<Tag>(s: StatusSources<Tag>): StatusSnapshot {
  const e = s.engine;
  const describe = (w: Wait<Tag>) => s.describeWait(w.tag);

  const devices = [...e.liveDevices()].map((d) => ({
    id: d.id,
    openedBy: ref(s.deviceOpeners.get(d.id), s.nameOf),
    live: d.handleOpen,
  }));

  const objects: ObjectStatus[] = [...e.liveObjects()].map((o) => {
    let state: ObjectStatus['state'];
    if (o.type === ObjectType.Semaphore) state = { count: o.count, max: o.max };
    else if (o.type === ObjectType.Mutex) state = { owner: o.owner, count: o.count, abandoned: o.ownerDead };
    else state = { manual: o.manual, signaled: o.signaled };
    return {
      id: o.id,
      device: o.device.id,
      type: TYPE_NAMES[o.type],
      state,
      holders: (s.objectHolders.get(o.id) ?? []).map((pid) => ({ pid, name: s.nameOf(pid) })),
      closed: !o.handleOpen,
    };
  });

  const waits: WaitStatus[] = [...e.waitsPending()].map((w) => {
    const caller = describe(w);
    return {
      tid: caller.tid,
      thread: s.nameOf(caller.tid),
      owner: w.owner,
      kind: w.all ? 'all' : 'any',
      device: w.device,
      objects: w.entries.slice(0, w.count).map((en) => en.object.id),
      alert: w.entries.length > w.count ? w.entries[w.count].object.id : null,
      deadlineNs: w.deadline === TIMEOUT_INFINITE ? null : w.deadline.toString(),
      clock: w.realtime ? 'realtime' : 'monotonic',
      waitingMs: s.nowMs - caller.startedMs,
    };
  });

  const deadlocks: DeadlockStatus[] = findDeadlocks(e).map((cycle) => ({
    cycle: cycle.map((edge) => {
      const tid = describe(edge.wait).tid;
      return { tid, thread: s.nameOf(tid), owner: edge.wait.owner, waitsForMutex: edge.mutex, heldBy: edge.holder };
    }),
  }));

  return {
    daemon: s.daemon,
    devices,
    objects,
    waits,
    counters: {
      ...e.counters,
      waitsTimedOut: s.timedOut,
      waitsInterrupted: s.interrupted,
      ...(s.fdResolution && { fdsResolvedThroughProc: s.fdResolution.throughProc }),
      ...(s.fdResolution?.witnesses && { fdsVouchedByWitness: s.fdResolution.witnesses.hits, fdWitnessesHeld: s.fdResolution.witnesses.held }),
    },
    latencyNs: { p50: s.latency.quantile(0.5), p99: s.latency.quantile(0.99), samples: s.latency.samples },
    deadlocks,
  };
}
