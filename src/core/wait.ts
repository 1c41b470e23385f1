import type { DeviceId, ObjectId } from './types';
import type { SyncObject } from './sync-object';

/**
 * One (wait, object) pair, linked into that object's wait-any or wait-all queue. Intrusive
 * links give O(1) removal when a wait completes, whatever its position in each queue.
 */
export class WaitEntry<Tag> {
  prev: WaitEntry<Tag> | null = null;
  next: WaitEntry<Tag> | null = null;
  constructor(
    readonly wait: Wait<Tag>,
    readonly object: SyncObject<Tag>,
    /** The entry number reported as `index`: position in `objs`, or `count` for the alert. */
    readonly index: number,
    /** True for objs entries of a WAIT_ALL (wait-all queue); alerts always use wait-any. */
    readonly inAllQueue: boolean,
  ) {}
}

/** A wait that could not complete when it was issued. The caller answers it once `done`. */
export class Wait<Tag> {
  /** Entries 0..count-1 are the objects, entry `count` (if present) the alert. */
  readonly entries: WaitEntry<Tag>[] = [];
  done = false;
  /** 0, -EOWNERDEAD, or the status given to cancel(). Valid once `done`. */
  status = 0;
  /** The entry that satisfied the wait; valid once done with status 0 or -EOWNERDEAD. */
  index = 0;
  /** Set while acquiring: some acquired mutex had been abandoned. */
  ownerDead = false;
  constructor(
    readonly device: DeviceId,
    readonly all: boolean,
    readonly owner: number,
    readonly count: number,
    /** Absolute, on the clock `realtime` names; TIMEOUT_INFINITE when it never expires. */
    readonly deadline: bigint,
    readonly realtime: boolean,
    readonly tag: Tag,
  ) {}
}

/**
 * The input of Engine.wait(), reused from call to call so that a wait which completes at once
 * allocates nothing. `status` and `index` are outputs for that immediate case.
 */
export class WaitRequest<Tag> {
  device: DeviceId = 0;
  all = false;
  /** Object ids; the first `count` are used. An fd that did not resolve is 0. */
  objects: ObjectId[] = [];
  count = 0;
  /** 0 = no alert; -1 = an alert fd that did not resolve. */
  alert: ObjectId = 0;
  owner = 0;
  timeout = 0n;
  realtime = false;
  tag!: Tag;
  status = 0;
  index = 0;
}
