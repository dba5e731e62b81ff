// The generic key commands (Redis's db.c and expire.c): existence, type, iteration, renaming,
// copying, TTLs, and the whole-keyspace DBSIZE/FLUSHALL/FLUSHDB.
//
// Time is only ever ctx.now. Reads never delete (an expired key just looks absent); writes use
// lookupWrite, which removes an expired key first, as Redis's expireIfNeeded does on a master.

import { int64Max, int64Min } from "../constants.ts";
import { typeOf, type Value } from "../engine/value.ts";
import { errors } from "../resp/reply.ts";
import { globMatch } from "../util/glob.ts";
import { parseInt64 } from "../util/number.ts";
import { objectCommand } from "./object.ts";
import { parseScanOrReply, replyScan, scanMatches, scanTypeMatches } from "./scan.ts";
import { copiedStringEncodingHint } from "./string-encoding.ts";
import { Flag, command, type CommandSpec, type DataContext } from "./types.ts";

function del(ctx: DataContext, argv: string[]): void {
  let deleted = 0;
  for (let j = 1; j < argv.length; j++) {
    if (ctx.db.lookupWrite(argv[j], ctx.now) !== undefined && ctx.db.delete(argv[j])) deleted++;
  }
  ctx.reply.int(deleted);
}

/** EXISTS and TOUCH: how many of the arguments name live keys (repeats count again). */
function countExisting(ctx: DataContext, argv: string[]): void {
  let n = 0;
  for (let j = 1; j < argv.length; j++) if (ctx.db.exists(argv[j], ctx.now)) n++;
  ctx.reply.int(n);
}

function keys(ctx: DataContext, argv: string[]): void {
  const pattern = argv[1];
  const all = pattern === "*";
  const out: string[] = [];
  for (const key of ctx.db.keys()) {
    if ((all || globMatch(pattern, key)) && !ctx.db.isExpired(key, ctx.now)) out.push(key);
  }
  ctx.reply.array(out.length);
  for (const key of out) ctx.reply.bulk(key);
}

function scan(ctx: DataContext, argv: string[]): void {
  const args = parseScanOrReply(ctx, argv, 1, true);
  if (args === null) return;
  const items: string[] = [];
  const next = ctx.db.scan(args.cursor, args.count, (key: string, value: Value) => {
    if (!scanMatches(args, key)) return;
    if (!scanTypeMatches(args, typeOf(value))) return;
    if (ctx.db.isExpired(key, ctx.now)) return;
    items.push(key);
  });
  replyScan(ctx.reply, next, items);
}

/** RENAME and RENAMENX (Redis's renameGenericCommand); the TTL moves with the value. */
function rename(ctx: DataContext, argv: string[], nx: boolean): void {
  const [, src, dst] = argv;
  const value = ctx.db.lookupWrite(src, ctx.now);
  if (value === undefined) {
    ctx.reply.error(errors.noSuchKey);
    return;
  }
  if (src === dst) {
    if (nx) ctx.reply.int(0);
    else ctx.reply.ok();
    return;
  }
  const existing = ctx.db.lookupWrite(dst, ctx.now);
  if (existing !== undefined && nx) {
    ctx.reply.int(0);
    return;
  }
  const expireAt = ctx.db.getExpire(src);
  const encoding = ctx.db.stringEncoding(src);
  ctx.db.set(dst, value);
  if (expireAt !== undefined) ctx.db.setExpire(dst, expireAt);
  if (encoding !== undefined) ctx.db.setStringEncoding(dst, encoding);
  ctx.db.delete(src);
  if (nx) ctx.reply.int(1);
  else ctx.reply.ok();
}

/** COPY src dst [DB n] [REPLACE]. raftis has database 0 only, as Redis Cluster. */
function copy(ctx: DataContext, argv: string[]): void {
  const [, src, dst] = argv;
  let replace = false;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j].toLowerCase();
    if (opt === "replace") {
      replace = true;
    } else if (opt === "db" && j + 1 < argv.length) {
      const db = parseInt64(argv[++j]);
      if (db === null) {
        ctx.reply.error(errors.notInteger);
        return;
      }
      if (db !== 0n) {
        ctx.reply.error("ERR DB index is out of range");
        return;
      }
    } else {
      ctx.reply.error(errors.syntax);
      return;
    }
  }
  if (src === dst) {
    ctx.reply.error("ERR source and destination objects are the same");
    return;
  }
  const value = ctx.db.lookupRead(src, ctx.now);
  if (value === undefined) {
    ctx.reply.int(0);
    return;
  }
  if (ctx.db.lookupWrite(dst, ctx.now) !== undefined && !replace) {
    ctx.reply.int(0);
    return;
  }
  const expireAt = ctx.db.getExpire(src);
  if (typeof value === "string") {
    const hint = copiedStringEncodingHint(ctx.db, src, value);
    ctx.db.set(dst, value);
    if (hint !== undefined) ctx.db.setStringEncoding(dst, hint);
  } else {
    ctx.db.set(dst, value.clone() as Value);
  }
  if (expireAt !== undefined) ctx.db.setExpire(dst, expireAt);
  ctx.reply.int(1);
}

const expireFlags = { nx: 1, xx: 2, gt: 4, lt: 8 } as const;

/** Redis's parseExtendedExpireArgumentsOrReply: NX XX GT LT after the time. */
function parseExpireFlagsOrReply(ctx: DataContext, argv: readonly string[]): number | null {
  let flags = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j].toLowerCase();
    if (opt === "nx") flags |= expireFlags.nx;
    else if (opt === "xx") flags |= expireFlags.xx;
    else if (opt === "gt") flags |= expireFlags.gt;
    else if (opt === "lt") flags |= expireFlags.lt;
    else {
      ctx.reply.error(`ERR Unsupported option ${argv[j]}`);
      return null;
    }
  }
  if (flags & expireFlags.nx && flags & (expireFlags.xx | expireFlags.gt | expireFlags.lt)) {
    ctx.reply.error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return null;
  }
  if (flags & expireFlags.gt && flags & expireFlags.lt) {
    ctx.reply.error("ERR GT and LT options at the same time are not compatible");
    return null;
  }
  return flags;
}

/**
 * EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (Redis's expireGenericCommand). `relative` adds now;
 * `seconds` scales by 1000. A time at or before now deletes the key (and answers 1).
 */
function expire(ctx: DataContext, argv: string[], relative: boolean, seconds: boolean): void {
  const flags = parseExpireFlagsOrReply(ctx, argv);
  if (flags === null) return;
  let when = parseInt64(argv[2]);
  if (when === null) {
    ctx.reply.error(errors.notInteger);
    return;
  }
  const name = argv[0].toLowerCase();
  if (seconds) {
    if (when > int64Max / 1000n || when < int64Min / 1000n) {
      ctx.reply.error(errors.invalidExpire(name));
      return;
    }
    when *= 1000n;
  }
  const base = relative ? BigInt(ctx.now) : 0n;
  if (when > int64Max - base) {
    ctx.reply.error(errors.invalidExpire(name));
    return;
  }
  when += base;
  const key = argv[1];
  if (ctx.db.lookupWrite(key, ctx.now) === undefined) {
    ctx.reply.int(0);
    return;
  }
  if (flags !== 0) {
    const current = ctx.db.getExpire(key);
    const refused =
      (flags & expireFlags.nx && current !== undefined) ||
      (flags & expireFlags.xx && current === undefined) ||
      // No TTL counts as infinite: GT never beats it, LT always does.
      (flags & expireFlags.gt && (current === undefined || when <= BigInt(current))) ||
      (flags & expireFlags.lt && current !== undefined && when >= BigInt(current));
    if (refused) {
      ctx.reply.int(0);
      return;
    }
  }
  if (when <= BigInt(ctx.now)) {
    ctx.db.delete(key);
  } else {
    ctx.db.setExpire(key, Number(when));
    ctx.db.signalModified(key);
  }
  ctx.reply.int(1);
}

/**
 * TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 for a missing key, -1 without TTL; seconds are
 * rounded to the nearest, as Redis does.
 */
function ttl(ctx: DataContext, argv: string[], ms: boolean, absolute: boolean): void {
  const key = argv[1];
  if (!ctx.db.exists(key, ctx.now)) {
    ctx.reply.int(-2);
    return;
  }
  const at = ctx.db.getExpire(key);
  if (at === undefined) {
    ctx.reply.int(-1);
    return;
  }
  const t = Math.max(0, absolute ? at : at - ctx.now);
  ctx.reply.int(ms ? t : Math.floor((t + 500) / 1000));
}

/** FLUSHALL and FLUSHDB: [ASYNC|SYNC] are accepted; raftis always frees at once. */
function flush(ctx: DataContext, argv: string[]): void {
  if (argv.length > 2 || (argv.length === 2 && !/^(async|sync)$/i.test(argv[1]))) {
    ctx.reply.error(errors.syntax);
    return;
  }
  ctx.db.flush();
  ctx.reply.ok();
}

/** Rows for the four EXPIRE variants. */
function expireRow(name: string, relative: boolean, seconds: boolean, summary: string, since: string): CommandSpec {
  return command({
    name,
    arity: -3,
    flags: Flag.write | Flag.fast,
    firstKey: 1,
    lastKey: 1,
    group: "generic",
    summary,
    since,
    complexity: "O(1)",
    run: (ctx, argv) => expire(ctx, argv, relative, seconds),
  });
}

/** Rows for the four TTL readers. */
function ttlRow(name: string, ms: boolean, absolute: boolean, summary: string, since: string): CommandSpec {
  return command({
    name,
    arity: 2,
    flags: Flag.readonly | Flag.fast,
    firstKey: 1,
    lastKey: 1,
    group: "generic",
    summary,
    since,
    complexity: "O(1)",
    run: (ctx, argv) => ttl(ctx, argv, ms, absolute),
  });
}

export const keyCommands: readonly CommandSpec[] = [
  command({
    name: "del",
    arity: -2,
    flags: Flag.write,
    firstKey: 1,
    lastKey: -1,
    group: "generic",
    summary: "Delete a key",
    since: "1.0.0",
    complexity: "O(N) where N is the number of keys that will be removed",
    run: del,
  }),
  command({
    name: "unlink",
    arity: -2,
    flags: Flag.write | Flag.fast,
    firstKey: 1,
    lastKey: -1,
    group: "generic",
    summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
    since: "4.0.0",
    complexity: "O(1) for each key removed regardless of its size",
    run: del,
  }),
  command({
    name: "exists",
    arity: -2,
    flags: Flag.readonly | Flag.fast,
    firstKey: 1,
    lastKey: -1,
    group: "generic",
    summary: "Determine if a key exists",
    since: "1.0.0",
    complexity: "O(N) where N is the number of keys to check.",
    run: countExisting,
  }),
  command({
    name: "type",
    arity: 2,
    flags: Flag.readonly | Flag.fast,
    firstKey: 1,
    lastKey: 1,
    group: "generic",
    summary: "Determine the type stored at key",
    since: "1.0.0",
    complexity: "O(1)",
    run: (ctx, argv) => {
      const value = ctx.db.lookupRead(argv[1], ctx.now);
      ctx.reply.simple(value === undefined ? "none" : typeOf(value));
    },
  }),
  command({
    name: "keys",
    arity: 2,
    flags: Flag.readonly,
    group: "generic",
    summary: "Find all keys matching the given pattern",
    since: "1.0.0",
    complexity: "O(N) with N being the number of keys in the database",
    run: keys,
  }),
  command({
    name: "scan",
    arity: -2,
    flags: Flag.readonly,
    group: "generic",
    summary: "Incrementally iterate the keys space",
    since: "2.8.0",
    complexity: "O(1) for every call. O(N) for a complete iteration.",
    run: scan,
  }),
  command({
    name: "rename",
    arity: 3,
    flags: Flag.write,
    firstKey: 1,
    lastKey: 2,
    group: "generic",
    summary: "Rename a key",
    since: "1.0.0",
    complexity: "O(1)",
    run: (ctx, argv) => rename(ctx, argv, false),
  }),
  command({
    name: "renamenx",
    arity: 3,
    flags: Flag.write | Flag.fast,
    firstKey: 1,
    lastKey: 2,
    group: "generic",
    summary: "Rename a key, only if the new key does not exist",
    since: "1.0.0",
    complexity: "O(1)",
    run: (ctx, argv) => rename(ctx, argv, true),
  }),
  command({
    name: "copy",
    arity: -3,
    flags: Flag.write | Flag.denyoom,
    firstKey: 1,
    lastKey: 2,
    group: "generic",
    summary: "Copy a key",
    since: "6.2.0",
    complexity: "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
    run: copy,
  }),
  command({
    name: "touch",
    arity: -2,
    flags: Flag.readonly | Flag.fast,
    firstKey: 1,
    lastKey: -1,
    group: "generic",
    summary: "Alters the last access time of a key(s). Returns the number of existing keys specified.",
    since: "3.2.1",
    complexity: "O(N) where N is the number of keys that will be touched.",
    run: countExisting,
  }),
  command({
    name: "randomkey",
    arity: 1,
    flags: Flag.readonly | Flag.random,
    group: "generic",
    summary: "Return a random key from the keyspace",
    since: "1.0.0",
    complexity: "O(1)",
    run: (ctx) => ctx.reply.bulkOrNull(ctx.db.randomKey(ctx.rng, ctx.now)),
  }),
  objectCommand,
  expireRow("expire", true, true, "Set a key's time to live in seconds", "1.0.0"),
  expireRow("pexpire", true, false, "Set a key's time to live in milliseconds", "2.6.0"),
  expireRow("expireat", false, true, "Set the expiration for a key as a UNIX timestamp", "1.2.0"),
  expireRow("pexpireat", false, false, "Set the expiration for a key as a UNIX timestamp specified in milliseconds", "2.6.0"),
  ttlRow("ttl", false, false, "Get the time to live for a key in seconds", "1.0.0"),
  ttlRow("pttl", true, false, "Get the time to live for a key in milliseconds", "2.6.0"),
  ttlRow("expiretime", false, true, "Get the expiration Unix timestamp for a key", "7.0.0"),
  ttlRow("pexpiretime", true, true, "Get the expiration Unix timestamp for a key in milliseconds", "7.0.0"),
  command({
    name: "persist",
    arity: 2,
    flags: Flag.write | Flag.fast,
    firstKey: 1,
    lastKey: 1,
    group: "generic",
    summary: "Remove the expiration from a key",
    since: "2.2.0",
    complexity: "O(1)",
    run: (ctx, argv) => {
      const key = argv[1];
      const removed = ctx.db.lookupWrite(key, ctx.now) !== undefined && ctx.db.persist(key);
      if (removed) ctx.db.signalModified(key);
      ctx.reply.int(removed ? 1 : 0);
    },
  }),
  command({
    name: "dbsize",
    arity: 1,
    flags: Flag.readonly | Flag.fast,
    group: "server",
    summary: "Return the number of keys in the selected database",
    since: "1.0.0",
    complexity: "O(1)",
    run: (ctx) => ctx.reply.int(ctx.db.size),
  }),
  command({
    name: "flushall",
    arity: -1,
    flags: Flag.write,
    group: "server",
    summary: "Remove all keys from all databases",
    since: "1.0.0",
    complexity: "O(N) where N is the total number of keys in all databases",
    run: flush,
  }),
  command({
    name: "flushdb",
    arity: -1,
    flags: Flag.write,
    group: "server",
    summary: "Remove all keys from the current database",
    since: "1.0.0",
    complexity: "O(N) where N is the number of keys in the selected database",
    run: flush,
  }),
];
