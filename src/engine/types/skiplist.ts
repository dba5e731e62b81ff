// The ordered half of a sorted set: a skip list ordered by (score, member), members compared as
// bytes (binary strings compare like memcmp). As in Redis (and Pugh's paper, with Redis's
// changes): ties on score are ordered by member, each forward link records its span (how many
// level-0 steps it jumps) so rank and "element at rank" are O(log n), and level 0 has backward
// links for reverse walks.
//
// Node heights come from a generator seeded inside the structure, so the same operations build
// the same shape on every replica (the shape never changes results, only speed).

import { skiplistLevelMax, skiplistLevelP } from "../../constants.ts";
import { assert } from "../../util/assert.ts";

export class SkipNode {
  readonly member: string;
  score: number;
  /** Previous node at level 0 (null for the first node). */
  backward: SkipNode | null = null;
  /** forward[i]: next node at level i. */
  readonly forward: (SkipNode | null)[];
  /** span[i]: level-0 steps from this node to forward[i] (to the end of the list when null). */
  readonly span: number[];

  constructor(level: number, score: number, member: string) {
    this.member = member;
    this.score = score;
    this.forward = new Array<SkipNode | null>(level).fill(null);
    this.span = new Array<number>(level).fill(0);
  }

  /** The next node at level 0, or null at the end. */
  get next(): SkipNode | null {
    return this.forward[0];
  }
}

/** A score interval; `minExclusive` is `(min`, otherwise `[min`. */
export interface ScoreRange {
  readonly min: number;
  readonly max: number;
  readonly minExclusive: boolean;
  readonly maxExclusive: boolean;
}

/** One end of a lex interval: `-` (inf -1), `+` (inf 1), or a member, `[` or `(`. */
export interface LexBound {
  readonly inf: -1 | 0 | 1;
  readonly value: string;
  readonly exclusive: boolean;
}

export interface LexRange {
  readonly min: LexBound;
  readonly max: LexBound;
}

export function scoreGteMin(score: number, r: ScoreRange): boolean {
  return r.minExclusive ? score > r.min : score >= r.min;
}

export function scoreLteMax(score: number, r: ScoreRange): boolean {
  return r.maxExclusive ? score < r.max : score <= r.max;
}

/** True when no score can be in the range (Redis tests this before any lookup). */
export function scoreRangeEmpty(r: ScoreRange): boolean {
  return r.min > r.max || (r.min === r.max && (r.minExclusive || r.maxExclusive));
}

/** member compared with a bound: -1, 0 or 1. */
function compareLex(member: string, b: LexBound): number {
  if (b.inf !== 0) return -b.inf;
  return member < b.value ? -1 : member > b.value ? 1 : 0;
}

/** Two bounds compared (Redis's sdscmplex): `-` equals `-`, and is below everything else. */
function compareBounds(a: LexBound, b: LexBound): number {
  if (a.inf !== 0 || b.inf !== 0) return a.inf === b.inf ? 0 : a.inf < b.inf ? -1 : 1;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

export function lexGteMin(member: string, r: LexRange): boolean {
  const c = compareLex(member, r.min);
  return r.min.exclusive ? c > 0 : c >= 0;
}

export function lexLteMax(member: string, r: LexRange): boolean {
  const c = compareLex(member, r.max);
  return r.max.exclusive ? c < 0 : c <= 0;
}

export function lexRangeEmpty(r: LexRange): boolean {
  const c = compareBounds(r.min, r.max);
  return c > 0 || (c === 0 && (r.min.exclusive || r.max.exclusive));
}

/** (score, member) strictly before (otherScore, otherMember)? */
function before(node: SkipNode, score: number, member: string): boolean {
  return node.score < score || (node.score === score && node.member < member);
}

export class SkipList {
  readonly #header = new SkipNode(skiplistLevelMax, 0, "");
  #tail: SkipNode | null = null;
  /** Levels in use. Invariant: 1 <= #level <= skiplistLevelMax. */
  #level = 1;
  #length = 0;
  /** xorshift32 state for node heights; seeded here so the shape is reproducible. */
  #seed = 0x2545f491;
  /** Scratch arrays reused by every update (the structure is single-threaded). */
  readonly #update = new Array<SkipNode>(skiplistLevelMax);
  readonly #rank = new Array<number>(skiplistLevelMax).fill(0);

  get length(): number {
    return this.#length;
  }

  /** The lowest (score, member), or null when empty. */
  first(): SkipNode | null {
    return this.#header.forward[0];
  }

  /** The highest (score, member), or null when empty. */
  last(): SkipNode | null {
    return this.#tail;
  }

  #randomLevel(): number {
    let level = 1;
    const threshold = skiplistLevelP * 0xffff;
    for (;;) {
      let x = this.#seed;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.#seed = x >>> 0;
      if ((this.#seed & 0xffff) >= threshold || level >= skiplistLevelMax) return level;
      level++;
    }
  }

  /** Inserts a member that is not in the list (the caller's dictionary knows). */
  insert(score: number, member: string): SkipNode {
    assert(!Number.isNaN(score), "skip list scores are never NaN");
    const update = this.#update;
    const rank = this.#rank;
    let x = this.#header;
    for (let i = this.#level - 1; i >= 0; i--) {
      rank[i] = i === this.#level - 1 ? 0 : rank[i + 1];
      let next = x.forward[i];
      while (next !== null && before(next, score, member)) {
        rank[i] += x.span[i];
        x = next;
        next = x.forward[i];
      }
      update[i] = x;
    }
    const level = this.#randomLevel();
    if (level > this.#level) {
      for (let i = this.#level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.#header;
        this.#header.span[i] = this.#length;
      }
      this.#level = level;
    }
    const node = new SkipNode(level, score, member);
    for (let i = 0; i < level; i++) {
      node.forward[i] = update[i].forward[i];
      update[i].forward[i] = node;
      node.span[i] = update[i].span[i] - (rank[0] - rank[i]);
      update[i].span[i] = rank[0] - rank[i] + 1;
    }
    for (let i = level; i < this.#level; i++) update[i].span[i]++;
    node.backward = update[0] === this.#header ? null : update[0];
    const after = node.forward[0];
    if (after !== null) after.backward = node;
    else this.#tail = node;
    this.#length++;
    return node;
  }

  /** Unlinks `x`, whose predecessors at each level are in #update. */
  #unlink(x: SkipNode): void {
    const update = this.#update;
    for (let i = 0; i < this.#level; i++) {
      if (update[i].forward[i] === x) {
        update[i].span[i] += x.span[i] - 1;
        update[i].forward[i] = x.forward[i];
      } else {
        update[i].span[i] -= 1;
      }
    }
    const after = x.forward[0];
    if (after !== null) after.backward = x.backward;
    else this.#tail = x.backward;
    while (this.#level > 1 && this.#header.forward[this.#level - 1] === null) this.#level--;
    this.#length--;
  }

  /** Fills #update with the last node before (score, member) at every level. */
  #findUpdate(score: number, member: string): SkipNode {
    let x = this.#header;
    for (let i = this.#level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next !== null && before(next, score, member)) {
        x = next;
        next = x.forward[i];
      }
      this.#update[i] = x;
    }
    return x;
  }

  /** Removes (score, member); false when it is not there. */
  delete(score: number, member: string): boolean {
    const x = this.#findUpdate(score, member).forward[0];
    if (x === null || x.score !== score || x.member !== member) return false;
    this.#unlink(x);
    return true;
  }

  /**
   * Moves `member` from `oldScore` to `newScore` (Redis's zslUpdateScore): in place when its
   * position does not change, otherwise removed and inserted again.
   */
  updateScore(oldScore: number, member: string, newScore: number): SkipNode {
    const x = this.#findUpdate(oldScore, member).forward[0];
    assert(x !== null && x.score === oldScore && x.member === member, "updated member is in the skip list");
    const prev = x.backward;
    const next = x.forward[0];
    if ((prev === null || prev.score < newScore) && (next === null || next.score > newScore)) {
      x.score = newScore;
      return x;
    }
    this.#unlink(x);
    return this.insert(newScore, member);
  }

  /** 0-based rank of (score, member), or -1 when absent. */
  rankOf(score: number, member: string): number {
    let x = this.#header;
    let rank = 0;
    for (let i = this.#level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next !== null && (next.score < score || (next.score === score && next.member <= member))) {
        rank += x.span[i];
        x = next;
        next = x.forward[i];
      }
      if (x !== this.#header && x.member === member) return rank - 1;
    }
    return -1;
  }

  /** The node at 0-based `rank`, or null when out of range. */
  at(rank: number): SkipNode | null {
    if (rank < 0 || rank >= this.#length) return null;
    const target = rank + 1;
    let x = this.#header;
    let traversed = 0;
    for (let i = this.#level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next !== null && traversed + x.span[i] <= target) {
        traversed += x.span[i];
        x = next;
        next = x.forward[i];
      }
      if (traversed === target) return x;
    }
    return null;
  }

  /** Is some part of the list inside `r`? */
  #inRange(r: ScoreRange): boolean {
    if (scoreRangeEmpty(r)) return false;
    const tail = this.#tail;
    const head = this.#header.forward[0];
    return tail !== null && head !== null && scoreGteMin(tail.score, r) && scoreLteMax(head.score, r);
  }

  /** The first node with a score in `r`, or null. */
  firstInRange(r: ScoreRange): SkipNode | null {
    if (!this.#inRange(r)) return null;
    let x = this.#header;
    for (let i = this.#level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next !== null && !scoreGteMin(next.score, r)) {
        x = next;
        next = x.forward[i];
      }
    }
    const first = x.forward[0];
    assert(first !== null, "an inner range has a next node");
    return scoreLteMax(first.score, r) ? first : null;
  }

  /** The last node with a score in `r`, or null. */
  lastInRange(r: ScoreRange): SkipNode | null {
    if (!this.#inRange(r)) return null;
    let x = this.#header;
    for (let i = this.#level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next !== null && scoreLteMax(next.score, r)) {
        x = next;
        next = x.forward[i];
      }
    }
    assert(x !== this.#header, "an inner range has a last node");
    return scoreGteMin(x.score, r) ? x : null;
  }

  #inLexRange(r: LexRange): boolean {
    if (lexRangeEmpty(r)) return false;
    const tail = this.#tail;
    const head = this.#header.forward[0];
    return tail !== null && head !== null && lexGteMin(tail.member, r) && lexLteMax(head.member, r);
  }

  /** The first node whose member is in `r` (meaningful when all scores are equal). */
  firstInLexRange(r: LexRange): SkipNode | null {
    if (!this.#inLexRange(r)) return null;
    let x = this.#header;
    for (let i = this.#level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next !== null && !lexGteMin(next.member, r)) {
        x = next;
        next = x.forward[i];
      }
    }
    const first = x.forward[0];
    assert(first !== null, "an inner lex range has a next node");
    return lexLteMax(first.member, r) ? first : null;
  }

  /** The last node whose member is in `r` (meaningful when all scores are equal). */
  lastInLexRange(r: LexRange): SkipNode | null {
    if (!this.#inLexRange(r)) return null;
    let x = this.#header;
    for (let i = this.#level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next !== null && lexLteMax(next.member, r)) {
        x = next;
        next = x.forward[i];
      }
    }
    assert(x !== this.#header, "an inner lex range has a last node");
    return lexGteMin(x.member, r) ? x : null;
  }

  /** Removes every node with a score in `r`, calling `removed` for each; returns the count. */
  deleteRangeByScore(r: ScoreRange, removed: (member: string) => void): number {
    let x = this.#header;
    for (let i = this.#level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next !== null && !scoreGteMin(next.score, r)) {
        x = next;
        next = x.forward[i];
      }
      this.#update[i] = x;
    }
    return this.#deleteWhile(x.forward[0], (node) => scoreLteMax(node.score, r), removed);
  }

  /** Removes every node whose member is in `r` (walking as Redis does); returns the count. */
  deleteRangeByLex(r: LexRange, removed: (member: string) => void): number {
    let x = this.#header;
    for (let i = this.#level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next !== null && !lexGteMin(next.member, r)) {
        x = next;
        next = x.forward[i];
      }
      this.#update[i] = x;
    }
    return this.#deleteWhile(x.forward[0], (node) => lexLteMax(node.member, r), removed);
  }

  /** Removes the nodes with 0-based ranks start..end (inclusive, in range); returns the count. */
  deleteRangeByRank(start: number, end: number, removed: (member: string) => void): number {
    assert(start >= 0 && start <= end && end < this.#length, "rank range inside the list");
    let x = this.#header;
    let traversed = 0;
    for (let i = this.#level - 1; i >= 0; i--) {
      let next = x.forward[i];
      while (next !== null && traversed + x.span[i] < start + 1) {
        traversed += x.span[i];
        x = next;
        next = x.forward[i];
      }
      this.#update[i] = x;
    }
    let left = end - start + 1;
    return this.#deleteWhile(x.forward[0], () => left-- > 0, removed);
  }

  /** Unlinks nodes from `x` on while `keep` says so; #update holds their predecessors. */
  #deleteWhile(x: SkipNode | null, inRange: (node: SkipNode) => boolean, removed: (member: string) => void): number {
    let count = 0;
    while (x !== null && inRange(x)) {
      const next = x.forward[0];
      this.#unlink(x);
      removed(x.member);
      count++;
      x = next;
    }
    return count;
  }

  /** Checks every structural invariant (tests call it after each operation). O(n * levels). */
  checkInvariants(): void {
    const position = new Map<SkipNode, number>([[this.#header, 0]]);
    let prev: SkipNode | null = null;
    for (let x = this.#header.forward[0]; x !== null; x = x.forward[0]) {
      assert(x.backward === prev, "backward link points at the previous node");
      if (prev !== null) assert(before(prev, x.score, x.member), "nodes are in (score, member) order");
      position.set(x, position.size);
      prev = x;
    }
    assert(this.#tail === prev, "tail is the last node");
    assert(position.size - 1 === this.#length, "length counts the nodes");
    for (let i = 0; i < skiplistLevelMax; i++) {
      if (i >= this.#level) {
        assert(this.#header.forward[i] === null, "no links above the current level");
        continue;
      }
      if (i > 0 && i === this.#level - 1) assert(this.#header.forward[i] !== null, "the top level is in use");
      for (let x: SkipNode | null = this.#header; x !== null; x = x.forward[i]) {
        const next = x.forward[i];
        if (next === null) break;
        assert(x.span[i] === (position.get(next) as number) - (position.get(x) as number), `span at level ${i} is the level-0 distance`);
      }
    }
  }
}
