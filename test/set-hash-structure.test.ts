// SetValue and HashValue against naive references: membership, Redis's encoding rules (intset
// order, one-way conversions) and listpack insertion order.

import { describe, expect, test } from "bun:test";
import { Rng } from "../src/engine/rng.ts";
import { HashValue } from "../src/engine/types/hash.ts";
import { SetValue, compareIntStrings, isIntsetMember } from "../src/engine/types/set.ts";
import { testSeed } from "./helpers/diff.ts";

function randomInt64Text(rng: Rng): string {
  switch (rng.nextInt(4)) {
    case 0:
      return String(rng.nextInt(200) - 100);
    case 1:
      return (BigInt(rng.nextU32()) * BigInt(rng.nextU32()) * (rng.nextInt(2) === 0 ? -1n : 1n)).toString();
    case 2:
      return rng.nextInt(2) === 0 ? "9223372036854775807" : "-9223372036854775808";
    default:
      return String(rng.nextU32() - 2 ** 31);
  }
}

describe("compareIntStrings", () => {
  test("orders canonical int64 strings as numbers", () => {
    const rng = new Rng(testSeed());
    for (let i = 0; i < 20_000; i++) {
      const x = randomInt64Text(rng);
      const y = randomInt64Text(rng);
      const expected = BigInt(x) < BigInt(y) ? -1 : BigInt(x) > BigInt(y) ? 1 : 0;
      expect(Math.sign(compareIntStrings(x, y)) || 0).toBe(expected);
    }
  });

  test("isIntsetMember is string2ll: canonical int64 only", () => {
    for (const s of ["0", "-1", "9223372036854775807", "-9223372036854775808", "12"]) expect(isIntsetMember(s)).toBe(true);
    for (const s of ["-0", "007", "+1", " 1", "1 ", "9223372036854775808", "-9223372036854775809", "1.0", "", "x"]) expect(isIntsetMember(s)).toBe(false);
  });
});

describe("SetValue", () => {
  test("matches a naive set under random adds and removes, with Redis's encodings", () => {
    const seed = testSeed();
    const rng = new Rng(seed);
    for (let round = 0; round < 200; round++) {
      const max = rng.nextInt(12);
      const settings = { setMaxIntsetEntries: max };
      const first = rng.nextInt(3) === 0 ? `w${rng.nextInt(5)}` : randomInt64Text(rng);
      const set = SetValue.forFirstMember(first);
      expect(set.encoding()).toBe(isIntsetMember(first) ? "intset" : "hashtable");
      const naive = new Set<string>();
      let wasTable = set.encoding() === "hashtable";
      for (let op = 0; op < 60; op++) {
        const m = rng.nextInt(8) === 0 ? `w${rng.nextInt(5)}` : String(rng.nextInt(30) - 15);
        if (rng.nextInt(3) === 0) {
          expect(set.remove(m)).toBe(naive.delete(m));
        } else {
          const isNew = !naive.has(m);
          naive.add(m);
          expect(set.add(m, settings)).toBe(isNew);
          // Conversions: a non-integer, or one more member than allowed.
          if (!isIntsetMember(m) || naive.size > max) {
            if (set.encoding() === "intset") throw new Error(`should have converted (seed ${seed})`);
          }
        }
        if (wasTable) expect(set.encoding()).toBe("hashtable"); // one way only
        wasTable = set.encoding() === "hashtable";
        expect(set.size).toBe(naive.size);
        const got = [...set.members()];
        expect(new Set(got)).toEqual(naive);
        if (set.isIntset) expect(got).toEqual([...naive].sort(compareIntStrings));
        for (const probe of ["0", "-15", "w1", "99", "-0"]) expect(set.has(probe)).toBe(naive.has(probe));
      }
      const copy = set.clone();
      expect(copy.encoding()).toBe(set.encoding());
      expect([...copy.members()]).toEqual([...set.members()]);
      copy.add("fresh", settings);
      expect(set.has("fresh")).toBe(false);
    }
  });

  test("random members are members, and every member gets picked", () => {
    const rng = new Rng(testSeed());
    for (const items of [["1", "2", "3", "-4"], ["a", "b", "c", "d"]]) {
      const set = SetValue.forFirstMember(items[0]);
      for (const m of items) set.add(m, { setMaxIntsetEntries: 512 });
      const seen = new Set<string>();
      for (let i = 0; i < 400; i++) seen.add(set.randomMember(rng) as string);
      expect(seen).toEqual(new Set(items));
    }
    expect(SetValue.emptyIntset().randomMember(rng)).toBeUndefined();
  });
});

describe("HashValue", () => {
  const settings = { hashMaxListpackEntries: 6, hashMaxListpackValue: 10 };

  test("keeps insertion order while a listpack (updates keep their place), converts one way", () => {
    const seed = testSeed();
    const rng = new Rng(seed);
    for (let round = 0; round < 200; round++) {
      const h = new HashValue();
      const naive: [string, string][] = [];
      let wasTable = false;
      for (let op = 0; op < 30; op++) {
        const f = rng.nextInt(10) === 0 ? "L".repeat(11) : `f${rng.nextInt(9)}`;
        const v = rng.nextInt(10) === 0 ? "V".repeat(11) : `v${rng.nextInt(100)}`;
        const at = naive.findIndex(([k]) => k === f);
        if (rng.nextInt(4) === 0) {
          expect(h.delete(f)).toBe(at >= 0);
          if (at >= 0) naive.splice(at, 1);
        } else {
          expect(h.set(f, v, settings)).toBe(at < 0);
          if (at >= 0) naive[at][1] = v;
          else naive.push([f, v]);
          if (f.length > 10 || v.length > 10 || naive.length > 6) expect(h.encoding()).toBe("hashtable");
        }
        if (wasTable) expect(h.encoding()).toBe("hashtable");
        wasTable = !h.isListpack;
        expect(h.size).toBe(naive.length);
        if (h.isListpack) expect([...h.entries()]).toEqual(naive);
        else expect(new Map(h.entries())).toEqual(new Map(naive));
      }
      const copy = h.clone();
      expect([...copy.entries()]).toEqual([...h.entries()]);
      expect(copy.encoding()).toBe(h.encoding());
    }
  });

  test("convertForStrings converts a listpack only for a string over the value limit", () => {
    const h = new HashValue();
    h.convertForStrings(["hset", "k", "short", "1234567890"], 2, 4, settings);
    expect(h.encoding()).toBe("listpack");
    h.convertForStrings(["hset", "k", "f", "12345678901"], 2, 4, settings);
    expect(h.encoding()).toBe("hashtable");
  });
});

describe("restore (snapshots)", () => {
  test("keeps the encoding whatever the conversion rules would say", () => {
    const table = SetValue.restore(false, ["1", "2", "3"]);
    expect(table.encoding()).toBe("hashtable");
    expect(new Set(table.members())).toEqual(new Set(["1", "2", "3"]));
    const ints = SetValue.restore(true, ["5", "-3", "10"]);
    expect(ints.encoding()).toBe("intset");
    expect([...ints.members()]).toEqual(["-3", "5", "10"]);
    const small = HashValue.restore(false, [["a", "1"]]);
    expect(small.encoding()).toBe("hashtable");
    const listpack = HashValue.restore(true, [["b", "2"], ["a", "1"]]);
    expect(listpack.encoding()).toBe("listpack");
    expect([...listpack.entries()]).toEqual([["b", "2"], ["a", "1"]]);
  });
});
