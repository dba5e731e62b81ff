// The sorted set's B+tree (and the range queries ZSetValue builds on it) agree with a naive
// sorted array under random inserts, score updates, deletes, rank lookups, range queries and
// range deletions, with many ties broken by member bytes. Structural invariants (order,
// separators, counts, leaf links, balance) are checked as it goes.

import { expect, test } from "bun:test";
import { zsetTreeNodeMax } from "../src/constants.ts";
import { Rng } from "../src/engine/rng.ts";
import { ScoreTree, type Cursor } from "../src/engine/types/btree.ts";
import { ZSetValue } from "../src/engine/types/zset.ts";
import { lexGteMin, lexLteMax, scoreGteMin, scoreLteMax, type LexBound, type LexRange, type ScoreRange } from "../src/engine/types/zset-range.ts";
import { testSeed } from "./helpers/diff.ts";

interface Entry {
  member: string;
  score: number;
}

function cmp(a: Entry, b: Entry): number {
  if (a.score !== b.score) return a.score < b.score ? -1 : 1;
  return a.member < b.member ? -1 : a.member > b.member ? 1 : 0;
}

const edgeScores = [-Infinity, -1e308, -2.5, -1, -0, 0, 5e-324, 1, 1, 1, 2, 3.5, 1e308, Infinity];

function randomScore(rng: Rng): number {
  return rng.nextInt(3) === 0 ? edgeScores[rng.nextInt(edgeScores.length)] : rng.nextInt(20) - 10;
}

function randomMember(rng: Rng, pool: number): string {
  const n = rng.nextInt(pool);
  // Binary members with high bytes and prefixes of each other, so byte order matters.
  return rng.nextInt(4) === 0 ? `m${n}\xff` : rng.nextInt(4) === 0 ? `\x00${n}` : `m${n}`;
}

function randomRange(rng: Rng): ScoreRange {
  let min = randomScore(rng);
  let max = randomScore(rng);
  if (rng.nextInt(4) !== 0 && min > max) [min, max] = [max, min];
  return { min, max, minExclusive: rng.nextInt(2) === 0, maxExclusive: rng.nextInt(2) === 0 };
}

function randomBound(rng: Rng, pool: number): LexBound {
  const k = rng.nextInt(8);
  if (k === 0) return { inf: -1, value: "", exclusive: true };
  if (k === 1) return { inf: 1, value: "", exclusive: true };
  return { inf: 0, value: randomMember(rng, pool), exclusive: rng.nextInt(2) === 0 };
}

function entryAt(c: Cursor): Entry | null {
  return c.valid ? { member: c.member, score: c.score } : null;
}

/** Runs random operations; returns the largest size the tree reached. */
function runTree(seed: number, ops: number, pool: number): number {
  const rng = new Rng(seed);
  const tree = new ScoreTree();
  const scoreOf = new Map<string, number>();
  let ref: Entry[] = [];
  let largest = 0;
  const where = (what: string) => `seed ${seed}: ${what}`;
  for (let op = 0; op < ops; op++) {
    const member = randomMember(rng, pool);
    const k = rng.nextInt(12);
    if (k <= 3) {
      const score = randomScore(rng);
      const old = scoreOf.get(member);
      if (old === undefined) tree.insert(score, member);
      else tree.updateScore(old, member, score);
      scoreOf.set(member, score);
      const i = ref.findIndex((e) => e.member === member);
      if (i >= 0) ref.splice(i, 1);
      ref.splice(ref.findIndex((e) => cmp(e, { member, score }) > 0) >>> 0, 0, { member, score });
      if (ref.length > 1 && cmp(ref[ref.length - 2], ref[ref.length - 1]) > 0) ref.sort(cmp);
    } else if (k === 4) {
      const old = scoreOf.get(member);
      expect(tree.delete(old ?? 0, member), where("delete")).toBe(old !== undefined);
      scoreOf.delete(member);
      ref = ref.filter((e) => e.member !== member);
    } else if (k === 5) {
      const old = scoreOf.get(member);
      expect(old === undefined ? -1 : tree.rankOf(old, member), where("rankOf")).toBe(ref.findIndex((e) => e.member === member));
    } else if (k === 6) {
      const r = rng.nextInt(ref.length + 2) - 1;
      const c = tree.at(r);
      expect(entryAt(c), where("at")).toEqual(ref[r] ?? null);
      // Walk a few steps either way from there.
      if (c.valid) {
        const back = rng.nextInt(2) === 0;
        const steps = rng.nextInt(3 * zsetTreeNodeMax);
        c.skip(steps, back);
        expect(entryAt(c), where("skip")).toEqual(ref[back ? r - steps : r + steps] ?? null);
      }
    } else if (k === 7) {
      const range = randomRange(rng);
      const from = ref.findIndex((e) => scoreGteMin(e.score, range));
      const to = ref.findIndex((e) => !scoreLteMax(e.score, range));
      const first = from < 0 ? ref.length : from;
      expect(tree.rankWhere((s) => scoreGteMin(s, range)), where("rankWhere")).toBe(first);
      expect(entryAt(tree.cursorWhere((s) => scoreGteMin(s, range))), where("cursorWhere")).toEqual(ref[first] ?? null);
      const lastTrue = (to < 0 ? ref.length : to) - 1;
      expect(entryAt(tree.cursorBeforeWhereNot((s) => scoreLteMax(s, range))), where("cursorBeforeWhereNot")).toEqual(ref[lastTrue] ?? null);
    } else if (k === 8 && ref.length > 0 && rng.nextInt(4) === 0) {
      // Mostly short runs, sometimes several leaves' worth (the tree must still grow overall).
      const a = rng.nextInt(ref.length);
      const b = a + rng.nextInt(Math.min(rng.nextInt(20) === 0 ? 3 * zsetTreeNodeMax : 5, ref.length - a));
      const removed: string[] = [];
      expect(tree.deleteRankRange(a, b, (m) => removed.push(m))).toBe(b - a + 1);
      expect(removed, where("deleteRankRange")).toEqual(ref.slice(a, b + 1).map((e) => e.member));
      for (const m of removed) scoreOf.delete(m);
      ref.splice(a, b - a + 1);
    } else {
      expect(entryAt(tree.first())).toEqual(ref[0] ?? null);
      expect(entryAt(tree.last())).toEqual(ref[ref.length - 1] ?? null);
    }
    expect(tree.length).toBe(ref.length);
    largest = Math.max(largest, ref.length);
    if (op % 100 === 0) tree.checkInvariants();
  }
  tree.checkInvariants();
  const forward: Entry[] = [];
  for (const c = tree.first(); c.valid; c.next()) forward.push({ member: c.member, score: c.score });
  expect(forward).toEqual(ref);
  const backward: string[] = [];
  for (const c = tree.last(); c.valid; c.prev()) backward.push(c.member);
  expect(backward).toEqual(ref.map((e) => e.member).reverse());
  return largest;
}

test("tree matches a sorted array (small pool: many ties and collisions)", () => {
  const seed = testSeed();
  for (let i = 0; i < 20; i++) runTree(seed + i, 500, 12);
});

test("tree matches a sorted array (thousands of members: splits, merges, deep trees)", () => {
  const seed = testSeed();
  // Past 64 * 64 entries the tree has three levels.
  expect(runTree(seed, 40000, 20000)).toBeGreaterThan(zsetTreeNodeMax * zsetTreeNodeMax);
  runTree(seed + 1, 30000, 300);
});

test("ZSetValue's score and lex ranges, in both encodings, match a sorted array", () => {
  const seed = testSeed();
  const rng = new Rng(seed);
  const settings = { zsetMaxListpackEntries: 128, zsetMaxListpackValue: 64 };
  for (let round = 0; round < 60; round++) {
    const pool = 20 + rng.nextInt(400);
    const sameScore = rng.nextInt(2) === 0;
    const z = new ZSetValue(true);
    for (let i = 0; i < pool; i++) {
      const m = randomMember(rng, pool);
      if (!z.has(m)) z.insert(m, sameScore ? 0 : randomScore(rng), settings);
    }
    z.checkInvariants();
    expect(z.encoding()).toBe(z.size <= 128 ? "listpack" : "skiplist");
    const ref = [...z.ordered()].map(([member, score]) => ({ member, score }));
    const r = randomRange(rng);
    const inScore = ref.filter((e) => scoreGteMin(e.score, r) && scoreLteMax(e.score, r));
    expect(z.countInScoreRange(r), `seed ${seed}`).toBe(inScore.length);
    expect(entryAt(z.firstInScoreRange(r))).toEqual(inScore[0] ?? null);
    expect(entryAt(z.lastInScoreRange(r))).toEqual(inScore[inScore.length - 1] ?? null);
    if (sameScore) {
      const lr: LexRange = { min: randomBound(rng, pool), max: randomBound(rng, pool) };
      const inLex = ref.filter((e) => lexGteMin(e.member, lr) && lexLteMax(e.member, lr));
      expect(z.countInLexRange(lr), `seed ${seed}`).toBe(inLex.length);
      expect(entryAt(z.firstInLexRange(lr))).toEqual(inLex[0] ?? null);
      expect(entryAt(z.lastInLexRange(lr))).toEqual(inLex[inLex.length - 1] ?? null);
      expect(z.removeLexRange(lr)).toBe(inLex.length);
    } else {
      expect(z.removeScoreRange(r)).toBe(inScore.length);
    }
    z.checkInvariants();
    for (const e of sameScore ? [] : inScore) expect(z.has(e.member)).toBe(false);
  }
});

test("rank and at are inverse on a 100k-entry tree, and mass deletion shrinks it back", () => {
  const tree = new ScoreTree();
  const n = 100000;
  for (let i = 0; i < n; i++) tree.insert(i % 97, `m${i}`);
  tree.checkInvariants();
  for (let r = 0; r < n; r += 37) {
    const c = tree.at(r);
    expect(c.valid).toBe(true);
    expect(tree.rankOf(c.score, c.member)).toBe(r);
  }
  expect(tree.at(n).valid).toBe(false);
  expect(tree.rankOf(5, "absent")).toBe(-1);
  let removed = 0;
  tree.deleteRankRange(10, n - 11, () => removed++);
  expect(removed).toBe(n - 20);
  tree.checkInvariants();
  expect(tree.length).toBe(20);
  tree.deleteRankRange(0, 19, () => {});
  tree.checkInvariants();
  expect(tree.first().valid).toBe(false);
});

test("random deletions down to empty keep the tree balanced (leaf and inner merges)", () => {
  const rng = new Rng(testSeed());
  const tree = new ScoreTree();
  const entries: Entry[] = [];
  for (let i = 0; i < 20000; i++) {
    const e = { member: `m${i}`, score: rng.nextInt(1000) };
    entries.push(e);
    tree.insert(e.score, e.member);
  }
  // Shuffle, then delete in that order.
  for (let i = entries.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [entries[i], entries[j]] = [entries[j], entries[i]];
  }
  const alive = new Set(entries.map((e) => e.member));
  for (let i = 0; i < entries.length; i++) {
    expect(tree.delete(entries[i].score, entries[i].member)).toBe(true);
    alive.delete(entries[i].member);
    if (i % 500 === 0) {
      tree.checkInvariants();
      const left: string[] = [];
      for (const c = tree.first(); c.valid; c.next()) left.push(c.member);
      expect(left.length).toBe(alive.size);
      expect(left.every((m) => alive.has(m))).toBe(true);
    }
  }
  tree.checkInvariants();
  expect(tree.length).toBe(0);
  expect(tree.first().valid).toBe(false);
});
