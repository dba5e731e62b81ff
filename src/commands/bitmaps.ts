// The bitmap family: strings seen as bit arrays, bit 0 being the most significant bit of the
// first byte (Redis's bitops.c). Strings are immutable binary JS strings here, so SETBIT
// builds a new string: O(length) instead of Redis's O(1), fine for the bitmaps people keep in
// one key, slow for SETBIT storms on multi-megabyte ones.

import { errors } from "../resp/reply.ts";
import { parseInt64 } from "../util/number.ts";
import { lookupOrReply } from "./lookup.ts";
import { recordStringEncoding } from "./string-encoding.ts";
import { Flag, command, type CommandSpec, type DataContext } from "./types.ts";

const bitOffsetError = "ERR bit offset is not an integer or out of range";
const bitValueError = "ERR bit is not an integer or out of range";

/** Set bits in each byte value. */
const popcount8 = new Uint8Array(256);
for (let i = 1; i < 256; i++) popcount8[i] = (i & 1) + popcount8[i >> 1];

/** Redis's getBitOffsetFromArgument: a bit offset whose byte is below proto-max-bulk-len. */
function bitOffsetOrReply(ctx: DataContext, text: string): number | null {
  const v = parseInt64(text);
  if (v === null || v < 0n || v >> 3n >= BigInt(ctx.settings.protoMaxBulkLen)) {
    ctx.reply.error(bitOffsetError);
    return null;
  }
  return Number(v);
}

function setbit(ctx: DataContext, argv: string[]): void {
  const key = argv[1];
  const offset = bitOffsetOrReply(ctx, argv[2]);
  if (offset === null) return;
  const on = parseInt64(argv[3]);
  if (on === null || (on !== 0n && on !== 1n)) {
    ctx.reply.error(bitValueError);
    return;
  }
  const old = lookupOrReply(ctx, key, "string", true);
  if (old === null) return;
  const base = old ?? "";
  const byte = offset >> 3;
  const mask = 1 << (7 - (offset & 7));
  const current = byte < base.length ? base.charCodeAt(byte) : 0;
  const next = on === 1n ? current | mask : current & ~mask;
  const padded = byte < base.length ? base : base + "\0".repeat(byte + 1 - base.length);
  const value = padded.slice(0, byte) + String.fromCharCode(next) + padded.slice(byte + 1);
  ctx.db.set(key, value, old !== undefined);
  recordStringEncoding(ctx.db, key, value, "raw");
  ctx.reply.int((current & mask) !== 0 ? 1 : 0);
}

function getbit(ctx: DataContext, argv: string[]): void {
  const offset = bitOffsetOrReply(ctx, argv[2]);
  if (offset === null) return;
  const value = lookupOrReply(ctx, argv[1], "string", false);
  if (value === null) return;
  const byte = offset >> 3;
  if (value === undefined || byte >= value.length) {
    ctx.reply.int(0);
    return;
  }
  ctx.reply.int((value.charCodeAt(byte) >> (7 - (offset & 7))) & 1);
}

/**
 * Redis's start/end conversion: negative indexes count from the end, then both are clamped
 * into [0, total - 1]. Returns [start, end] (start > end means empty).
 */
function clampRange(start: bigint, end: bigint, total: bigint): [number, number] {
  let s = start;
  let e = end;
  if (s < 0n) s += total;
  if (e < 0n) e += total;
  if (s < 0n) s = 0n;
  if (e < 0n) e = 0n;
  if (e >= total) e = total - 1n;
  return [Number(s), Number(e)];
}

/** The BIT|BYTE argument: true for BIT, false for BYTE, null after a syntax error reply. */
function unitIsBitOrReply(ctx: DataContext, text: string): boolean | null {
  const unit = text.toLowerCase();
  if (unit === "bit") return true;
  if (unit === "byte") return false;
  ctx.reply.error(errors.syntax);
  return null;
}

/** Set bits in value's bits [first, last] (inclusive, both within the string). */
function countBits(value: string, first: number, last: number): number {
  let count = 0;
  const firstByte = first >> 3;
  const lastByte = last >> 3;
  for (let i = firstByte; i <= lastByte; i++) {
    let b = value.charCodeAt(i);
    if (i === firstByte) b &= 0xff >> (first & 7);
    if (i === lastByte) b &= (0xff << (7 - (last & 7))) & 0xff;
    count += popcount8[b];
  }
  return count;
}

function bitcount(ctx: DataContext, argv: string[]): void {
  const value = lookupOrReply(ctx, argv[1], "string", false);
  if (value === null) return;
  if (value === undefined) {
    ctx.reply.int(0);
    return;
  }
  if (argv.length === 2) {
    ctx.reply.int(value.length === 0 ? 0 : countBits(value, 0, value.length * 8 - 1));
    return;
  }
  if (argv.length !== 4 && argv.length !== 5) {
    ctx.reply.error(errors.syntax);
    return;
  }
  const start = parseInt64(argv[2]);
  const end = start === null ? null : parseInt64(argv[3]);
  if (start === null || end === null) {
    ctx.reply.error(errors.notInteger);
    return;
  }
  if (start < 0n && end < 0n && start > end) {
    ctx.reply.int(0);
    return;
  }
  const isBit = argv.length === 5 ? unitIsBitOrReply(ctx, argv[4]) : false;
  if (isBit === null) return;
  const total = BigInt(value.length) * (isBit ? 8n : 1n);
  const [s, e] = clampRange(start, end, total);
  if (s > e) ctx.reply.int(0);
  else ctx.reply.int(isBit ? countBits(value, s, e) : countBits(value, s * 8, e * 8 + 7));
}

/** First bit equal to `bit` in value's bits [first, last], or -1. */
function findBit(value: string, bit: number, first: number, last: number): number {
  const skip = bit === 1 ? 0 : 0xff; // bytes that cannot hold the bit we look for
  let pos = first;
  while (pos <= last) {
    if ((pos & 7) === 0 && pos + 7 <= last && value.charCodeAt(pos >> 3) === skip) {
      pos += 8;
      continue;
    }
    if (((value.charCodeAt(pos >> 3) >> (7 - (pos & 7))) & 1) === bit) return pos;
    pos++;
  }
  return -1;
}

function bitpos(ctx: DataContext, argv: string[]): void {
  const bitArg = parseInt64(argv[2]);
  if (bitArg === null) {
    ctx.reply.error(errors.notInteger);
    return;
  }
  if (bitArg !== 0n && bitArg !== 1n) {
    ctx.reply.error("ERR The bit argument must be 1 or 0.");
    return;
  }
  const bit = Number(bitArg);
  const value = lookupOrReply(ctx, argv[1], "string", false);
  if (value === null) return;
  if (value === undefined) {
    // A missing key is an endless run of zeros.
    ctx.reply.int(bit === 1 ? -1 : 0);
    return;
  }
  if (argv.length > 6) {
    ctx.reply.error(errors.syntax);
    return;
  }
  let isBit = false;
  let startArg = 0n;
  let endArg = BigInt(value.length) - 1n;
  const endGiven = argv.length >= 5;
  if (argv.length >= 4) {
    const start = parseInt64(argv[3]);
    if (start === null) {
      ctx.reply.error(errors.notInteger);
      return;
    }
    startArg = start;
    if (argv.length === 6) {
      const unit = unitIsBitOrReply(ctx, argv[5]);
      if (unit === null) return;
      isBit = unit;
    }
    if (endGiven) {
      const end = parseInt64(argv[4]);
      if (end === null) {
        ctx.reply.error(errors.notInteger);
        return;
      }
      endArg = end;
    }
  }
  const total = BigInt(value.length) * (isBit ? 8n : 1n);
  const [s, e] = argv.length === 3 ? [0, value.length - 1] : clampRange(startArg, endArg, total);
  if (s > e) {
    ctx.reply.int(-1);
    return;
  }
  const first = isBit ? s : s * 8;
  const last = isBit ? e : e * 8 + 7;
  const found = findBit(value, bit, first, last);
  if (found >= 0 || bit === 1) ctx.reply.int(found);
  // No clear bit: without an explicit end the string counts as zero-padded on the right.
  else ctx.reply.int(endGiven ? -1 : last + 1);
}

const bitopNames = ["and", "or", "xor", "not"] as const;
type BitOp = (typeof bitopNames)[number];

function bitop(ctx: DataContext, argv: string[]): void {
  const op = argv[1].toLowerCase() as BitOp;
  if (!bitopNames.includes(op)) {
    ctx.reply.error(errors.syntax);
    return;
  }
  if (op === "not" && argv.length !== 4) {
    ctx.reply.error("ERR BITOP NOT must be called with a single source key.");
    return;
  }
  const dest = argv[2];
  const sources: string[] = [];
  let maxLen = 0;
  for (let j = 3; j < argv.length; j++) {
    const v = lookupOrReply(ctx, argv[j], "string", false);
    if (v === null) return;
    const s = v ?? "";
    sources.push(s);
    if (s.length > maxLen) maxLen = s.length;
  }
  if (maxLen === 0) {
    ctx.db.delete(dest);
    ctx.reply.int(0);
    return;
  }
  const out = new Uint8Array(maxLen);
  const src0 = sources[0];
  for (let i = 0; i < maxLen; i++) out[i] = i < src0.length ? src0.charCodeAt(i) : 0;
  if (op === "not") {
    for (let i = 0; i < maxLen; i++) out[i] = ~out[i] & 0xff;
  } else {
    for (let k = 1; k < sources.length; k++) {
      const src = sources[k];
      for (let i = 0; i < maxLen; i++) {
        const b = i < src.length ? src.charCodeAt(i) : 0;
        if (op === "and") out[i] &= b;
        else if (op === "or") out[i] |= b;
        else out[i] ^= b;
      }
    }
  }
  const value = Buffer.from(out.buffer, out.byteOffset, out.byteLength).toString("latin1");
  ctx.db.set(dest, value);
  recordStringEncoding(ctx.db, dest, value, "raw");
  ctx.reply.int(maxLen);
}

export const bitmapCommands: readonly CommandSpec[] = [
  command({
    name: "setbit",
    arity: 4,
    flags: Flag.write | Flag.denyoom,
    firstKey: 1,
    lastKey: 1,
    group: "bitmap",
    summary: "Sets or clears the bit at offset in the string value stored at key",
    since: "2.2.0",
    complexity: "O(1)",
    run: setbit,
  }),
  command({
    name: "getbit",
    arity: 3,
    flags: Flag.readonly | Flag.fast,
    firstKey: 1,
    lastKey: 1,
    group: "bitmap",
    summary: "Returns the bit value at offset in the string value stored at key",
    since: "2.2.0",
    complexity: "O(1)",
    run: getbit,
  }),
  command({
    name: "bitcount",
    arity: -2,
    flags: Flag.readonly,
    firstKey: 1,
    lastKey: 1,
    group: "bitmap",
    summary: "Count set bits in a string",
    since: "2.6.0",
    complexity: "O(N)",
    run: bitcount,
  }),
  command({
    name: "bitpos",
    arity: -3,
    flags: Flag.readonly,
    firstKey: 1,
    lastKey: 1,
    group: "bitmap",
    summary: "Find first bit set or clear in a string",
    since: "2.8.7",
    complexity: "O(N)",
    run: bitpos,
  }),
  command({
    name: "bitop",
    arity: -4,
    flags: Flag.write | Flag.denyoom,
    firstKey: 2,
    lastKey: -1,
    group: "bitmap",
    summary: "Perform bitwise operations between strings",
    since: "2.6.0",
    complexity: "O(N)",
    run: bitop,
  }),
];
