// A string-keyed dictionary whose entries keep a fixed slot for their whole life. Slots are
// what make Redis's SCAN guarantee cheap: the cursor is a slot number, scanning walks slots
// upward, and an entry that exists for the whole scan never moves, so it is returned at least
// once however the dictionary changes meanwhile. Slots also make random picks O(1) expected
// (SPOP, SRANDMEMBER, RANDOMKEY). Freed slots are reused; the slot array never compacts, since
// moving entries would break running scans.

import { randomSlotTries, scanEmptySlotsPerCount } from "../constants.ts";
import { assert } from "../util/assert.ts";
import type { Rng } from "./rng.ts";

export class Dict<V> {
  readonly #index = new Map<string, number>();
  /** keys[slot] is the key living in that slot, or undefined for a free slot. */
  #keys: (string | undefined)[] = [];
  #values: (V | undefined)[] = [];
  /** Free slots below #keys.length, reused LIFO. */
  #free: number[] = [];

  get size(): number {
    return this.#index.size;
  }

  /** Slots ever allocated (live + free): the bound a SCAN cursor walks up to. */
  get slotCount(): number {
    return this.#keys.length;
  }

  has(key: string): boolean {
    return this.#index.has(key);
  }

  get(key: string): V | undefined {
    const slot = this.#index.get(key);
    return slot === undefined ? undefined : this.#values[slot];
  }

  /** Inserts or replaces; returns true when the key is new. */
  set(key: string, value: V): boolean {
    const slot = this.#index.get(key);
    if (slot !== undefined) {
      this.#values[slot] = value;
      return false;
    }
    const fresh = this.#free.length > 0 ? (this.#free.pop() as number) : this.#keys.length;
    this.#index.set(key, fresh);
    this.#keys[fresh] = key;
    this.#values[fresh] = value;
    return true;
  }

  /** Removes the key; returns true when it existed. */
  delete(key: string): boolean {
    const slot = this.#index.get(key);
    if (slot === undefined) return false;
    this.#index.delete(key);
    this.#keys[slot] = undefined;
    this.#values[slot] = undefined;
    if (this.#index.size === 0) {
      this.clear();
    } else if (slot === this.#keys.length - 1) {
      this.#keys.pop();
      this.#values.pop();
    } else {
      this.#free.push(slot);
    }
    return true;
  }

  /**
   * The exact slot layout: keys by slot (null for a free slot) and the free list in reuse
   * order. Random picks (SPOP) depend on it, so a snapshot that must make a replica pick the
   * same members as the leader carries it (see fromLayout).
   */
  layout(): { slots: (string | null)[]; free: number[] } {
    return { slots: this.#keys.map((k) => k ?? null), free: [...this.#free] };
  }

  /** The slot `key` lives in, or undefined when absent (a snapshot writer's "walked yet?"). */
  slotOf(key: string): number | undefined {
    return this.#index.get(key);
  }

  /** The key living in `slot`, or undefined for a free or never-allocated slot. */
  keyAt(slot: number): string | undefined {
    return this.#keys[slot];
  }

  /** The value living in `slot` (undefined for a free slot); pairs with keyAt. */
  valueAt(slot: number): V | undefined {
    return this.#values[slot];
  }

  /** Rebuilds a dictionary with exactly the given layout; `valueOf` gives each key's value. */
  static fromLayout<V>(slots: readonly (string | null)[], free: readonly number[], valueOf: (key: string) => V): Dict<V> {
    const d = new Dict<V>();
    for (let slot = 0; slot < slots.length; slot++) {
      const key = slots[slot];
      if (key === null) {
        d.#keys.push(undefined);
        d.#values.push(undefined);
        continue;
      }
      assert(!d.#index.has(key), "a key holds one slot");
      d.#index.set(key, slot);
      d.#keys.push(key);
      d.#values.push(valueOf(key));
    }
    for (const slot of free) assert(slot < slots.length && slots[slot] === null, "free slots are empty");
    d.#free = [...free];
    return d;
  }

  clear(): void {
    this.#index.clear();
    this.#keys = [];
    this.#values = [];
    this.#free = [];
  }

  keys(): IterableIterator<string> {
    return this.#index.keys();
  }

  *entries(): IterableIterator<[string, V]> {
    for (const [key, slot] of this.#index) yield [key, this.#values[slot] as V];
  }

  *values(): IterableIterator<V> {
    for (const slot of this.#index.values()) yield this.#values[slot] as V;
  }

  /**
   * Visits live entries from slot `cursor` upward until about `count` were visited (or
   * count * scanEmptySlotsPerCount slots were looked at). Returns the next cursor, 0 at the end.
   */
  scan(cursor: number, count: number, visit: (key: string, value: V) => void): number {
    assert(count > 0, "scan count is positive");
    let slot = cursor;
    let visited = 0;
    let looked = 0;
    const lookMax = count * scanEmptySlotsPerCount;
    while (slot < this.#keys.length && visited < count && looked < lookMax) {
      const key = this.#keys[slot];
      if (key !== undefined) {
        visit(key, this.#values[slot] as V);
        visited++;
      }
      slot++;
      looked++;
    }
    return slot >= this.#keys.length ? 0 : slot;
  }

  /** A uniformly random live key, or undefined when empty. */
  randomKey(rng: Rng): string | undefined {
    const n = this.#keys.length;
    if (n === 0) return undefined;
    for (let i = 0; i < randomSlotTries; i++) {
      const key = this.#keys[rng.nextInt(n)];
      if (key !== undefined) return key;
    }
    // Very sparse after mass deletion: pick the k-th live key.
    let k = rng.nextInt(this.#index.size);
    for (const key of this.#index.keys()) {
      if (k-- === 0) return key;
    }
    return undefined;
  }
}
