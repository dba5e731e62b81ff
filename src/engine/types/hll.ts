// Redis's HyperLogLog, byte for byte. An HLL is a plain string value, so its bytes are visible
// (GET, DUMP, replication to a real Redis) and must be exactly what Redis 7.0 would store:
//
//   header (16 bytes): "HYLL", encoding (0 dense, 1 sparse), 3 unused bytes, and the cached
//   cardinality as a little-endian uint64 whose top bit set means "stale, recompute".
//   dense: 16384 registers of 6 bits, packed from the low bits of each byte upward.
//   sparse: run-length opcodes over the registers: ZERO 00xxxxxx (1..64 zeros), XZERO
//   01xxxxxx yyyyyyyy (1..16384 zeros), VAL 1vvvvvxx (value 1..32, repeated 1..4 times).
//
// The sparse updates follow Redis's exact splitting and merging of opcodes, and promotion to
// dense happens at the same moments (a value above 32, or growth past hll-sparse-max-bytes),
// so the same commands leave the same bytes. The estimate is Redis 7.0's (Otmar Ertl's
// improved estimator over the register histogram), computed in the same double arithmetic.

import { assert } from "../../util/assert.ts";
import { binaryToBytes, bytesToBinary } from "../../util/bytes.ts";
import { hllPatLen, hllQ, hllRegisters, type HllPattern } from "./hll-hash.ts";

export const hllHeaderBytes = 16;
const hllBits = 6;
const registerMax = (1 << hllBits) - 1;
/** Size of a dense HLL: header plus 12288 bytes of registers. */
export const hllDenseBytes = hllHeaderBytes + Math.floor((hllRegisters * hllBits + 7) / 8);
export const hllEncodingDense = 0;
export const hllEncodingSparse = 1;
const encodingOffset = 4;
const cardOffset = 8;

// Sparse opcodes.
const sparseXzeroBit = 0x40;
const sparseValBit = 0x80;
const sparseValMaxValue = 32;
const sparseValMaxLen = 4;
const sparseZeroMaxLen = 64;
const sparseXzeroMaxLen = 16384;

const isZero = (op: number): boolean => (op & 0xc0) === 0;
const isXzero = (op: number): boolean => (op & 0xc0) === sparseXzeroBit;
const isVal = (op: number): boolean => (op & sparseValBit) !== 0;
const zeroLen = (op: number): number => (op & 0x3f) + 1;
const xzeroLen = (op: number, next: number): number => (((op & 0x3f) << 8) | next) + 1;
const valValue = (op: number): number => ((op >> 2) & 0x1f) + 1;
const valLen = (op: number): number => (op & 0x3) + 1;
const valOp = (value: number, len: number): number => (((value - 1) << 2) | (len - 1) | sparseValBit) & 0xff;

/** The Redis 7.0 error for a string that is not an HLL (sent with its own WRONGTYPE code). */
export const notHllError = "WRONGTYPE Key is not a valid HyperLogLog string value.";
/** The Redis 7.0 error for an HLL whose sparse opcodes do not cover the registers exactly. */
export const corruptHllError = "INVALIDOBJ Corrupted HLL object detected";

/** Redis's isHLLObjectOrReply checks on a string value (binary string). */
export function isValidHll(s: string): boolean {
  if (s.length < hllHeaderBytes) return false;
  if (s.charCodeAt(0) !== 72 || s.charCodeAt(1) !== 89 || s.charCodeAt(2) !== 76 || s.charCodeAt(3) !== 76) return false; // "HYLL"
  const encoding = s.charCodeAt(encodingOffset);
  if (encoding > hllEncodingSparse) return false;
  return encoding !== hllEncodingDense || s.length === hllDenseBytes;
}

/** The cached cardinality of a valid HLL string, or null when it is marked stale. */
export function cachedCardinality(s: string): bigint | null {
  if ((s.charCodeAt(cardOffset + 7) & 0x80) !== 0) return null;
  let card = 0n;
  for (let i = 7; i >= 0; i--) card = (card << 8n) | BigInt(s.charCodeAt(cardOffset + i));
  return card;
}

/** Value of dense register `index` in `b`, whose registers start at `base`. */
function denseGet(b: Uint8Array, base: number, index: number): number {
  const bit = index * hllBits;
  const byte = base + (bit >> 3);
  const fb = bit & 7;
  // The byte after the last register is a spare zero byte (Redis reads sds's terminator).
  return ((b[byte] >> fb) | (b[byte + 1] << (8 - fb))) & registerMax;
}

function denseSetRaw(b: Uint8Array, base: number, index: number, value: number): void {
  const bit = index * hllBits;
  const byte = base + (bit >> 3);
  const fb = bit & 7;
  const fb8 = 8 - fb;
  b[byte] = (b[byte] & ~(registerMax << fb)) | ((value << fb) & 0xff);
  b[byte + 1] = (b[byte + 1] & ~(registerMax >> fb8)) | (value >> fb8);
}

/** One decoded HLL kept for the next command on the same bytes (see Hll.remember). */
const remembered: { text: string | null; hll: Hll | null } = { text: null, hll: null };

/** A register histogram: how many registers hold each value 0..63. */
export type RegisterHistogram = Int32Array;

/** An HLL being read or changed: its bytes (with spare room) and its length. */
export class Hll {
  #b: Uint8Array;
  #len: number;
  /** Reused by add(): the element's register and run length. */
  readonly #pattern: HllPattern = { index: 0, count: 0 };

  private constructor(bytes: Uint8Array, length: number) {
    this.#b = bytes;
    this.#len = length;
  }

  /** Redis's createHLLObject: sparse, every register zero (XZERO:16384), cached cardinality 0. */
  static empty(): Hll {
    const len = hllHeaderBytes + 2;
    const h = new Hll(new Uint8Array(len + 64), len);
    h.#b.set([72, 89, 76, 76], 0);
    h.#b[encodingOffset] = hllEncodingSparse;
    h.#b[hllHeaderBytes] = ((sparseXzeroMaxLen - 1) >> 8) | sparseXzeroBit;
    h.#b[hllHeaderBytes + 1] = (sparseXzeroMaxLen - 1) & 0xff;
    return h;
  }

  /**
   * An HLL over the bytes of a string that passed isValidHll. The caller owns the result and
   * may change it. If `s` is the string last passed to remember(), its decoded copy is handed
   * over instead of decoding 12 KB again (a PFADD stream on one key pays for it once).
   */
  static fromString(s: string): Hll {
    if (s === remembered.text && remembered.hll !== null) {
      const hll = remembered.hll;
      remembered.text = null;
      remembered.hll = null;
      return hll;
    }
    assert(isValidHll(s), "an HLL is decoded only after validation");
    const spare = s.charCodeAt(encodingOffset) === hllEncodingDense ? 1 : 64;
    const b = new Uint8Array(s.length + spare);
    b.set(binaryToBytes(s), 0);
    return new Hll(b, s.length);
  }

  /**
   * Keeps `hll` as the decoded form of `text` (its toString()) for the next fromString(text).
   * Call it only when done changing `hll`.
   */
  static remember(text: string, hll: Hll): void {
    assert(text.length === hll.#len, "remembered text is the HLL's bytes");
    remembered.text = text;
    remembered.hll = hll;
  }

  get encoding(): number {
    return this.#b[encodingOffset];
  }

  get length(): number {
    return this.#len;
  }

  toString(): string {
    return bytesToBinary(this.#b, 0, this.#len);
  }

  invalidateCache(): void {
    this.#b[cardOffset + 7] |= 0x80;
  }

  /** Stores `card` (an int64 as Redis computed it) as the valid cached cardinality. */
  setCachedCardinality(card: bigint): void {
    let v = BigInt.asUintN(64, card);
    for (let i = 0; i < 8; i++) {
      this.#b[cardOffset + i] = Number(v & 0xffn);
      v >>= 8n;
    }
  }

  /** Redis's hllAdd: 1 when a register grew, 0 when not, -1 when the sparse data is corrupt. */
  add(element: string, sparseMaxBytes: number): number {
    const pat = hllPatLen(element, this.#pattern);
    return this.setRegister(pat.index, pat.count, sparseMaxBytes);
  }

  /** Raises register `index` to `count` if lower (hllDenseSet / hllSparseSet); same results as add(). */
  setRegister(index: number, count: number, sparseMaxBytes: number): number {
    if (this.encoding === hllEncodingDense) return this.#denseSet(index, count);
    return this.#sparseSet(index, count, sparseMaxBytes);
  }

  /** Value of register `index` of a dense HLL. */
  denseRegister(index: number): number {
    assert(this.encoding === hllEncodingDense, "dense registers are read from a dense HLL");
    return denseGet(this.#b, hllHeaderBytes, index);
  }

  #denseSet(index: number, count: number): number {
    if (count <= denseGet(this.#b, hllHeaderBytes, index)) return 0;
    denseSetRaw(this.#b, hllHeaderBytes, index, count);
    return 1;
  }

  /** Redis's hllSparseToDense; false (nothing changed) when the opcodes are corrupt. */
  toDense(): boolean {
    if (this.encoding === hllEncodingDense) return true;
    const dense = new Uint8Array(hllDenseBytes + 1);
    dense.set(this.#b.subarray(0, hllHeaderBytes), 0); // magic, unused bytes and cached cardinality
    dense[encodingOffset] = hllEncodingDense;
    const b = this.#b;
    const end = this.#len;
    let idx = 0;
    let p = hllHeaderBytes;
    while (p < end) {
      const op = b[p];
      if (isZero(op)) {
        idx += zeroLen(op);
        p++;
      } else if (isXzero(op)) {
        idx += xzeroLen(op, b[p + 1]);
        p += 2;
      } else {
        let runlen = valLen(op);
        const value = valValue(op);
        if (runlen + idx > hllRegisters) break; // overflow: corrupt
        while (runlen-- > 0) denseSetRaw(dense, hllHeaderBytes, idx++, value);
        p++;
      }
    }
    if (idx !== hllRegisters) return false;
    this.#b = dense;
    this.#len = hllDenseBytes;
    return true;
  }

  /** Makes room for `extra` more bytes, keeping the byte after the end zero (sds's terminator). */
  #reserve(extra: number): void {
    if (this.#len + extra + 1 <= this.#b.length) return;
    const grown = new Uint8Array(Math.max(this.#b.length * 2, this.#len + extra + 64));
    grown.set(this.#b.subarray(0, this.#len), 0);
    this.#b = grown;
  }

  #setLength(len: number): void {
    this.#len = len;
    this.#b[len] = 0;
  }

  /** Redis's hllSparseSet, opcode for opcode, including the promotions to dense. */
  #sparseSet(index: number, count: number, sparseMaxBytes: number): number {
    if (count > sparseValMaxValue) return this.#promote(index, count);
    // Splitting an XZERO into XZERO-VAL-XZERO grows the data by at most 3 bytes.
    this.#reserve(3);
    const b = this.#b;
    const sparse = hllHeaderBytes;
    let end = this.#len;

    // Step 1: find the opcode covering register `index`.
    let p = sparse;
    let first = 0;
    let prev = -1;
    let span = 0;
    while (p < end) {
      const op = b[p];
      let oplen = 1;
      if (isZero(op)) span = zeroLen(op);
      else if (isVal(op)) span = valLen(op);
      else {
        span = xzeroLen(op, b[p + 1]);
        oplen = 2;
      }
      if (index <= first + span - 1) break;
      prev = p;
      p += oplen;
      first += span;
    }
    if (span === 0 || p >= end) return -1;

    const op = b[p];
    let next = isXzero(op) ? p + 2 : p + 1;
    if (next >= end) next = -1;
    const opIsZero = isZero(op);
    const opIsXzero = isXzero(op);
    const runlen = opIsZero ? zeroLen(op) : opIsXzero ? xzeroLen(op, b[p + 1]) : valLen(op);

    updated: {
      // Step 2, the cheap cases: a VAL already high enough, a VAL or ZERO of one register.
      if (!opIsZero && !opIsXzero) {
        if (valValue(op) >= count) return 0;
        if (runlen === 1) {
          b[p] = valOp(count, 1);
          break updated;
        }
      }
      if (opIsZero && runlen === 1) {
        b[p] = valOp(count, 1);
        break updated;
      }

      // The general case: split the opcode into up to three (at most 5 bytes).
      const seq: number[] = [];
      const last = first + span - 1;
      if (opIsZero || opIsXzero) {
        pushZeros(seq, index - first);
        seq.push(valOp(count, 1));
        pushZeros(seq, last - index);
      } else {
        const curval = valValue(op);
        if (index !== first) seq.push(valOp(curval, index - first));
        seq.push(valOp(count, 1));
        if (index !== last) seq.push(valOp(curval, last - index));
      }

      // Step 3: put the new sequence in place of the old opcode.
      const oldlen = opIsXzero ? 2 : 1;
      const delta = seq.length - oldlen;
      if (delta > 0 && this.#len + delta > sparseMaxBytes) return this.#promote(index, count);
      if (delta !== 0 && next !== -1) b.copyWithin(next + delta, next, end);
      this.#setLength(this.#len + delta);
      b.set(seq, p);
      end += delta;
    }

    // Step 4: merge adjacent VALs of equal value, scanning up to 5 opcodes from the previous one.
    p = prev >= 0 ? prev : sparse;
    let scanlen = 5;
    while (p < end && scanlen-- > 0) {
      if (isXzero(b[p])) {
        p += 2;
        continue;
      }
      if (isZero(b[p])) {
        p++;
        continue;
      }
      if (p + 1 < end && isVal(b[p + 1])) {
        const v1 = valValue(b[p]);
        const v2 = valValue(b[p + 1]);
        if (v1 === v2) {
          const len = valLen(b[p]) + valLen(b[p + 1]);
          if (len <= sparseValMaxLen) {
            b[p + 1] = valOp(v1, len);
            b.copyWithin(p, p + 1, end);
            this.#setLength(this.#len - 1);
            end--;
            // Try again from the same place: the merged opcode may merge with the next.
            continue;
          }
        }
      }
      p++;
    }
    this.invalidateCache();
    return 1;
  }

  /** Sparse to dense, then the register update that could not be done sparse. */
  #promote(index: number, count: number): number {
    if (!this.toDense()) return -1;
    const changed = this.#denseSet(index, count);
    assert(changed === 1, "a promotion always comes with a register update");
    return changed;
  }

  /**
   * Redis's hllMerge: max[i] = MAX(max[i], register i). False when the sparse data is
   * corrupt (max may then be partly updated, as in Redis, which gives up on the command).
   */
  mergeInto(max: Uint8Array): boolean {
    const b = this.#b;
    if (this.encoding === hllEncodingDense) {
      for (let i = 0; i < hllRegisters; i++) {
        const v = denseGet(b, hllHeaderBytes, i);
        if (v > max[i]) max[i] = v;
      }
      return true;
    }
    const end = this.#len;
    let i = 0;
    let p = hllHeaderBytes;
    while (p < end) {
      const op = b[p];
      if (isZero(op)) {
        i += zeroLen(op);
        p++;
      } else if (isXzero(op)) {
        i += xzeroLen(op, b[p + 1]);
        p += 2;
      } else {
        let runlen = valLen(op);
        const value = valValue(op);
        if (runlen + i > hllRegisters) break; // overflow: corrupt
        while (runlen-- > 0) {
          if (value > max[i]) max[i] = value;
          i++;
        }
        p++;
      }
    }
    return i === hllRegisters;
  }

  /** The register histogram, or null when the sparse data is corrupt. */
  histogram(): RegisterHistogram | null {
    const histo = new Int32Array(64);
    const b = this.#b;
    if (this.encoding === hllEncodingDense) {
      // 16 registers in every 12 bytes, as Redis's unrolled loop reads them.
      for (let r = hllHeaderBytes; r < hllDenseBytes; r += 12) {
        histo[b[r] & 63]++;
        histo[((b[r] >> 6) | (b[r + 1] << 2)) & 63]++;
        histo[((b[r + 1] >> 4) | (b[r + 2] << 4)) & 63]++;
        histo[(b[r + 2] >> 2) & 63]++;
        histo[b[r + 3] & 63]++;
        histo[((b[r + 3] >> 6) | (b[r + 4] << 2)) & 63]++;
        histo[((b[r + 4] >> 4) | (b[r + 5] << 4)) & 63]++;
        histo[(b[r + 5] >> 2) & 63]++;
        histo[b[r + 6] & 63]++;
        histo[((b[r + 6] >> 6) | (b[r + 7] << 2)) & 63]++;
        histo[((b[r + 7] >> 4) | (b[r + 8] << 4)) & 63]++;
        histo[(b[r + 8] >> 2) & 63]++;
        histo[b[r + 9] & 63]++;
        histo[((b[r + 9] >> 6) | (b[r + 10] << 2)) & 63]++;
        histo[((b[r + 10] >> 4) | (b[r + 11] << 4)) & 63]++;
        histo[(b[r + 11] >> 2) & 63]++;
      }
      return histo;
    }
    const end = this.#len;
    let idx = 0;
    let p = hllHeaderBytes;
    while (p < end) {
      const op = b[p];
      if (isZero(op)) {
        const runlen = zeroLen(op);
        idx += runlen;
        histo[0] += runlen;
        p++;
      } else if (isXzero(op)) {
        const runlen = xzeroLen(op, b[p + 1]);
        idx += runlen;
        histo[0] += runlen;
        p += 2;
      } else {
        const runlen = valLen(op);
        idx += runlen;
        histo[valValue(op)] += runlen;
        p++;
      }
    }
    return idx === hllRegisters ? histo : null;
  }

  /** The sparse opcodes as PFDEBUG DECODE prints them ("Z:16384", "z:3", "v:2,1"). */
  decodeSparse(): string {
    const parts: string[] = [];
    const b = this.#b;
    let p = hllHeaderBytes;
    while (p < this.#len) {
      const op = b[p];
      if (isZero(op)) {
        parts.push(`z:${zeroLen(op)}`);
        p++;
      } else if (isXzero(op)) {
        parts.push(`Z:${xzeroLen(op, b[p + 1])}`);
        p += 2;
      } else {
        parts.push(`v:${valValue(op)},${valLen(op)}`);
        p++;
      }
    }
    return parts.join(" ");
  }
}

/** Appends the ZERO or XZERO opcode for `len` zero registers (nothing for 0). */
function pushZeros(seq: number[], len: number): void {
  if (len === 0) return;
  if (len > sparseZeroMaxLen) {
    seq.push(((len - 1) >> 8) | sparseXzeroBit, (len - 1) & 0xff);
  } else {
    seq.push(len - 1);
  }
}

/** The histogram of raw registers (one byte each), for PFCOUNT over several keys. */
export function rawHistogram(max: Uint8Array): RegisterHistogram {
  const histo = new Int32Array(64);
  for (let i = 0; i < hllRegisters; i++) histo[max[i]]++;
  return histo;
}

/** 0.5 / ln(2): Redis's HLL_ALPHA_INF. */
const alphaInf = 0.72134752044448170368;

/** Ertl's sigma function (Redis's hllSigma). */
function hllSigma(x: number): number {
  if (x === 1) return Infinity;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

/** Ertl's tau function (Redis's hllTau). */
function hllTau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    // pow(1 - x, 2) in Redis; compilers turn it into this exact product.
    const d = 1 - x;
    z -= d * d * y;
  } while (zPrime !== z);
  return z / 3;
}

/** C's llroundl on x86-64: halves away from zero; out of range (or NaN) gives INT64_MIN. */
function llround(x: number): bigint {
  if (!(x > -9223372036854775808 && x < 9223372036854775808)) return -9223372036854775808n;
  return BigInt(x < 0 ? -Math.round(-x) : Math.round(x));
}

/** Redis 7.0's hllCount from a register histogram: the estimated cardinality (an int64). */
export function estimateCardinality(histo: RegisterHistogram): bigint {
  const m = hllRegisters;
  let z = m * hllTau((m - histo[hllQ + 1]) / m);
  for (let j = hllQ; j >= 1; --j) {
    z += histo[j];
    z *= 0.5;
  }
  z += m * hllSigma(histo[0] / m);
  return llround((alphaInf * m * m) / z);
}
