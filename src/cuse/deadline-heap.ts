// A binary min-heap of pending waits ordered by deadline, with O(log n) removal of any member
// (a wait that was woken or interrupted leaves the heap at once, so the head is always live).

export interface HeapMember {
  /** Absolute deadline in ns on the heap's clock. */
  deadline: bigint;
  /** Position in the heap's array; -1 when not in a heap. */
  heapIndex: number;
}

export class DeadlineHeap<T extends HeapMember> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  /** The earliest member, or undefined. */
  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    item.heapIndex = this.items.length;
    this.items.push(item);
    this.up(item.heapIndex);
  }

  remove(item: T): void {
    const i = item.heapIndex;
    if (i < 0 || this.items[i] !== item) return;
    const last = this.items.pop()!;
    item.heapIndex = -1;
    if (i === this.items.length) return;
    this.items[i] = last;
    last.heapIndex = i;
    this.down(i);
    this.up(last.heapIndex);
  }

  private up(i: number): void {
    const items = this.items;
    const item = items[i];
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent].deadline <= item.deadline) break;
      items[i] = items[parent];
      items[i].heapIndex = i;
      i = parent;
    }
    items[i] = item;
    item.heapIndex = i;
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const item = items[i];
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && items[child + 1].deadline < items[child].deadline) child++;
      if (items[child].deadline >= item.deadline) break;
      items[i] = items[child];
      items[i].heapIndex = i;
      i = child;
    }
    items[i] = item;
    item.heapIndex = i;
  }
}
