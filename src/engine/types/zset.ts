// A sorted set: a Dict from member to score (O(1) ZSCORE, SCAN's guarantee, O(1) random picks)
// plus a ScoreTree ordered by (score, member) (O(log n) insert, delete, rank and range).
//
// Redis keeps small sets in a listpack and converts them, one way, to a skip list; raftis always
// uses both structures and only remembers which encoding Redis would have. That matters for
// OBJECT ENCODING, for ZSCAN (a listpack is returned whole, in order, with cursor 0), for lex
// ranges on sets with mixed scores (a listpack is scanned linearly) and for -0 (a listpack
// stores scores as text that turns -0 into 0).

import { assert } from "../../util/assert.ts";
import { Dict } from "../dict.ts";
import type { Rng } from "../rng.ts";
import type { EngineSettings } from "../settings.ts";
import type { CollectionValue } from "../value.ts";
import { noCursor, ScoreTree, type Cursor } from "./btree.ts";
import { lexGteMin, lexLteMax, lexRangeEmpty, scoreGteMin, scoreLteMax, scoreRangeEmpty, type LexRange, type ScoreRange } from "./zset-range.ts";

type ZSetEncodingSettings = Pick<EngineSettings, "zsetMaxListpackEntries" | "zsetMaxListpackValue">;

export type { Cursor };

export class ZSetValue implements CollectionValue {
  readonly type = "zset";
  readonly #scores = new Dict<number>();
  readonly #tree = new ScoreTree();
  /** Would Redis hold this set in a listpack? Only ever goes from true to false (see convert). */
  #listpack: boolean;

  /** An empty set that Redis would hold in a listpack (`listpack`) or a skip list. */
  constructor(listpack: boolean) {
    this.#listpack = listpack;
  }

  /** Redis's rule for a set created by ZADD: listpack unless the first member is already too long. */
  static forFirstMember(member: string, settings: ZSetEncodingSettings): ZSetValue {
    return new ZSetValue(settings.zsetMaxListpackEntries !== 0 && member.length <= settings.zsetMaxListpackValue);
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
    for (const c = this.#tree.first(); c.valid; c.next()) yield [c.member, c.score];
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
    this.#tree.insert(score, member);
  }

  /** Gives an existing member a new score. */
  update(member: string, oldScore: number, newScore: number): void {
    const score = this.#listpack ? listpackScore(newScore) : newScore;
    this.#scores.set(member, score);
    this.#tree.updateScore(oldScore, member, score);
  }

  /** Removes a member; false when it was not there. */
  remove(member: string): boolean {
    const score = this.#scores.get(member);
    if (score === undefined) return false;
    this.#scores.delete(member);
    this.#tree.delete(score, member);
    return true;
  }

  /**
   * Redis's zsetConvertToListpackIfNeeded, for a set just built by ZUNIONSTORE and friends:
   * back to a listpack when small enough (the only way back).
   */
  convertToListpackIfFits(settings: ZSetEncodingSettings): void {
    if (this.#listpack || this.size > settings.zsetMaxListpackEntries) return;
    for (const member of this.#scores.keys()) {
      if (member.length > settings.zsetMaxListpackValue) return;
    }
    this.#listpack = true;
    const negativeZeros: string[] = [];
    for (const [member, score] of this.#scores.entries()) if (Object.is(score, -0)) negativeZeros.push(member);
    for (const member of negativeZeros) this.update(member, -0, 0);
  }

  /** 0-based rank in ascending (or descending) order, or -1. */
  rank(member: string, reverse: boolean): number {
    const score = this.#scores.get(member);
    if (score === undefined) return -1;
    const r = this.#tree.rankOf(score, member);
    return reverse ? this.size - 1 - r : r;
  }

  /** A cursor at the lowest member (invalid when empty). */
  first(): Cursor {
    return this.#tree.first();
  }

  /** A cursor at the highest member (invalid when empty). */
  last(): Cursor {
    return this.#tree.last();
  }

  /** A cursor at 0-based `rank` from the low end (or the high end when `reverse`). */
  at(rank: number, reverse: boolean): Cursor {
    return this.#tree.at(reverse ? this.size - 1 - rank : rank);
  }

  /** The lowest member with a score in `r` (invalid cursor when none). */
  firstInScoreRange(r: ScoreRange): Cursor {
    if (scoreRangeEmpty(r)) return noCursor();
    const c = this.#tree.cursorWhere((s) => scoreGteMin(s, r));
    return c.valid && !scoreLteMax(c.score, r) ? noCursor() : c;
  }

  /** The highest member with a score in `r` (invalid cursor when none). */
  lastInScoreRange(r: ScoreRange): Cursor {
    if (scoreRangeEmpty(r)) return noCursor();
    const c = this.#tree.cursorBeforeWhereNot((s) => scoreLteMax(s, r));
    return c.valid && !scoreGteMin(c.score, r) ? noCursor() : c;
  }

  /** [first, end) ranks of the members with scores in `r`. */
  #scoreRanks(r: ScoreRange): [number, number] {
    if (scoreRangeEmpty(r)) return [0, 0];
    const from = this.#tree.rankWhere((s) => scoreGteMin(s, r));
    const to = this.#tree.rankWhere((s) => !scoreLteMax(s, r));
    return [from, Math.max(from, to)];
  }

  countInScoreRange(r: ScoreRange): number {
    const [from, to] = this.#scoreRanks(r);
    return to - from;
  }

  /** Removes the members whose scores are in `r`; returns how many. */
  removeScoreRange(r: ScoreRange): number {
    const [from, to] = this.#scoreRanks(r);
    return to > from ? this.removeRankRange(from, to - 1) : 0;
  }

  /** Removes ranks start..end (0-based, inclusive, in range); returns how many. */
  removeRankRange(start: number, end: number): number {
    return this.#tree.deleteRankRange(start, end, (m) => this.#scores.delete(m));
  }

  /**
   * [first, end) ranks of the members in a lex range. Lex ranges are defined when all scores
   * are equal; otherwise the answer depends on the walk, and a listpack is walked from the head
   * as Redis walks it (a skip list's answer depends on its random shape, so no one can match it).
   */
  #lexRanks(r: LexRange): [number, number] {
    if (!this.#listpack) {
      if (lexRangeEmpty(r)) return [0, 0];
      const from = this.#tree.rankWhere((_, m) => lexGteMin(m, r));
      const to = this.#tree.rankWhere((_, m) => !lexLteMax(m, r));
      return [from, Math.max(from, to)];
    }
    if (!this.#lexTouches(r)) return [0, 0];
    let rank = 0;
    const c = this.#tree.first();
    while (c.valid && !lexGteMin(c.member, r)) {
      c.next();
      rank++;
    }
    const from = rank;
    while (c.valid && lexLteMax(c.member, r)) {
      c.next();
      rank++;
    }
    return [from, rank];
  }

  /** Redis's quick rejection: an empty range, the last member below min or the first above max. */
  #lexTouches(r: LexRange): boolean {
    if (lexRangeEmpty(r) || this.size === 0) return false;
    return lexGteMin(this.#tree.last().member, r) && lexLteMax(this.#tree.first().member, r);
  }

  /** The first member in a lex range (invalid cursor when none). */
  firstInLexRange(r: LexRange): Cursor {
    const [from, to] = this.#lexRanks(r);
    return to > from ? this.#tree.at(from) : noCursor();
  }

  /** The last member in a lex range; a listpack is scanned from the tail as Redis does. */
  lastInLexRange(r: LexRange): Cursor {
    if (!this.#listpack) {
      const [from, to] = this.#lexRanks(r);
      return to > from ? this.#tree.at(to - 1) : noCursor();
    }
    if (!this.#lexTouches(r)) return noCursor();
    const c = this.#tree.last();
    while (c.valid && !lexLteMax(c.member, r)) c.prev();
    return c.valid && lexGteMin(c.member, r) ? c : noCursor();
  }

  countInLexRange(r: LexRange): number {
    const [from, to] = this.#lexRanks(r);
    return to - from;
  }

  /** Removes the members of a lex range (ZREMRANGEBYLEX); returns how many. */
  removeLexRange(r: LexRange): number {
    const [from, to] = this.#lexRanks(r);
    return to > from ? this.removeRankRange(from, to - 1) : 0;
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

  /** Checks the two structures agree (tests). */
  checkInvariants(): void {
    this.#tree.checkInvariants();
    assert(this.#tree.length === this.#scores.size, "tree and dictionary hold the same members");
    for (const [member, score] of this.ordered()) assert(Object.is(this.#scores.get(member), score), "tree and dictionary agree on scores");
  }
}

/** A score as a listpack gives it back: stored as text, -0 comes back as 0. */
function listpackScore(score: number): number {
  return score === 0 ? 0 : score;
}
