// The hash Redis's HyperLogLog runs every element through: MurmurHash64A (Austin Appleby's
// MurmurHash2, 64-bit, little-endian reads) with seed 0xadc83b19, and the split of that hash
// into a register index (low 14 bits) and a run length (position of the first 1 bit above
// them). JS has no 64-bit integers that are fast, so the hash lives in two unsigned 32-bit
// halves and products are built from 16-bit pieces, which doubles represent exactly.

/** HLL_P: 2^14 registers. */
export const hllP = 14;
/** HLL_Q: hash bits left for the run length. */
export const hllQ = 64 - hllP;
export const hllRegisters = 1 << hllP;
const hllPMask = hllRegisters - 1;
/** The seed Redis passes to MurmurHash64A for HyperLogLog elements. */
const hllSeed = 0xadc83b19;

// m = 0xc6a4a7935bd1e995, the MurmurHash64A multiplier.
const mHi = 0xc6a4a793;
const mLo = 0x5bd1e995;

/** High 32 bits of the 64-bit product of two unsigned 32-bit integers. */
function mulHigh32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) >>> 0;
}

/** The result pair, reused between calls (the hash runs once per element on the hot path). */
const out = { hi: 0, lo: 0 };

/** (hi, lo) × m mod 2^64 into `out`. */
function mulM(hi: number, lo: number): void {
  const high = (mulHigh32(lo, mLo) + Math.imul(hi, mLo) + Math.imul(lo, mHi)) >>> 0;
  out.lo = Math.imul(lo, mLo) >>> 0;
  out.hi = high;
}

/** Byte `i` of a binary string (one char per byte). */
function byteAt(s: string, i: number): number {
  return s.charCodeAt(i) & 0xff;
}

/**
 * MurmurHash64A of the bytes of binary string `s`; the result is left in the returned object
 * (reused: read it before the next call).
 */
export function murmurHash64A(s: string, seed: number): { readonly hi: number; readonly lo: number } {
  const len = s.length;
  // h = seed ^ (len * m)
  mulM(0, len >>> 0);
  let hHi = out.hi;
  let hLo = (out.lo ^ seed) >>> 0;
  const blocks = len - (len & 7);
  for (let i = 0; i < blocks; i += 8) {
    const kLo = (byteAt(s, i) | (byteAt(s, i + 1) << 8) | (byteAt(s, i + 2) << 16) | (byteAt(s, i + 3) << 24)) >>> 0;
    const kHi = (byteAt(s, i + 4) | (byteAt(s, i + 5) << 8) | (byteAt(s, i + 6) << 16) | (byteAt(s, i + 7) << 24)) >>> 0;
    mulM(kHi, kLo); // k *= m
    let k1Hi = out.hi;
    let k1Lo = (out.lo ^ (k1Hi >>> 15)) >>> 0; // k ^= k >> 47
    mulM(k1Hi, k1Lo); // k *= m
    k1Hi = out.hi;
    k1Lo = out.lo;
    mulM((hHi ^ k1Hi) >>> 0, (hLo ^ k1Lo) >>> 0); // h ^= k; h *= m
    hHi = out.hi;
    hLo = out.lo;
  }
  const rest = len & 7;
  if (rest > 0) {
    // The tail bytes, XORed in at their little-endian positions, then h *= m.
    for (let j = rest - 1; j >= 0; j--) {
      const b = byteAt(s, blocks + j);
      if (j >= 4) hHi = (hHi ^ (b << ((j - 4) * 8))) >>> 0;
      else hLo = (hLo ^ (b << (j * 8))) >>> 0;
    }
    mulM(hHi, hLo);
    hHi = out.hi;
    hLo = out.lo;
  }
  hLo = (hLo ^ (hHi >>> 15)) >>> 0; // h ^= h >> r
  mulM(hHi, hLo); // h *= m
  hHi = out.hi;
  hLo = (out.lo ^ (hHi >>> 15)) >>> 0; // h ^= h >> r
  out.hi = hHi;
  out.lo = hLo;
  return out;
}

/** Number of trailing zero bits of a non-zero 32-bit integer. */
function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** What an element does to an HLL: which register, and the run length it offers it. */
export interface HllPattern {
  /** Register index, 0..16383. */
  index: number;
  /** Length of the 000..1 pattern above the index bits, 1..hllQ + 1. */
  count: number;
}

/** Redis's hllPatLen for element `s` (a binary string), written into `into`. */
export function hllPatLen(s: string, into: HllPattern): HllPattern {
  const h = murmurHash64A(s, hllSeed);
  into.index = h.lo & hllPMask;
  // hash >>= P, then bit Q set so the run ends by Q + 1.
  const lo = ((h.lo >>> hllP) | (h.hi << (32 - hllP))) >>> 0;
  const hi = ((h.hi >>> hllP) | (1 << (hllQ - 32))) >>> 0;
  into.count = lo !== 0 ? ctz32(lo) + 1 : 32 + ctz32(hi) + 1;
  return into;
}
