import { ObjectType, U32_MAX } from './types';
import type { ObjectId } from './types';
import type { WaitEntry } from './wait';
import type { Device } from './device';

/** A FIFO of wait entries, linked through the entries themselves. */
export class WaitQueue<Tag> {
  head: WaitEntry<Tag> | null = null;
  tail: WaitEntry<Tag> | null = null;
  length = 0;

  push(entry: WaitEntry<Tag>): void {
    entry.prev = this.tail;
    entry.next = null;
    if (this.tail) this.tail.next = entry;
    else this.head = entry;
    this.tail = entry;
    this.length++;
  }

  remove(entry: WaitEntry<Tag>): void {
    if (entry.prev) entry.prev.next = entry.next;
    else this.head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else this.tail = entry.prev;
    // entry.next is left intact on purpose: a wake loop that is standing on this entry
    // when its wait completes must still be able to step to the following one.
    entry.prev = null;
    this.length--;
  }
}

/**
 * A semaphore, mutex or event. One class with the union of the fields keeps every object the
 * same shape for the JIT; `type` says which fields mean something:
 *   semaphore: count, max        mutex: owner, count, ownerDead        event: manual, signaled
 */
export class SyncObject<Tag> {
  count = 0;
  max = 0;
  owner = 0;
  ownerDead = false;
  manual = false;
  signaled = false;
  /** Created by the first wait that queues here: most objects are never waited on while blocked. */
  anyQueue: WaitQueue<Tag> | null = null;
  allQueue: WaitQueue<Tag> | null = null;
  /** The object file (1 while any fd refers to it) plus one per queued wait entry. */
  refs = 1;
  handleOpen = true;
  /** Scratch stamp for duplicate detection in WAIT_ALL without allocating a set. */
  stamp = 0;

  constructor(
    readonly id: ObjectId,
    readonly type: ObjectType,
    readonly device: Device,
  ) {}

  /** Could a wait by `owner` acquire this object now? (spec 6.2) */
  isSignaledFor(owner: number): boolean {
    switch (this.type) {
      case ObjectType.Semaphore:
        return this.count > 0;
      case ObjectType.Mutex:
        return (this.owner === 0 || this.owner === owner) && this.count < U32_MAX;
      case ObjectType.Event:
        return this.signaled;
    }
  }

  /** Takes the object for `owner`; returns true when it was an abandoned mutex. */
  acquire(owner: number): boolean {
    switch (this.type) {
      case ObjectType.Semaphore:
        this.count--;
        return false;
      case ObjectType.Mutex: {
        const wasDead = this.ownerDead;
        this.ownerDead = false;
        this.count++;
        this.owner = owner;
        return wasDead;
      }
      case ObjectType.Event:
        if (!this.manual) this.signaled = false;
        return false;
    }
  }
}
