// A sorted set: a Dict from member to score (O(1) ZSCORE, SCAN's guarantee, O(1) random picks)
// plus a SkipList ordered by (score, member) (O(log n) insert, delete, rank and range).
//
// Redis keeps small sets in a listpack and converts them, one way, to a skip list; raftis always
// uses both structures and only remembers which encoding Redis would have. That matters for
// OBJECT ENCODING, for ZSCAN (a listpack is returned whole, in order, with cursor 0), for lex
// ranges on sets with mixed scores (a listpack is scanned linearly) and for -0 (a listpack
// stores scores as text that turns -0 into 0).

import type { EngineSettings } from "../settings.ts";
import type { CollectionValue } from "../value.ts";
import { Dict } from "../dict.ts";
import type { Rng } from "../rng.ts";
import { assert } from "../../util/assert.ts";
import { lexGteMin, lexLteMax, lexRangeEmpty, SkipList, type LexRange, type SkipNode } from "./skiplist.ts";

type ZSetEncodingSettings = Pick<EngineSettings, "zsetMaxListpackEntries" | "zsetMaxListpackValue">;

export class ZSetValue implements CollectionValue {
  readonly type = "zset";
  readonly #scores = new Dict<number>();
  readonly #list = new SkipList();
  /** Would Redis hold this set in a listpack? Only ever goes from true to false. */
  #listpack: boolean;

  /** An empty set whose encoding starts as Redis would choose for a first member of `firstMemberBytes`. */
  constructor(listpack: boolean) {
    this.#listpack = listpack;
  }

  /** Redis's rule for a set created by ZADD: listpack unless the first member is already too long. */
  static forFirstMember(member: string, settings: ZSetEncodingSettings): ZSetValue {
    return new ZSetValue(settings.zsetMaxListpackEntries !== 0 && member.length <= settings.zsetMaxListpackValue);
  }

  get size(): number {
    return this.#scores.size;
  }

  get isListpack(): boolean {
    return this.#listpack;
  }

  encoding(): string {
    return this.#listpack ? "listpack" : "skiplist";
  }

  clone(): ZSetValue {
    return ZSetValue.restore(this.#listpack, this.ordered());
  }

  /** Members and scores, lowest first (what a snapshot stores). */
  *ordered(): IterableIterator<[string, number]> {
    for (let x = this.#list.first(); x !== null; x = x.next) yield [x.member, x.score];
  }

  /**
   * Rebuilds a set with the encoding it had (COPY, snapshots): no conversion rule runs, so the
   * copy reports what the original reported whatever the settings are now.
   */
  static restore(listpack: boolean, entries: Iterable<readonly [string, number]>): ZSetValue {
    const z = new ZSetValue(listpack);
    for (const [member, score] of entries) z.#insert(member, score);
    return z;
  }

  score(member: string): number | undefined {
    return this.#scores.get(member);
  }

  has(member: string): boolean {
    return this.#scores.has(member);
  }

  /**
   * Adds a member that is not in the set, converting to a skip list first when Redis would
   * (one more entry than allowed, or a member longer than allowed).
   */
  insert(member: string, score: number, settings: ZSetEncodingSettings): void {
    if (this.#listpack && (this.size + 1 > settings.zsetMaxListpackEntries || member.length > settings.zsetMaxListpackValue)) {
      this.#listpack = false;
    }
    this.#insert(member, this.#listpack ? listpackScore(score) : score);
  }

  #insert(member: string, score: number): void {
    assert(this.#scores.set(member, score), "an inserted member is new");
    this.#list.insert(score, member);
  }

  /** Gives an existing member a new score. */
  update(member: string, oldScore: number, newScore: number): void {
    const score = this.#listpack ? listpackScore(newScore) : newScore;
    this.#scores.set(member, score);
    this.#list.updateScore(oldScore, member, score);
  }

  /** Removes a member; false when it was not there. */
  remove(member: string): boolean {
    const score = this.#scores.get(member);
    if (score === undefined) return false;
    this.#scores.delete(member);
    this.#list.delete(score, member);
    return true;
  }

  /**
   * Redis's zsetConvertToListpackIfNeeded, for a set just built by ZUNIONSTORE and friends:
   * back to a listpack when small enough (this is the only way back).
   */
  convertToListpackIfFits(settings: ZSetEncodingSettings): void {
    if (this.#listpack || this.size > settings.zsetMaxListpackEntries) return;
    for (let x = this.#list.first(); x !== null; x = x.next) {
      if (x.member.length > settings.zsetMaxListpackValue) return;
    }
    this.#listpack = true;
    for (let x = this.#list.first(); x !== null; x = x.next) {
      if (Object.is(x.score, -0)) {
        x.score = 0;
        this.#scores.set(x.member, 0);
      }
    }
  }

  /** 0-based rank in ascending (or descending) order, or -1. */
  rank(member: string, reverse: boolean): number {
    const score = this.#scores.get(member);
    if (score === undefined) return -1;
    const r = this.#list.rankOf(score, member);
    return reverse ? this.size - 1 - r : r;
  }

  /** The ordered structure, for range walks (read-only use). */
  get list(): SkipList {
    return this.#list;
  }

  /** The node at 0-based `rank` from the low end (or the high end when `reverse`). */
  at(rank: number, reverse: boolean): SkipNode | null {
    return this.#list.at(reverse ? this.size - 1 - rank : rank);
  }

  /** First node in a lex range; a listpack is scanned from the head as Redis does. */
  firstInLexRange(r: LexRange): SkipNode | null {
    if (!this.#listpack) return this.#list.firstInLexRange(r);
    if (lexRangeEmpty(r) || !this.#lexTouches(r)) return null;
    for (let x = this.#list.first(); x !== null; x = x.next) {
      if (lexGteMin(x.member, r)) return lexLteMax(x.member, r) ? x : null;
    }
    return null;
  }

  /** Last node in a lex range; a listpack is scanned from the tail as Redis does. */
  lastInLexRange(r: LexRange): SkipNode | null {
    if (!this.#listpack) return this.#list.lastInLexRange(r);
    if (lexRangeEmpty(r) || !this.#lexTouches(r)) return null;
    for (let x = this.#list.last(); x !== null; x = x.backward) {
      if (lexLteMax(x.member, r)) return lexGteMin(x.member, r) ? x : null;
    }
    return null;
  }

  /** Redis's quick rejection: the last member is below min or the first above max. */
  #lexTouches(r: LexRange): boolean {
    const first = this.#list.first();
    const last = this.#list.last();
    return first !== null && last !== null && lexGteMin(last.member, r) && lexLteMax(first.member, r);
  }

  /** Removes the members of a lex range (ZREMRANGEBYLEX); returns how many. */
  removeLexRange(r: LexRange): number {
    if (!this.#listpack) return this.#list.deleteRangeByLex(r, (m) => this.#scores.delete(m));
    let removed = 0;
    for (let x = this.firstInLexRange(r); x !== null && lexLteMax(x.member, r); ) {
      const next = x.next;
      this.remove(x.member);
      removed++;
      x = next;
    }
    return removed;
  }

  /** Removes the members whose scores are in `r`; returns how many. */
  removeScoreRange(r: Parameters<SkipList["deleteRangeByScore"]>[0]): number {
    return this.#list.deleteRangeByScore(r, (m) => this.#scores.delete(m));
  }

  /** Removes ranks start..end (0-based, inclusive, in range); returns how many. */
  removeRankRange(start: number, end: number): number {
    return this.#list.deleteRangeByRank(start, end, (m) => this.#scores.delete(m));
  }

  /** Members and scores in dictionary-slot order from `cursor` (ZSCAN of a skip list). */
  scan(cursor: number, count: number, visit: (member: string, score: number) => void): number {
    return this.#scores.scan(cursor, count, visit);
  }

  /** A uniformly random member, or undefined when empty. */
  randomMember(rng: Rng): string | undefined {
    return this.#scores.randomKey(rng);
  }

  /** Members and scores in dictionary order (set algebra, where order does not matter). */
  entries(): IterableIterator<[string, number]> {
    return this.#scores.entries();
  }
}

/** A score as a listpack gives it back: stored as text, -0 comes back as 0. */
function listpackScore(score: number): number {
  return score === 0 ? 0 : score;
}
