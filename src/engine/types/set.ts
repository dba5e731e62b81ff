// A set of binary strings in one of Redis 7.0's two encodings, because the encoding shows:
//   - intset: only canonical int64 members (string2ll accepts them), kept sorted numerically.
//     SMEMBERS, SSCAN (everything at once, cursor 0) and the set operations built on it answer
//     in that order. Redis 7.0 has no listpack sets.
//   - hashtable: a Dict (O(1) access, SCAN's guarantee, O(1) random picks), order unspecified.
// A set becomes a hash table, one way, when a non-integer is added or it grows past
// set-max-intset-entries.

import type { EngineSettings } from "../settings.ts";
import type { CollectionValue } from "../value.ts";
import { assert } from "../../util/assert.ts";
import { parseInt64 } from "../../util/number.ts";
import { Dict } from "../dict.ts";
import type { Rng } from "../rng.ts";

export type SetEncodingSettings = Pick<EngineSettings, "setMaxIntsetEntries">;

/** Redis limits an intset to 2^30 entries whatever set-max-intset-entries says. */
const intsetEntriesCap = 1 << 30;

/** True when Redis would store `member` in an intset (isSdsRepresentableAsLongLong). */
export function isIntsetMember(member: string): boolean {
  return member.length <= 20 && parseInt64(member) !== null;
}

/** Numeric order of two canonical int64 strings, without converting them. */
export function compareIntStrings(a: string, b: string): number {
  const negA = a.charCodeAt(0) === 45;
  const negB = b.charCodeAt(0) === 45;
  if (negA !== negB) return negA ? -1 : 1;
  // Canonical: no leading zeros, so a longer magnitude is larger.
  const magnitude = a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
  return negA ? -magnitude : magnitude;
}

export class SetValue implements CollectionValue {
  readonly type = "set";
  /** The intset encoding: sorted canonical integers. Null once a hash table. */
  #ints: string[] | null;
  /** The hashtable encoding. Null while an intset. */
  #dict: Dict<true> | null;

  private constructor(intset: boolean) {
    this.#ints = intset ? [] : null;
    this.#dict = intset ? null : new Dict<true>();
  }

  /** An empty intset: the destination of SINTERSTORE & co., which start as createIntsetObject. */
  static emptyIntset(): SetValue {
    return new SetValue(true);
  }

  /** Redis's setTypeCreate: an intset when the first member is an integer, else a hash table. */
  static forFirstMember(member: string): SetValue {
    return new SetValue(isIntsetMember(member));
  }

  /**
   * Rebuilds a set with the encoding it had (snapshots): no conversion rule runs. Members of an
   * intset must be canonical integers; they are sorted here.
   */
  static restore(intset: boolean, members: Iterable<string>): SetValue {
    const set = new SetValue(intset);
    if (set.#ints !== null) {
      for (const m of members) {
        assert(isIntsetMember(m), "an intset holds integers only");
        set.#ints.push(m);
      }
      set.#ints.sort(compareIntStrings);
    } else {
      for (const m of members) (set.#dict as Dict<true>).set(m, true);
    }
    return set;
  }

  /**
   * A hashtable set's exact slot layout (null for an intset, whose order is its sort). SPOP's
   * picks depend on it: snapshots carry it so a replica that loads one pops what the leader pops.
   */
  layout(): { slots: (string | null)[]; free: number[] } | null {
    return this.#dict === null ? null : this.#dict.layout();
  }

  /** A hashtable set with exactly the given layout (see layout()). */
  static restoreLayout(slots: readonly (string | null)[], free: readonly number[]): SetValue {
    const set = new SetValue(false);
    set.#dict = Dict.fromLayout(slots, free, () => true as const);
    return set;
  }

  get size(): number {
    return this.#ints !== null ? this.#ints.length : (this.#dict as Dict<true>).size;
  }

  get isIntset(): boolean {
    return this.#ints !== null;
  }

  encoding(): string {
    return this.#ints !== null ? "intset" : "hashtable";
  }

  clone(): SetValue {
    const copy = new SetValue(this.#ints !== null);
    if (this.#ints !== null) copy.#ints = [...this.#ints];
    else for (const m of (this.#dict as Dict<true>).keys()) (copy.#dict as Dict<true>).set(m, true);
    return copy;
  }

  has(member: string): boolean {
    if (this.#ints === null) return (this.#dict as Dict<true>).has(member);
    if (!isIntsetMember(member)) return false;
    const at = this.#search(member);
    return at < this.#ints.length && this.#ints[at] === member;
  }

  /** Redis's setTypeAdd: adds a member, converting when Redis would. True when it was new. */
  add(member: string, settings: SetEncodingSettings): boolean {
    const ints = this.#ints;
    if (ints === null) return (this.#dict as Dict<true>).set(member, true);
    if (!isIntsetMember(member)) {
      this.#toHashtable();
      return (this.#dict as Dict<true>).set(member, true);
    }
    const at = this.#search(member);
    if (at < ints.length && ints[at] === member) return false;
    ints.splice(at, 0, member);
    if (ints.length > Math.min(settings.setMaxIntsetEntries, intsetEntriesCap)) this.#toHashtable();
    return true;
  }

  /** Removes a member; false when it was not there. */
  remove(member: string): boolean {
    const ints = this.#ints;
    if (ints === null) return (this.#dict as Dict<true>).delete(member);
    if (!isIntsetMember(member)) return false;
    const at = this.#search(member);
    if (at >= ints.length || ints[at] !== member) return false;
    ints.splice(at, 1);
    return true;
  }

  /** Members in Redis's iteration order: ascending for an intset, slot order otherwise. */
  *members(): IterableIterator<string> {
    if (this.#ints !== null) yield* this.#ints;
    else yield* (this.#dict as Dict<true>).keys();
  }

  /** A uniformly random member, or undefined when empty. */
  randomMember(rng: Rng): string | undefined {
    if (this.#ints === null) return (this.#dict as Dict<true>).randomKey(rng);
    if (this.#ints.length === 0) return undefined;
    return this.#ints[rng.nextInt(this.#ints.length)];
  }

  /** SSCAN of a hash table: slots from `cursor` (see Dict.scan). Intsets are scanned whole. */
  scan(cursor: number, count: number, visit: (member: string) => void): number {
    assert(this.#dict !== null, "only hash tables are scanned by cursor");
    return this.#dict.scan(cursor, count, (m) => visit(m));
  }

  /** First index whose member is >= `member` (numerically). */
  #search(member: string): number {
    const ints = this.#ints as string[];
    let lo = 0;
    let hi = ints.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareIntStrings(ints[mid], member) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #toHashtable(): void {
    const dict = new Dict<true>();
    for (const m of this.#ints as string[]) dict.set(m, true);
    this.#dict = dict;
    this.#ints = null;
  }
}
