// A hash: field → value, both binary strings, in a Dict (O(1) access, SCAN's guarantee, O(1)
// random picks).
//
// Redis keeps small hashes in a listpack and converts them, one way, to a hash table. raftis
// always uses the Dict and only remembers which encoding Redis would have, because the encoding
// shows: OBJECT ENCODING names it, and a listpack answers HGETALL/HKEYS/HVALS/HSCAN in
// insertion order (an update keeps its place), HSCAN returning everything at once with cursor 0.
// Dict iteration is insertion order with the same rules, so listpack order comes for free.

import type { EngineSettings } from "../settings.ts";
import type { CollectionValue } from "../value.ts";
import { Dict } from "../dict.ts";
import type { Rng } from "../rng.ts";

export type HashEncodingSettings = Pick<EngineSettings, "hashMaxListpackEntries" | "hashMaxListpackValue">;

export class HashValue implements CollectionValue {
  readonly type = "hash";
  readonly #fields = new Dict<string>();
  /** Would Redis hold this hash in a listpack? Only ever goes from true to false. */
  #listpack = true;

  /** Rebuilds a hash with the encoding it had (snapshots): no conversion rule runs. */
  static restore(listpack: boolean, entries: Iterable<readonly [string, string]>): HashValue {
    const h = new HashValue();
    h.#listpack = listpack;
    for (const [field, value] of entries) h.#fields.set(field, value);
    return h;
  }

  get size(): number {
    return this.#fields.size;
  }

  /** True while Redis would keep this hash in a listpack (insertion-ordered, scanned whole). */
  get isListpack(): boolean {
    return this.#listpack;
  }

  encoding(): string {
    return this.#listpack ? "listpack" : "hashtable";
  }

  clone(): HashValue {
    const copy = new HashValue();
    copy.#listpack = this.#listpack;
    for (const [field, value] of this.#fields.entries()) copy.#fields.set(field, value);
    return copy;
  }

  get(field: string): string | undefined {
    return this.#fields.get(field);
  }

  has(field: string): boolean {
    return this.#fields.has(field);
  }

  /**
   * Redis's hashTypeTryConversion, run before a write with these strings: a listpack holding
   * a string longer than hash-max-listpack-value becomes a hash table.
   */
  convertForStrings(strings: readonly string[], from: number, to: number, settings: HashEncodingSettings): void {
    if (!this.#listpack) return;
    for (let i = from; i < to; i++) {
      if (strings[i].length > settings.hashMaxListpackValue) {
        this.#listpack = false;
        return;
      }
    }
  }

  /**
   * Redis's hashTypeSet: sets a field (an update keeps the field's place), converting when a
   * string is too long or the hash has grown past hash-max-listpack-entries. True when new.
   */
  set(field: string, value: string, settings: HashEncodingSettings): boolean {
    if (this.#listpack && (field.length > settings.hashMaxListpackValue || value.length > settings.hashMaxListpackValue)) {
      this.#listpack = false;
    }
    const created = this.#fields.set(field, value);
    if (this.#listpack && this.#fields.size > settings.hashMaxListpackEntries) this.#listpack = false;
    return created;
  }

  /** Removes a field; false when it was not there. */
  delete(field: string): boolean {
    return this.#fields.delete(field);
  }

  /** Fields and values in Redis's iteration order for a listpack (insertion order). */
  entries(): IterableIterator<[string, string]> {
    return this.#fields.entries();
  }

  keys(): IterableIterator<string> {
    return this.#fields.keys();
  }

  /** HSCAN over the hash table: slots from `cursor`; see Dict.scan. */
  scan(cursor: number, count: number, visit: (field: string, value: string) => void): number {
    return this.#fields.scan(cursor, count, visit);
  }

  /** A uniformly random field, or undefined when empty. */
  randomField(rng: Rng): string | undefined {
    return this.#fields.randomKey(rng);
  }
}
