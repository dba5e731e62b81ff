// A double-ended queue on a ring buffer: O(1) push and pop at both ends and O(1) access by
// index (LINDEX, LSET), with inserts and removals in the middle moving the shorter side only.
// The capacity is a power of two so a logical index maps to a slot with a mask; the buffer
// grows by doubling and shrinks by halving when it is mostly empty, so a list that was once
// large does not hold its memory forever. Freed slots are cleared so the GC can reclaim values.

import { dequeCapacityMin } from "../../constants.ts";
import { assert } from "../../util/assert.ts";

export class Deque<T> {
  #buf: (T | undefined)[];
  /** Slot of logical index 0. Invariant: 0 <= #head < #buf.length. */
  #head = 0;
  /** Number of elements. Invariant: 0 <= #size <= #buf.length. */
  #size = 0;
  /** #buf.length - 1; #buf.length is a power of two. */
  #mask: number;

  constructor(capacity = dequeCapacityMin) {
    let cap = dequeCapacityMin;
    while (cap < capacity) cap *= 2;
    this.#buf = new Array<T | undefined>(cap);
    this.#mask = cap - 1;
  }

  get size(): number {
    return this.#size;
  }

  /** Slots allocated (for tests of the shrinking rule). */
  get capacity(): number {
    return this.#buf.length;
  }

  pushBack(value: T): void {
    if (this.#size === this.#buf.length) this.#resize(this.#buf.length * 2);
    this.#buf[(this.#head + this.#size) & this.#mask] = value;
    this.#size++;
  }

  pushFront(value: T): void {
    if (this.#size === this.#buf.length) this.#resize(this.#buf.length * 2);
    this.#head = (this.#head - 1) & this.#mask;
    this.#buf[this.#head] = value;
    this.#size++;
  }

  popFront(): T | undefined {
    if (this.#size === 0) return undefined;
    const value = this.#buf[this.#head];
    this.#buf[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.#size--;
    this.#maybeShrink();
    return value;
  }

  popBack(): T | undefined {
    if (this.#size === 0) return undefined;
    const slot = (this.#head + this.#size - 1) & this.#mask;
    const value = this.#buf[slot];
    this.#buf[slot] = undefined;
    this.#size--;
    this.#maybeShrink();
    return value;
  }

  /** The element at logical index `i` (0 = front), which must be in range. */
  at(i: number): T {
    assert(i >= 0 && i < this.#size, "deque index in range");
    return this.#buf[(this.#head + i) & this.#mask] as T;
  }

  /** Replaces the element at logical index `i`, which must be in range. */
  setAt(i: number, value: T): void {
    assert(i >= 0 && i < this.#size, "deque index in range");
    this.#buf[(this.#head + i) & this.#mask] = value;
  }

  /** Inserts so that the new element has index `i` (0..size), moving the shorter side. */
  insertAt(i: number, value: T): void {
    assert(i >= 0 && i <= this.#size, "deque insert index in range");
    if (i === 0) return this.pushFront(value);
    if (i === this.#size) return this.pushBack(value);
    if (this.#size === this.#buf.length) this.#resize(this.#buf.length * 2);
    const buf = this.#buf;
    const mask = this.#mask;
    if (i < this.#size - i) {
      // Move elements [0, i) one slot towards the front.
      this.#head = (this.#head - 1) & mask;
      for (let k = 0; k < i; k++) buf[(this.#head + k) & mask] = buf[(this.#head + k + 1) & mask];
    } else {
      // Move elements [i, size) one slot towards the back.
      for (let k = this.#size; k > i; k--) buf[(this.#head + k) & mask] = buf[(this.#head + k - 1) & mask];
    }
    buf[(this.#head + i) & mask] = value;
    this.#size++;
  }

  /** Removes and returns the element at index `i` (in range), moving the shorter side. */
  removeAt(i: number): T {
    assert(i >= 0 && i < this.#size, "deque remove index in range");
    const buf = this.#buf;
    const mask = this.#mask;
    const value = buf[(this.#head + i) & mask] as T;
    if (i < this.#size - 1 - i) {
      for (let k = i; k > 0; k--) buf[(this.#head + k) & mask] = buf[(this.#head + k - 1) & mask];
      buf[this.#head] = undefined;
      this.#head = (this.#head + 1) & mask;
    } else {
      for (let k = i; k < this.#size - 1; k++) buf[(this.#head + k) & mask] = buf[(this.#head + k + 1) & mask];
      buf[(this.#head + this.#size - 1) & mask] = undefined;
    }
    this.#size--;
    this.#maybeShrink();
    return value;
  }

  /**
   * Removes up to `limit` elements for which `match` is true, scanning from the front
   * (`fromBack` false) or from the back; limit 0 means no limit. One pass, O(size).
   * Returns how many were removed.
   */
  removeMatching(match: (value: T) => boolean, limit: number, fromBack: boolean): number {
    const n = this.#size;
    const buf = this.#buf;
    const mask = this.#mask;
    const head = this.#head;
    let removed = 0;
    if (!fromBack) {
      let w = 0;
      for (let r = 0; r < n; r++) {
        const v = buf[(head + r) & mask] as T;
        if ((limit === 0 || removed < limit) && match(v)) {
          removed++;
          continue;
        }
        if (w !== r) buf[(head + w) & mask] = v;
        w++;
      }
      for (let k = w; k < n; k++) buf[(head + k) & mask] = undefined;
    } else {
      // Compact towards the back, then move the head forward.
      let w = n - 1;
      for (let r = n - 1; r >= 0; r--) {
        const v = buf[(head + r) & mask] as T;
        if ((limit === 0 || removed < limit) && match(v)) {
          removed++;
          continue;
        }
        if (w !== r) buf[(head + w) & mask] = v;
        w--;
      }
      for (let k = 0; k <= w; k++) buf[(head + k) & mask] = undefined;
      this.#head = (head + removed) & mask;
    }
    this.#size = n - removed;
    this.#maybeShrink();
    return removed;
  }

  /** Drops `front` elements from the front and `back` from the back (LTRIM). */
  trim(front: number, back: number): void {
    assert(front >= 0 && back >= 0 && front + back <= this.#size, "deque trim within size");
    for (let k = 0; k < front; k++) this.#buf[(this.#head + k) & this.#mask] = undefined;
    for (let k = 0; k < back; k++) this.#buf[(this.#head + this.#size - 1 - k) & this.#mask] = undefined;
    this.#head = (this.#head + front) & this.#mask;
    this.#size -= front + back;
    this.#maybeShrink();
  }

  /** Elements [start, end] (inclusive, in range) in order. */
  slice(start: number, end: number): T[] {
    assert(start >= 0 && end < this.#size, "deque slice in range");
    const out: T[] = [];
    for (let i = start; i <= end; i++) out.push(this.#buf[(this.#head + i) & this.#mask] as T);
    return out;
  }

  /** Every element, front to back. */
  toArray(): T[] {
    return this.#size === 0 ? [] : this.slice(0, this.#size - 1);
  }

  #maybeShrink(): void {
    let cap = this.#buf.length;
    while (cap > dequeCapacityMin && this.#size <= cap / 4) cap /= 2;
    if (cap !== this.#buf.length) this.#resize(cap);
  }

  #resize(capacity: number): void {
    assert(capacity >= this.#size && (capacity & (capacity - 1)) === 0, "deque capacity is a power of two that fits");
    const next = new Array<T | undefined>(capacity);
    for (let i = 0; i < this.#size; i++) next[i] = this.#buf[(this.#head + i) & this.#mask];
    this.#buf = next;
    this.#head = 0;
    this.#mask = capacity - 1;
  }
}
