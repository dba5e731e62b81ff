// The HyperLogLog family (Redis's hyperloglog.c): PFADD, PFCOUNT, PFMERGE, PFDEBUG and
// PFSELFTEST over HLL strings that are byte-identical to Redis 7.0's (see engine/types/hll.ts).
//
// PFCOUNT on one key stores the cardinality it computed in the HLL's header, as Redis does, so
// GET shows the same bytes afterwards. Redis flags PFCOUNT read-only and so does raftis (COMMAND
// INFO must match), which means that header update happens where the read runs: replicas stay
// equal in every register and every PFCOUNT answer, but may differ in whether that cache is
// filled. The cache is a pure function of the registers, so no reply can depend on it.

import { hllSparseMaxBytes } from "../constants.ts";
import { hllRegisters } from "../engine/types/hll-hash.ts";
import {
  Hll,
  cachedCardinality,
  corruptHllError,
  estimateCardinality,
  hllEncodingDense,
  isValidHll,
  notHllError,
  rawHistogram,
} from "../engine/types/hll.ts";
import type { Keyspace } from "../engine/keyspace.ts";
import { recordStringEncoding } from "./string-encoding.ts";
import { lookupOrReply } from "./lookup.ts";
import { Flag, command, type CommandSpec, type DataContext, type ServerContext } from "./types.ts";

/** A valid HLL string at `key`, undefined when absent, null after an error reply. */
function lookupHllOrReply(ctx: DataContext, key: string, write: boolean): string | undefined | null {
  const value = lookupOrReply(ctx, key, "string", write);
  if (value === null || value === undefined) return value;
  if (!isValidHll(value)) {
    ctx.reply.error(notHllError);
    return null;
  }
  return value;
}

/**
 * Stores HLL bytes at `key`: an existing key keeps its TTL. Redis modifies HLLs in place after
 * unsharing them, which always leaves a "raw" string, even for short sparse HLLs.
 */
function storeHll(db: Keyspace, key: string, existed: boolean, hll: Hll): void {
  const bytes = hll.toString();
  db.set(key, bytes, existed);
  recordStringEncoding(db, key, bytes, "raw");
  Hll.remember(bytes, hll);
}

/** dbUnshareStringValue without a change: the string becomes "raw" but nothing is signalled. */
function markUnshared(db: Keyspace, key: string, value: string): void {
  recordStringEncoding(db, key, value, "raw");
}

/** PFADD key [element ...]. */
function pfadd(ctx: DataContext, argv: string[]): void {
  const key = argv[1];
  const old = lookupHllOrReply(ctx, key, true);
  if (old === null) return;
  const hll = old === undefined ? Hll.empty() : Hll.fromString(old);
  let updated = old === undefined ? 1 : 0;
  for (let i = 2; i < argv.length; i++) {
    const r = hll.add(argv[i], hllSparseMaxBytes);
    if (r === -1) {
      // Redis changed the value in place up to here and keeps those changes.
      if (hll.toString() !== old) storeHll(ctx.db, key, true, hll);
      ctx.reply.error(corruptHllError);
      return;
    }
    updated += r;
  }
  if (updated > 0) {
    hll.invalidateCache();
    storeHll(ctx.db, key, old !== undefined, hll);
  } else {
    markUnshared(ctx.db, key, old as string);
    Hll.remember(old as string, hll);
  }
  ctx.reply.int(updated > 0 ? 1 : 0);
}

/** PFCOUNT key [key ...]: one key uses (and fills) its cache; several are merged first. */
function pfcount(ctx: DataContext, argv: string[]): void {
  if (argv.length > 2) {
    const max = new Uint8Array(hllRegisters);
    for (let i = 1; i < argv.length; i++) {
      const value = lookupHllOrReply(ctx, argv[i], false);
      if (value === null) return;
      if (value === undefined) continue;
      const hll = Hll.fromString(value);
      if (!hll.mergeInto(max)) {
        ctx.reply.error(corruptHllError);
        return;
      }
      Hll.remember(value, hll);
    }
    ctx.reply.int(estimateCardinality(rawHistogram(max)));
    return;
  }
  const key = argv[1];
  const value = lookupHllOrReply(ctx, key, false);
  if (value === null) return;
  if (value === undefined) {
    ctx.reply.int(0);
    return;
  }
  markUnshared(ctx.db, key, value);
  const cached = cachedCardinality(value);
  if (cached !== null) {
    ctx.reply.int(cached);
    return;
  }
  const hll = Hll.fromString(value);
  const histo = hll.histogram();
  if (histo === null) {
    ctx.reply.error(corruptHllError);
    return;
  }
  const card = estimateCardinality(histo);
  hll.setCachedCardinality(card);
  storeHll(ctx.db, key, true, hll);
  ctx.reply.int(card);
}

/** PFMERGE destkey [sourcekey ...]: the destination is one of the inputs. */
function pfmerge(ctx: DataContext, argv: string[]): void {
  const max = new Uint8Array(hllRegisters);
  let useDense = false;
  for (let i = 1; i < argv.length; i++) {
    const value = lookupHllOrReply(ctx, argv[i], false);
    if (value === null) return;
    if (value === undefined) continue;
    const hll = Hll.fromString(value);
    if (hll.encoding === hllEncodingDense) useDense = true;
    if (!hll.mergeInto(max)) {
      ctx.reply.error(corruptHllError);
      return;
    }
    Hll.remember(value, hll);
  }
  const key = argv[1];
  // Already checked above when it exists; lookupWrite removes it if it just expired.
  const old = ctx.db.lookupWrite(key, ctx.now) as string | undefined;
  const dest = old === undefined ? Hll.empty() : Hll.fromString(old);
  if (useDense && !dest.toDense()) {
    ctx.reply.error(corruptHllError);
    return;
  }
  for (let j = 0; j < hllRegisters; j++) {
    if (max[j] !== 0) dest.setRegister(j, max[j], hllSparseMaxBytes);
  }
  dest.invalidateCache();
  storeHll(ctx.db, key, old !== undefined, dest);
  ctx.reply.ok();
}

/** PFDEBUG GETREG|DECODE|ENCODING|TODENSE key. */
function pfdebug(ctx: DataContext, argv: string[]): void {
  const sub = argv[1];
  const key = argv[2];
  const exists = ctx.db.lookupWrite(key, ctx.now) !== undefined;
  if (!exists) {
    ctx.reply.error("ERR The specified key does not exist");
    return;
  }
  const value = lookupHllOrReply(ctx, key, true);
  if (value === null || value === undefined) return;
  markUnshared(ctx.db, key, value);
  const hll = Hll.fromString(value);
  switch (sub.toLowerCase()) {
    case "getreg": {
      if (hll.encoding !== hllEncodingDense) {
        if (!hll.toDense()) {
          ctx.reply.error(corruptHllError);
          return;
        }
        storeHll(ctx.db, key, true, hll);
      }
      ctx.reply.array(hllRegisters);
      for (let j = 0; j < hllRegisters; j++) ctx.reply.int(hll.denseRegister(j));
      return;
    }
    case "decode":
      if (hll.encoding === hllEncodingDense) {
        ctx.reply.error("ERR HLL encoding is not sparse");
        return;
      }
      ctx.reply.bulk(hll.decodeSparse());
      return;
    case "encoding":
      ctx.reply.simple(hll.encoding === hllEncodingDense ? "dense" : "sparse");
      return;
    case "todense": {
      if (hll.encoding === hllEncodingDense) {
        ctx.reply.int(0);
        return;
      }
      if (!hll.toDense()) {
        ctx.reply.error(corruptHllError);
        return;
      }
      storeHll(ctx.db, key, true, hll);
      ctx.reply.int(1);
      return;
    }
    default:
      ctx.reply.error(`ERR Unknown PFDEBUG subcommand '${sub}'`);
  }
}

/** Elements PFSELFTEST adds while checking the estimate (as Redis's self test). */
const selftestElements = 100_000;

/**
 * PFSELFTEST: Redis's internal checks, on this implementation: every register keeps what is
 * written to it, and a sparse-then-promoted HLL and a dense one fed the same elements agree
 * and stay within a few standard errors of the truth at every power of ten.
 */
function pfselftest(ctx: ServerContext): void {
  const dense = Hll.empty();
  dense.toDense();
  const values = new Uint8Array(hllRegisters);
  for (let round = 0; round < 100; round++) {
    const fresh = Hll.empty();
    fresh.toDense();
    for (let j = 0; j < hllRegisters; j++) {
      values[j] = 1 + ctx.rng.nextInt(63);
      fresh.setRegister(j, values[j], hllSparseMaxBytes);
    }
    for (let j = 0; j < hllRegisters; j++) {
      if (fresh.denseRegister(j) !== values[j]) {
        ctx.reply.error(`ERR TESTFAILED Register error at ${j}`);
        return;
      }
    }
  }
  const sparse = Hll.empty();
  const relativeError = 1.04 / Math.sqrt(hllRegisters);
  let checkpoint = 1;
  const salt = ctx.rng.nextU32();
  for (let j = 1; j <= selftestElements; j++) {
    const element = `${salt}:${j}`;
    dense.add(element, hllSparseMaxBytes);
    sparse.add(element, hllSparseMaxBytes);
    if (j !== checkpoint) continue;
    checkpoint *= 10;
    const a = estimateCardinality(dense.histogram() as Int32Array);
    const b = estimateCardinality(sparse.histogram() as Int32Array);
    if (a !== b) {
      ctx.reply.error(`ERR TESTFAILED dense/sparse disagree: ${a} vs ${b}`);
      return;
    }
    // Redis's bounds: exact at 10, within 6 standard errors beyond (a bad run is very unlikely).
    const maxError = j === 10 ? 1 : Math.ceil(relativeError * 6 * j);
    const error = Math.abs(Number(a) - j);
    if (error > maxError) {
      ctx.reply.error(`ERR TESTFAILED Too big error. card:${j} abserr:${error}`);
      return;
    }
  }
  ctx.reply.ok();
}

export const hyperloglogCommands: readonly CommandSpec[] = [
  command({
    name: "pfadd",
    arity: -2,
    flags: Flag.write | Flag.denyoom | Flag.fast,
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: "hyperloglog",
    summary: "Adds the specified elements to the specified HyperLogLog.",
    since: "2.8.9",
    complexity: "O(1) to add every element.",
    run: pfadd,
  }),
  command({
    name: "pfcount",
    arity: -2,
    // It refreshes the HLL's cached count: through the log, so every replica stores the same bytes.
    flags: Flag.readonly | Flag.logged,
    firstKey: 1,
    lastKey: -1,
    keyStep: 1,
    group: "hyperloglog",
    summary: "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
    since: "2.8.9",
    complexity: "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.",
    run: pfcount,
  }),
  command({
    name: "pfmerge",
    arity: -2,
    flags: Flag.write | Flag.denyoom,
    firstKey: 1,
    lastKey: -1,
    keyStep: 1,
    group: "hyperloglog",
    summary: "Merge N different HyperLogLogs into a single one.",
    since: "2.8.9",
    complexity: "O(N) to merge N HyperLogLogs, but with high constant times.",
    run: pfmerge,
  }),
  command({
    name: "pfdebug",
    arity: 3,
    flags: Flag.write | Flag.denyoom | Flag.admin,
    firstKey: 2,
    lastKey: 2,
    keyStep: 1,
    group: "hyperloglog",
    summary: "Internal commands for debugging HyperLogLog values",
    since: "2.8.9",
    complexity: "N/A",
    run: pfdebug,
  }),
  command({
    name: "pfselftest",
    arity: 1,
    flags: Flag.admin | Flag.local,
    group: "hyperloglog",
    summary: "An internal command for testing HyperLogLog values",
    since: "2.8.9",
    complexity: "N/A",
    runLocal: (ctx) => pfselftest(ctx),
  }),
];
