// The hashes family (Redis's t_hash.c): every command follows Redis 7.0's order of checks, error
// texts and RESP3 shapes (HGETALL is a map). Random picks (HRANDFIELD) come from ctx.rng.

import { int64Max, int64Min, randomCountRepliesMax } from "../constants.ts";
import { HashValue } from "../engine/types/hash.ts";
import { errors, type Reply } from "../resp/reply.ts";
import { addLongDouble, formatLongDoubleHuman, parseLongDouble, type LongDouble } from "../util/long-double.ts";
import { parseInt64 } from "../util/number.ts";
import { parseRangeLongOrReply } from "./long-args.ts";
import { lookupOrReply, removeMembersAndReply } from "./lookup.ts";
import { parseScanOrReply, replyScan, scanMatches } from "./scan.ts";
import { Flag, command, type CommandSpec, type DataContext } from "./types.ts";

/** LONG_MAX / 2 in C: HRANDFIELD WITHVALUES refuses counts beyond it (the reply doubles). */
const withValuesCountMax = int64Max / 2n;

/** An existing hash, or a new empty one not yet in the keyspace; null after WRONGTYPE. */
function hashForWriteOrReply(ctx: DataContext, key: string): { hash: HashValue; created: boolean } | null {
  const found = lookupOrReply(ctx, key, "hash", true);
  if (found === null) return null;
  if (found !== undefined) return { hash: found, created: false };
  return { hash: new HashValue(), created: true };
}

/** Stores a new hash or signals the change of an existing one (Redis's signalModifiedKey). */
function commitHash(ctx: DataContext, key: string, target: { hash: HashValue; created: boolean }): void {
  if (target.created) ctx.db.set(key, target.hash);
  else ctx.db.signalModified(key);
}

/** HSET key field value [field value ...] and HMSET (which replies OK). */
function hset(ctx: DataContext, argv: string[], hmset: boolean): void {
  if (argv.length % 2 === 1) {
    ctx.reply.error(errors.wrongArgs(hmset ? "hmset" : "hset"));
    return;
  }
  const target = hashForWriteOrReply(ctx, argv[1]);
  if (target === null) return;
  target.hash.convertForStrings(argv, 2, argv.length, ctx.settings);
  let created = 0;
  for (let i = 2; i < argv.length; i += 2) {
    if (target.hash.set(argv[i], argv[i + 1], ctx.settings)) created++;
  }
  commitHash(ctx, argv[1], target);
  if (hmset) ctx.reply.ok();
  else ctx.reply.int(created);
}

/** HSETNX key field value: the exists check comes before any conversion, as in Redis. */
function hsetnx(ctx: DataContext, argv: string[]): void {
  const target = hashForWriteOrReply(ctx, argv[1]);
  if (target === null) return;
  if (target.hash.has(argv[2])) {
    ctx.reply.int(0);
    return;
  }
  target.hash.convertForStrings(argv, 2, 4, ctx.settings);
  target.hash.set(argv[2], argv[3], ctx.settings);
  commitHash(ctx, argv[1], target);
  ctx.reply.int(1);
}

function hget(ctx: DataContext, argv: string[]): void {
  const h = lookupOrReply(ctx, argv[1], "hash", false);
  if (h === null) return;
  ctx.reply.bulkOrNull(h?.get(argv[2]));
}

function hmget(ctx: DataContext, argv: string[]): void {
  const h = lookupOrReply(ctx, argv[1], "hash", false);
  if (h === null) return;
  ctx.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) ctx.reply.bulkOrNull(h?.get(argv[i]));
}

function hdel(ctx: DataContext, argv: string[]): void {
  removeMembersAndReply(ctx, argv, "hash", (h, field) => h.delete(field));
}

function hlen(ctx: DataContext, argv: string[]): void {
  const h = lookupOrReply(ctx, argv[1], "hash", false);
  if (h === null) return;
  ctx.reply.int(h?.size ?? 0);
}

function hstrlen(ctx: DataContext, argv: string[]): void {
  const h = lookupOrReply(ctx, argv[1], "hash", false);
  if (h === null) return;
  ctx.reply.int(h?.get(argv[2])?.length ?? 0);
}

function hexists(ctx: DataContext, argv: string[]): void {
  const h = lookupOrReply(ctx, argv[1], "hash", false);
  if (h === null) return;
  ctx.reply.int(h?.has(argv[2]) === true ? 1 : 0);
}

/** HGETALL (a map in RESP3), HKEYS and HVALS (arrays): Redis's genericHgetallCommand. */
function hgetall(ctx: DataContext, argv: string[], keys: boolean, values: boolean): void {
  const h = lookupOrReply(ctx, argv[1], "hash", false);
  if (h === null) return;
  const n = h?.size ?? 0;
  if (keys && values) ctx.reply.map(n);
  else ctx.reply.array(n);
  if (h === undefined) return;
  for (const [field, value] of h.entries()) {
    if (keys) ctx.reply.bulk(field);
    if (values) ctx.reply.bulk(value);
  }
}

function hincrby(ctx: DataContext, argv: string[]): void {
  const incr = parseInt64(argv[3]);
  if (incr === null) {
    ctx.reply.error(errors.notInteger);
    return;
  }
  const target = hashForWriteOrReply(ctx, argv[1]);
  if (target === null) return;
  const old = target.hash.get(argv[2]);
  let value = 0n;
  if (old !== undefined) {
    const parsed = parseInt64(old);
    if (parsed === null) {
      ctx.reply.error("ERR hash value is not an integer");
      return;
    }
    value = parsed;
  }
  if ((incr < 0n && value < 0n && incr < int64Min - value) || (incr > 0n && value > 0n && incr > int64Max - value)) {
    ctx.reply.error(errors.overflow);
    return;
  }
  value += incr;
  target.hash.set(argv[2], value.toString(), ctx.settings);
  commitHash(ctx, argv[1], target);
  ctx.reply.int(value);
}

const longDoubleZero = parseLongDouble("0") as LongDouble;

/** HINCRBYFLOAT in x87 long double arithmetic (see util/long-double.ts), as Redis 7.0. */
function hincrbyfloat(ctx: DataContext, argv: string[]): void {
  const incr = parseLongDouble(argv[3]);
  if (incr === null) {
    ctx.reply.error(errors.notFloat);
    return;
  }
  if (incr.kind === "infinite") {
    ctx.reply.error("ERR value is NaN or Infinity");
    return;
  }
  const target = hashForWriteOrReply(ctx, argv[1]);
  if (target === null) return;
  const old = target.hash.get(argv[2]);
  const value = old === undefined ? longDoubleZero : parseLongDouble(old);
  if (value === null) {
    ctx.reply.error("ERR hash value is not a float");
    return;
  }
  const sum = addLongDouble(value, incr);
  if (sum === null || sum.kind === "infinite") {
    ctx.reply.error("ERR increment would produce NaN or Infinity");
    return;
  }
  const text = formatLongDoubleHuman(sum);
  target.hash.set(argv[2], text, ctx.settings);
  commitHash(ctx, argv[1], target);
  ctx.reply.bulk(text);
}

/** HRANDFIELD key [count [WITHVALUES]]. */
function hrandfield(ctx: DataContext, argv: string[]): void {
  if (argv.length >= 3) {
    const l = parseRangeLongOrReply(ctx, argv[2], -int64Max, int64Max);
    if (l === null) return;
    if (argv.length > 4 || (argv.length === 4 && argv[3].toLowerCase() !== "withvalues")) {
      ctx.reply.error(errors.syntax);
      return;
    }
    const withValues = argv.length === 4;
    if (withValues) {
      const exact = parseInt64(argv[2]) as bigint;
      if (exact < -withValuesCountMax || exact > withValuesCountMax) {
        ctx.reply.error("ERR value is out of range");
        return;
      }
    }
    hrandfieldWithCount(ctx, argv[1], l, withValues);
    return;
  }
  const h = lookupOrReply(ctx, argv[1], "hash", false);
  if (h === null) return;
  ctx.reply.bulkOrNull(h?.randomField(ctx.rng));
}

/** One HRANDFIELD element: the field, or field and value (a pair of its own in RESP3). */
function replyField(reply: Reply, h: HashValue, field: string, withValues: boolean): void {
  if (withValues && reply.resp === 3) reply.array(2);
  reply.bulk(field);
  if (withValues) reply.bulk(h.get(field) as string);
}

function fieldsArrayHeader(reply: Reply, n: number, withValues: boolean): void {
  reply.array(withValues && reply.resp === 2 ? n * 2 : n);
}

function hrandfieldWithCount(ctx: DataContext, key: string, l: number, withValues: boolean): void {
  const h = lookupOrReply(ctx, key, "hash", false);
  if (h === null) return;
  if (h === undefined || l === 0) {
    ctx.reply.array(0);
    return;
  }
  const count = Math.abs(l);
  if (l < 0 || count === 1) {
    // Repeats allowed: independent picks. Redis would try to send any count; a named bound
    // keeps one command from building gigabytes of reply on the apply thread.
    if (count > randomCountRepliesMax) {
      ctx.reply.error("ERR value is out of range");
      return;
    }
    fieldsArrayHeader(ctx.reply, count, withValues);
    for (let i = 0; i < count; i++) replyField(ctx.reply, h, h.randomField(ctx.rng) as string, withValues);
    return;
  }
  const size = h.size;
  fieldsArrayHeader(ctx.reply, Math.min(count, size), withValues);
  if (count >= size) {
    // The whole hash, in its iteration order, as Redis does.
    for (const field of h.keys()) replyField(ctx.reply, h, field, withValues);
    return;
  }
  if (count * 3 > size) {
    // Most of the hash: shuffle the first `count` positions of a copy (partial Fisher-Yates).
    const fields = [...h.keys()];
    for (let i = 0; i < count; i++) {
      const j = i + ctx.rng.nextInt(size - i);
      const t = fields[i];
      fields[i] = fields[j];
      fields[j] = t;
      replyField(ctx.reply, h, fields[i], withValues);
    }
    return;
  }
  // A small part of the hash: random picks, skipping repeats.
  const seen = new Set<string>();
  while (seen.size < count) {
    const field = h.randomField(ctx.rng) as string;
    if (seen.has(field)) continue;
    seen.add(field);
    replyField(ctx.reply, h, field, withValues);
  }
}

/** HSCAN key cursor [MATCH pattern] [COUNT count]. */
function hscan(ctx: DataContext, argv: string[]): void {
  // Redis checks the cursor first, then the key, then the options.
  if (parseScanOrReply(ctx, argv.slice(0, 3), 2, false) === null) return;
  const h = lookupOrReply(ctx, argv[1], "hash", false);
  if (h === null) return;
  if (h === undefined) {
    replyScan(ctx.reply, 0, []);
    return;
  }
  const args = parseScanOrReply(ctx, argv, 2, false);
  if (args === null) return;
  const items: string[] = [];
  if (h.isListpack) {
    // A listpack is returned whole and in order, whatever the cursor and COUNT.
    for (const [field, value] of h.entries()) {
      if (scanMatches(args, field)) items.push(field, value);
    }
    replyScan(ctx.reply, 0, items);
    return;
  }
  const next = h.scan(args.cursor, args.count, (field, value) => {
    if (scanMatches(args, field)) items.push(field, value);
  });
  replyScan(ctx.reply, next, items);
}

const oneKey = { firstKey: 1, lastKey: 1, keyStep: 1 } as const;

export const hashCommands: readonly CommandSpec[] = [
  command({
    name: "hset",
    arity: -4,
    flags: Flag.write | Flag.denyoom | Flag.fast,
    ...oneKey,
    group: "hash",
    summary: "Set the string value of a hash field",
    since: "2.0.0",
    complexity: "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
    run: (ctx, argv) => hset(ctx, argv, false),
  }),
  command({
    name: "hsetnx",
    arity: 4,
    flags: Flag.write | Flag.denyoom | Flag.fast,
    ...oneKey,
    group: "hash",
    summary: "Set the value of a hash field, only if the field does not exist",
    since: "2.0.0",
    complexity: "O(1)",
    run: hsetnx,
  }),
  command({
    name: "hget",
    arity: 3,
    flags: Flag.readonly | Flag.fast,
    ...oneKey,
    group: "hash",
    summary: "Get the value of a hash field",
    since: "2.0.0",
    complexity: "O(1)",
    run: hget,
  }),
  command({
    name: "hmget",
    arity: -3,
    flags: Flag.readonly | Flag.fast,
    ...oneKey,
    group: "hash",
    summary: "Get the values of all the given hash fields",
    since: "2.0.0",
    complexity: "O(N) where N is the number of fields being requested.",
    run: hmget,
  }),
  command({
    name: "hmset",
    arity: -4,
    flags: Flag.write | Flag.denyoom | Flag.fast,
    ...oneKey,
    group: "hash",
    summary: "Set multiple hash fields to multiple values",
    since: "2.0.0",
    complexity: "O(N) where N is the number of fields being set.",
    run: (ctx, argv) => hset(ctx, argv, true),
  }),
  command({
    name: "hdel",
    arity: -3,
    flags: Flag.write | Flag.fast,
    ...oneKey,
    group: "hash",
    summary: "Delete one or more hash fields",
    since: "2.0.0",
    complexity: "O(N) where N is the number of fields to be removed.",
    run: hdel,
  }),
  command({
    name: "hlen",
    arity: 2,
    flags: Flag.readonly | Flag.fast,
    ...oneKey,
    group: "hash",
    summary: "Get the number of fields in a hash",
    since: "2.0.0",
    complexity: "O(1)",
    run: hlen,
  }),
  command({
    name: "hstrlen",
    arity: 3,
    flags: Flag.readonly | Flag.fast,
    ...oneKey,
    group: "hash",
    summary: "Get the length of the value of a hash field",
    since: "3.2.0",
    complexity: "O(1)",
    run: hstrlen,
  }),
  command({
    name: "hexists",
    arity: 3,
    flags: Flag.readonly | Flag.fast,
    ...oneKey,
    group: "hash",
    summary: "Determine if a hash field exists",
    since: "2.0.0",
    complexity: "O(1)",
    run: hexists,
  }),
  command({
    name: "hgetall",
    arity: 2,
    flags: Flag.readonly,
    ...oneKey,
    group: "hash",
    summary: "Get all the fields and values in a hash",
    since: "2.0.0",
    complexity: "O(N) where N is the size of the hash.",
    run: (ctx, argv) => hgetall(ctx, argv, true, true),
  }),
  command({
    name: "hkeys",
    arity: 2,
    flags: Flag.readonly,
    ...oneKey,
    group: "hash",
    summary: "Get all the fields in a hash",
    since: "2.0.0",
    complexity: "O(N) where N is the size of the hash.",
    run: (ctx, argv) => hgetall(ctx, argv, true, false),
  }),
  command({
    name: "hvals",
    arity: 2,
    flags: Flag.readonly,
    ...oneKey,
    group: "hash",
    summary: "Get all the values in a hash",
    since: "2.0.0",
    complexity: "O(N) where N is the size of the hash.",
    run: (ctx, argv) => hgetall(ctx, argv, false, true),
  }),
  command({
    name: "hincrby",
    arity: 4,
    flags: Flag.write | Flag.denyoom | Flag.fast,
    ...oneKey,
    group: "hash",
    summary: "Increment the integer value of a hash field by the given number",
    since: "2.0.0",
    complexity: "O(1)",
    run: hincrby,
  }),
  command({
    name: "hincrbyfloat",
    arity: 4,
    flags: Flag.write | Flag.denyoom | Flag.fast,
    ...oneKey,
    group: "hash",
    summary: "Increment the float value of a hash field by the given amount",
    since: "2.6.0",
    complexity: "O(1)",
    run: hincrbyfloat,
  }),
  command({
    name: "hrandfield",
    arity: -2,
    flags: Flag.readonly | Flag.random,
    ...oneKey,
    group: "hash",
    summary: "Get one or multiple random fields from a hash",
    since: "6.2.0",
    complexity: "O(N) where N is the number of fields returned",
    run: hrandfield,
  }),
  command({
    name: "hscan",
    arity: -3,
    flags: Flag.readonly | Flag.random,
    ...oneKey,
    group: "hash",
    summary: "Incrementally iterate hash fields and associated values",
    since: "2.8.0",
    complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
    run: hscan,
  }),
];
