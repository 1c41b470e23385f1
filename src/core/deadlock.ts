// Finds cycles of waiters blocked on mutexes owned by each other: owner A waits for a mutex
// that owner B holds while B waits for one that A (or someone in the chain back to A) holds.
// Only waits that nothing but a mutex release can end count as blocked: a WAIT_ALL that needs
// a mutex held by another owner, or a WAIT_ANY (without alert) whose every object is such a
// mutex. Events and semaphores can be signalled by anyone, so they never close a cycle.
import type { Engine } from './engine';
import type { Wait } from './wait';
import { ObjectType } from './types';

export interface DeadlockEdge<Tag> {
  /** The blocked wait. */
  wait: Wait<Tag>;
  /** The mutex it needs (id) and the owner holding it. */
  mutex: number;
  holder: number;
}

/** Each cycle lists its edges in order: edge[i].holder is the owner of edge[i+1].wait. */
export type DeadlockCycle<Tag> = DeadlockEdge<Tag>[];

function blockingMutexes<Tag>(wait: Wait<Tag>): DeadlockEdge<Tag>[] | null {
  const edges: DeadlockEdge<Tag>[] = [];
  const hasAlert = wait.entries.length > wait.count;
  for (let i = 0; i < wait.count; i++) {
    const obj = wait.entries[i].object;
    const heldByOther = obj.type === ObjectType.Mutex && obj.owner !== 0 && obj.owner !== wait.owner;
    if (heldByOther) edges.push({ wait, mutex: obj.id, holder: obj.owner });
    else if (!wait.all) return null; // a WAIT_ANY with an object someone else can signal
  }
  if (edges.length === 0 || (!wait.all && hasAlert)) return null;
  return edges;
}

export function findDeadlocks<Tag>(engine: Engine<Tag>): DeadlockCycle<Tag>[] {
  // owner -> the edges of that owner's blocked waits
  const out = new Map<number, DeadlockEdge<Tag>[]>();
  for (const wait of engine.waitsPending()) {
    const edges = blockingMutexes(wait);
    if (!edges) continue;
    const list = out.get(wait.owner) ?? [];
    list.push(...edges);
    out.set(wait.owner, list);
  }

  const cycles: DeadlockCycle<Tag>[] = [];
  const reported = new Set<number>();
  const state = new Map<number, 'open' | 'done'>();
  const path: DeadlockEdge<Tag>[] = [];

  const visit = (owner: number): void => {
    state.set(owner, 'open');
    for (const edge of out.get(owner) ?? []) {
      const next = edge.holder;
      path.push(edge);
      if (state.get(next) === 'open') {
        const start = path.findIndex((e) => e.wait.owner === next);
        const cycle = path.slice(start);
        if (!cycle.some((e) => reported.has(e.wait.owner))) {
          cycle.forEach((e) => reported.add(e.wait.owner));
          cycles.push(cycle);
        }
      } else if (!state.has(next)) {
        visit(next);
      }
      path.pop();
    }
    state.set(owner, 'done');
  };
  for (const owner of out.keys()) if (!state.has(owner)) visit(owner);
  return cycles;
}
