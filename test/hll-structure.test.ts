// The HyperLogLog building blocks: MurmurHash64A against a BigInt reference, the register
// pattern, and the sparse encoding against the dense one (same registers whatever the order of
// updates, opcodes always covering exactly 16384 registers).

import { describe, expect, test } from "bun:test";
import { Rng } from "../src/engine/rng.ts";
import { hllPatLen, hllRegisters, murmurHash64A } from "../src/engine/types/hll-hash.ts";
import { Hll, estimateCardinality, hllDenseBytes, hllEncodingDense, hllEncodingSparse, isValidHll, rawHistogram } from "../src/engine/types/hll.ts";
import { testSeed } from "./helpers/diff.ts";

const mask64 = (1n << 64n) - 1n;

/** MurmurHash64A straight from its definition, in BigInt. */
function murmurReference(bytes: readonly number[], seed: bigint): bigint {
  const m = 0xc6a4a7935bd1e995n;
  const r = 47n;
  let h = (seed ^ ((BigInt(bytes.length) * m) & mask64)) & mask64;
  const blocks = bytes.length - (bytes.length & 7);
  for (let i = 0; i < blocks; i += 8) {
    let k = 0n;
    for (let j = 7; j >= 0; j--) k = (k << 8n) | BigInt(bytes[i + j]);
    k = (k * m) & mask64;
    k ^= k >> r;
    k = (k * m) & mask64;
    h ^= k;
    h = (h * m) & mask64;
  }
  const rest = bytes.length & 7;
  if (rest > 0) {
    for (let j = rest - 1; j >= 0; j--) h ^= BigInt(bytes[blocks + j]) << BigInt(8 * j);
    h = (h * m) & mask64;
  }
  h ^= h >> r;
  h = (h * m) & mask64;
  h ^= h >> r;
  return h;
}

describe("MurmurHash64A", () => {
  test("equals the BigInt reference for random inputs of every length", () => {
    const rng = new Rng(testSeed());
    for (let i = 0; i < 3000; i++) {
      const bytes = Array.from({ length: rng.nextInt(40) }, () => rng.nextInt(256));
      const seed = rng.nextInt(3) === 0 ? 0xadc83b19 : rng.nextU32();
      const s = String.fromCharCode(...bytes);
      const h = murmurHash64A(s, seed);
      const got = (BigInt(h.hi) << 32n) | BigInt(h.lo);
      expect(got).toBe(murmurReference(bytes, BigInt(seed)));
    }
  });

  test("the register pattern takes the low 14 bits as index and counts from bit 14", () => {
    const rng = new Rng(testSeed());
    for (let i = 0; i < 2000; i++) {
      const s = `e${rng.nextU32()}`;
      const full = murmurReference([...s].map((c) => c.charCodeAt(0)), 0xadc83b19n);
      const pat = hllPatLen(s, { index: 0, count: 0 });
      expect(pat.index).toBe(Number(full & 16383n));
      let rest = (full >> 14n) | (1n << 50n);
      let count = 1;
      while ((rest & 1n) === 0n) {
        count++;
        rest >>= 1n;
      }
      expect(pat.count).toBe(count);
    }
  });
});

/** The registers of an HLL, read through a dense copy. */
function registers(h: Hll): number[] {
  const copy = Hll.fromString(h.toString());
  expect(copy.toDense()).toBe(true);
  return Array.from({ length: hllRegisters }, (_, i) => copy.denseRegister(i));
}

describe("sparse and dense encodings", () => {
  test("an empty HLL is 18 valid bytes that count 0", () => {
    const h = Hll.empty();
    expect(h.length).toBe(18);
    expect(h.encoding).toBe(hllEncodingSparse);
    expect(isValidHll(h.toString())).toBe(true);
    expect(estimateCardinality(h.histogram() as Int32Array)).toBe(0n);
    expect(h.toDense()).toBe(true);
    expect(h.length).toBe(hllDenseBytes);
    expect(isValidHll(h.toString())).toBe(true);
  });

  test("random register updates leave sparse and dense HLLs with the same registers", () => {
    const seed = testSeed();
    const rng = new Rng(seed);
    for (let round = 0; round < 60; round++) {
      const sparse = Hll.empty();
      const dense = Hll.empty();
      dense.toDense();
      const naive = new Uint8Array(hllRegisters);
      const updates = 1 + rng.nextInt(400);
      // Clustered indexes exercise the splitting and merging of neighbouring opcodes.
      const base = rng.nextInt(hllRegisters);
      for (let u = 0; u < updates; u++) {
        const index = rng.nextInt(2) === 0 ? (base + rng.nextInt(12)) % hllRegisters : rng.nextInt(hllRegisters);
        const count = 1 + rng.nextInt(rng.nextInt(10) === 0 ? 40 : 6);
        const expected = count > naive[index] ? 1 : 0;
        if (expected) naive[index] = count;
        expect(sparse.setRegister(index, count, 1 << 30)).toBe(expected);
        expect(dense.setRegister(index, count, 1 << 30)).toBe(expected);
        expect(sparse.histogram()).not.toBeNull();
      }
      expect(registers(sparse)).toEqual(Array.from(naive));
      expect(registers(dense)).toEqual(Array.from(naive));
      expect(estimateCardinality(sparse.histogram() as Int32Array)).toBe(estimateCardinality(dense.histogram() as Int32Array));
      expect(estimateCardinality(rawHistogram(naive))).toBe(estimateCardinality(dense.histogram() as Int32Array));
      // A sparse HLL only holds values up to 32: above that it must have been promoted.
      if (naive.some((v) => v > 32)) expect(sparse.encoding).toBe(hllEncodingDense);
    }
  });

  test("a sparse HLL is promoted exactly when it would outgrow the byte limit", () => {
    const rng = new Rng(testSeed());
    const limit = 200;
    const h = Hll.empty();
    while (h.encoding === hllEncodingSparse) {
      const before = h.length;
      h.setRegister(rng.nextInt(hllRegisters), 1 + rng.nextInt(3), limit);
      if (h.encoding === hllEncodingSparse) expect(h.length).toBeLessThanOrEqual(limit);
      else expect(before).toBeGreaterThan(limit - 3);
    }
    expect(h.length).toBe(hllDenseBytes);
  });

  test("merging into raw registers takes the maximum of each", () => {
    const rng = new Rng(testSeed());
    const x = Hll.empty();
    const y = Hll.empty();
    y.toDense();
    for (let i = 0; i < 300; i++) {
      x.add(`x${rng.nextU32()}`, 3000);
      y.add(`y${rng.nextU32()}`, 3000);
    }
    const max = new Uint8Array(hllRegisters);
    expect(x.mergeInto(max)).toBe(true);
    expect(y.mergeInto(max)).toBe(true);
    const rx = registers(x);
    const ry = registers(y);
    expect(Array.from(max)).toEqual(rx.map((v, i) => Math.max(v, ry[i])));
  });

  test("estimates stay within a few standard errors of the truth", () => {
    const h = Hll.empty();
    let checkpoint = 10;
    for (let n = 1; n <= 200_000; n++) {
      h.add(`item-${n}`, 3000);
      if (n !== checkpoint) continue;
      checkpoint *= 10;
      const estimate = Number(estimateCardinality(h.histogram() as Int32Array));
      // 1.04/sqrt(16384) = 0.81% standard error; 5 of them is a generous bound.
      expect(Math.abs(estimate - n)).toBeLessThanOrEqual(Math.max(1, Math.ceil(0.0081 * 5 * n)));
    }
  });
});
