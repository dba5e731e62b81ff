// The test stream both threads agree on: record lengths come from a seeded Rng (so the consumer
// knows each expected length), contents from a random pool. A record of 8+ bytes carries its
// sequence number and the CRC32 of the rest, so a lost, duplicated, reordered or corrupted
// record is named precisely; shorter records hold a pattern derived from the sequence number.

import { Rng } from "../../src/engine/rng.ts";

const poolBytes = 1 << 20;

/** Random bytes every record copies a slice of (same seed → same pool on both threads). */
export function makePool(seed: number): Uint8Array {
  const rng = new Rng(seed ^ 0x5eed);
  const pool = new Uint8Array(poolBytes);
  const words = new Uint32Array(pool.buffer);
  for (let i = 0; i < words.length; i++) words[i] = rng.nextU32();
  return pool;
}

/**
 * Lengths skewed like real traffic but covering the extremes: 0, tiny, medium, large, and
 * near the ring's maximum record.
 */
export function nextLength(rng: Rng, max: number): number {
  const r = rng.nextU32() % 1000;
  if (r < 20) return 0;
  if (r < 800) return rng.nextInt(Math.min(max, 96) + 1);
  if (r < 980) return rng.nextInt(Math.min(max, 2048) + 1);
  if (r < 995) return rng.nextInt(max + 1);
  return max - rng.nextInt(Math.min(max, 64) + 1);
}

export function fillRecord(view: Uint8Array, seq: number, pool: Uint8Array): void {
  const n = view.length;
  if (n < 8) {
    for (let i = 0; i < n; i++) view[i] = (seq + i * 41) & 0xff;
    return;
  }
  const start = (Math.imul(seq, 2654435761) >>> 0) % (pool.length - n + 8 + 1);
  view.set(pool.subarray(start, start + n - 8), 8);
  const dv = new DataView(view.buffer, view.byteOffset, n);
  dv.setUint32(0, seq >>> 0, true);
  dv.setUint32(4, Bun.hash.crc32(view.subarray(8)), true);
}

/** null when `view` is record `seq` of `expectedLength`, else what is wrong. */
export function checkRecord(view: Uint8Array, seq: number, expectedLength: number): string | null {
  const n = view.length;
  if (n !== expectedLength) return `record ${seq}: length ${n}, expected ${expectedLength}`;
  if (n < 8) {
    for (let i = 0; i < n; i++) {
      if (view[i] !== ((seq + i * 41) & 0xff)) return `record ${seq}: byte ${i} differs`;
    }
    return null;
  }
  const dv = new DataView(view.buffer, view.byteOffset, n);
  const got = dv.getUint32(0, true);
  if (got !== seq >>> 0) return `record ${seq}: carries sequence ${got}`;
  if (dv.getUint32(4, true) !== Bun.hash.crc32(view.subarray(8))) return `record ${seq}: CRC mismatch`;
  return null;
}
