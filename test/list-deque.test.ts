// The ring-buffer deque behind lists agrees with a plain array under random operations at both
// ends and in the middle, and gives memory back when it shrinks.

import { expect, test } from "bun:test";
import { dequeCapacityMin } from "../src/constants.ts";
import { Rng } from "../src/engine/rng.ts";
import { Deque } from "../src/engine/types/deque.ts";
import { ListValue } from "../src/engine/types/list.ts";
import { testSeed } from "./helpers/diff.ts";

function run(seed: number, ops: number): void {
  const rng = new Rng(seed);
  const d = new Deque<number>();
  let ref: number[] = [];
  let next = 0;
  for (let op = 0; op < ops; op++) {
    // Bias towards growth, then towards shrinking, so the buffer wraps, grows and shrinks.
    const growing = op % 2000 < 1200;
    const k = rng.nextInt(12);
    if (k < (growing ? 3 : 1)) {
      d.pushBack(next);
      ref.push(next++);
    } else if (k < (growing ? 6 : 2)) {
      d.pushFront(next);
      ref.unshift(next++);
    } else if (k === 6) {
      expect(d.popFront()).toBe(ref.shift());
    } else if (k === 7) {
      expect(d.popBack()).toBe(ref.pop());
    } else if (k === 8) {
      const i = rng.nextInt(ref.length + 1);
      d.insertAt(i, next);
      ref.splice(i, 0, next++);
    } else if (k === 9 && ref.length > 0) {
      const i = rng.nextInt(ref.length);
      expect(d.removeAt(i)).toBe(ref[i]);
      ref.splice(i, 1);
    } else if (k === 10 && ref.length > 0) {
      const mod = 2 + rng.nextInt(3);
      const limit = rng.nextInt(4);
      const fromBack = rng.nextInt(2) === 0;
      const match = (v: number) => v % mod === 0;
      let removed = 0;
      const order = fromBack ? [...ref.keys()].reverse() : [...ref.keys()];
      const drop = new Set<number>();
      for (const i of order) {
        if ((limit === 0 || removed < limit) && match(ref[i])) {
          drop.add(i);
          removed++;
        }
      }
      expect(d.removeMatching(match, limit, fromBack)).toBe(removed);
      ref = ref.filter((_, i) => !drop.has(i));
    } else if (k === 11 && ref.length > 0) {
      const front = rng.nextInt(Math.min(3, ref.length) + 1);
      const back = rng.nextInt(Math.min(3, ref.length - front) + 1);
      d.trim(front, back);
      ref = ref.slice(front, ref.length - back);
    } else if (ref.length > 0) {
      const i = rng.nextInt(ref.length);
      expect(d.at(i)).toBe(ref[i]);
      d.setAt(i, next);
      ref[i] = next++;
    }
    expect(d.size).toBe(ref.length);
  }
  expect(d.toArray()).toEqual(ref);
  if (ref.length > 0) expect(d.slice(0, ref.length - 1)).toEqual(ref);
}

test("deque matches an array under random operations", () => {
  const seed = testSeed();
  for (let i = 0; i < 10; i++) run(seed + i, 5000);
});

test("deque grows by doubling and shrinks when mostly empty", () => {
  const d = new Deque<number>();
  for (let i = 0; i < 100000; i++) d.pushBack(i);
  expect(d.capacity).toBe(131072);
  for (let i = 0; i < 99990; i++) d.popFront();
  expect(d.capacity).toBeLessThanOrEqual(64);
  expect(d.toArray()).toEqual([99990, 99991, 99992, 99993, 99994, 99995, 99996, 99997, 99998, 99999]);
  d.trim(5, 5);
  expect(d.size).toBe(0);
  expect(d.capacity).toBe(dequeCapacityMin);
});

test("a list reports quicklist (Redis 7.0) and clones deeply", () => {
  const l = new ListValue();
  l.pushBack("a");
  l.pushFront("b");
  const c = l.clone();
  c.pushBack("c");
  expect(l.toArray()).toEqual(["b", "a"]);
  expect(c.toArray()).toEqual(["b", "a", "c"]);
  expect(l.encoding()).toBe("quicklist");
  expect(l.type).toBe("list");
});
