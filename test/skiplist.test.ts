// The skip list agrees with a naive sorted array under random inserts, score updates, deletes,
// rank lookups and range queries (score, lex, rank), with many ties broken by member bytes.

import { expect, test } from "bun:test";
import { Rng } from "../src/engine/rng.ts";
import { SkipList, lexGteMin, lexLteMax, scoreGteMin, scoreLteMax, type LexBound, type LexRange, type ScoreRange } from "../src/engine/types/skiplist.ts";
import { testSeed } from "./helpers/diff.ts";

interface Entry {
  member: string;
  score: number;
}

function cmp(a: Entry, b: Entry): number {
  if (a.score !== b.score) return a.score < b.score ? -1 : 1;
  return a.member < b.member ? -1 : a.member > b.member ? 1 : 0;
}

const scores = [-Infinity, -1e308, -2.5, -1, -0, 0, 5e-324, 1, 1, 1, 2, 3.5, 1e308, Infinity];

function randomScore(rng: Rng): number {
  return rng.nextInt(3) === 0 ? scores[rng.nextInt(scores.length)] : rng.nextInt(20) - 10;
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

function run(seed: number, ops: number, pool: number): void {
  const rng = new Rng(seed);
  const list = new SkipList();
  const scoreOf = new Map<string, number>();
  let ref: Entry[] = [];
  const context = (what: string) => `seed ${seed}: ${what}`;
  for (let op = 0; op < ops; op++) {
    const member = randomMember(rng, pool);
    const k = rng.nextInt(10);
    if (k <= 2) {
      const score = randomScore(rng);
      const old = scoreOf.get(member);
      if (old === undefined) list.insert(score, member);
      else list.updateScore(old, member, score);
      scoreOf.set(member, score);
      ref = ref.filter((e) => e.member !== member);
      ref.push({ member, score });
      ref.sort(cmp);
    } else if (k === 3) {
      const old = scoreOf.get(member);
      expect(list.delete(old ?? 0, member)).toBe(old !== undefined);
      scoreOf.delete(member);
      ref = ref.filter((e) => e.member !== member);
    } else if (k === 4) {
      const old = scoreOf.get(member);
      const want = ref.findIndex((e) => e.member === member);
      expect(old === undefined ? -1 : list.rankOf(old, member), context("rank")).toBe(want);
    } else if (k === 5) {
      const r = rng.nextInt(ref.length + 2) - 1;
      const node = list.at(r);
      const want = ref[r];
      expect(node === null ? null : { member: node.member, score: node.score }, context("at")).toEqual(want === undefined ? null : want);
    } else if (k === 6) {
      const range = randomRange(rng);
      const inRange = ref.filter((e) => scoreGteMin(e.score, range) && scoreLteMax(e.score, range));
      const first = list.firstInRange(range);
      const last = list.lastInRange(range);
      expect(first?.member ?? null, context("firstInRange")).toBe(inRange[0]?.member ?? null);
      expect(last?.member ?? null, context("lastInRange")).toBe(inRange[inRange.length - 1]?.member ?? null);
      const got: string[] = [];
      for (let x = first; x !== null && scoreLteMax(x.score, range); x = x.next) got.push(x.member);
      expect(got, context("walk score range")).toEqual(inRange.map((e) => e.member));
      if (rng.nextInt(4) === 0) {
        const removed: string[] = [];
        expect(list.deleteRangeByScore(range, (m) => removed.push(m))).toBe(inRange.length);
        expect(removed).toEqual(inRange.map((e) => e.member));
        for (const m of removed) scoreOf.delete(m);
        ref = ref.filter((e) => !inRange.includes(e));
      }
    } else if (k === 7) {
      // Lex ranges are defined when all scores are equal: query a same-score copy.
      const lex = new SkipList();
      const sorted = [...scoreOf.keys()].sort();
      for (const m of sorted) lex.insert(0, m);
      const range: LexRange = { min: randomBound(rng, pool), max: randomBound(rng, pool) };
      const inRange = sorted.filter((m) => lexGteMin(m, range) && lexLteMax(m, range));
      expect(lex.firstInLexRange(range)?.member ?? null, context("firstInLexRange")).toBe(inRange[0] ?? null);
      expect(lex.lastInLexRange(range)?.member ?? null, context("lastInLexRange")).toBe(inRange[inRange.length - 1] ?? null);
      const removed: string[] = [];
      expect(lex.deleteRangeByLex(range, (m) => removed.push(m))).toBe(inRange.length);
      expect(removed).toEqual(inRange);
      lex.checkInvariants();
    } else if (k === 8 && ref.length > 0) {
      const a = rng.nextInt(ref.length);
      const b = a + rng.nextInt(Math.min(5, ref.length - a));
      const removed: string[] = [];
      expect(list.deleteRangeByRank(a, b, (m) => removed.push(m))).toBe(b - a + 1);
      expect(removed).toEqual(ref.slice(a, b + 1).map((e) => e.member));
      for (const m of removed) scoreOf.delete(m);
      ref.splice(a, b - a + 1);
    } else {
      const first = list.first();
      const last = list.last();
      expect(first?.member ?? null).toBe(ref[0]?.member ?? null);
      expect(last?.member ?? null).toBe(ref[ref.length - 1]?.member ?? null);
    }
    expect(list.length).toBe(ref.length);
    if (op % 50 === 0) list.checkInvariants();
  }
  list.checkInvariants();
  const all: Entry[] = [];
  for (let x = list.first(); x !== null; x = x.next) all.push({ member: x.member, score: x.score });
  expect(all).toEqual(ref);
  const back: string[] = [];
  for (let x = list.last(); x !== null; x = x.backward) back.push(x.member);
  expect(back).toEqual(ref.map((e) => e.member).reverse());
}

test("skip list matches a sorted array (small pool: many ties and collisions)", () => {
  const seed = testSeed();
  for (let i = 0; i < 20; i++) run(seed + i, 400, 12);
});

test("skip list matches a sorted array (larger pool)", () => {
  run(testSeed(), 6000, 400);
});

test("rank and at are inverse on a 20k-element list", () => {
  const list = new SkipList();
  const n = 20000;
  for (let i = 0; i < n; i++) list.insert(i % 97, `m${i}`);
  list.checkInvariants();
  for (let r = 0; r < n; r += 37) {
    const node = list.at(r);
    expect(node).not.toBeNull();
    if (node !== null) expect(list.rankOf(node.score, node.member)).toBe(r);
  }
  expect(list.at(n)).toBeNull();
  expect(list.rankOf(5, "absent")).toBe(-1);
});

test("the same operations build the same shape (deterministic levels)", () => {
  const build = () => {
    const l = new SkipList();
    for (let i = 0; i < 1000; i++) l.insert(i, `m${i}`);
    const heights: number[] = [];
    for (let x = l.first(); x !== null; x = x.next) heights.push(x.forward.length);
    return heights;
  };
  expect(build()).toEqual(build());
});
