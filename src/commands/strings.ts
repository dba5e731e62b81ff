// The string family. SET and its relatives share setGeneric, as in Redis's t_string.c.

import { int64Max, int64Min } from "../constants.ts";
import { errors } from "../resp/reply.ts";
import { addLongDouble, formatLongDoubleHuman, parseLongDouble, type LongDouble } from "../util/long-double.ts";
import { parseInt64, parseSafeInt } from "../util/number.ts";
import { lcsCommand } from "./lcs.ts";
import { lookupOrReply, readStringOrReply } from "./lookup.ts";
import { plainStringEncoding, recordStringEncoding } from "./string-encoding.ts";
import { Flag, command, type CommandSpec, type DataContext } from "./types.ts";

const setFlags = { nx: 1, xx: 2, get: 4, keepTtl: 8, ex: 16, px: 32, exat: 64, pxat: 128, persist: 256 } as const;
const anyExpire = setFlags.ex | setFlags.px | setFlags.exat | setFlags.pxat;
const llMax = 9223372036854775807n;

/**
 * Redis's getExpireMillisecondsOrReply: the absolute expiry (ms) for `text` given in the unit
 * of `flag` (EX/PX relative to now, EXAT/PXAT absolute), or null after replying.
 */
export function expireAtOrReply(ctx: DataContext, text: string, flag: number, cmdName: string): number | null {
  const v = parseInt64(text);
  if (v === null) {
    ctx.reply.error(errors.notInteger);
    return null;
  }
  const seconds = flag === setFlags.ex || flag === setFlags.exat;
  if (v <= 0n || (seconds && v > llMax / 1000n)) {
    ctx.reply.error(errors.invalidExpire(cmdName));
    return null;
  }
  let ms = seconds ? v * 1000n : v;
  if (flag === setFlags.ex || flag === setFlags.px) ms += BigInt(ctx.now);
  if (ms > llMax) {
    // Redis detects the int64 overflow of `ms + now` as a non-positive result.
    ctx.reply.error(errors.invalidExpire(cmdName));
    return null;
  }
  return Number(ms);
}

interface SetArgs {
  flags: number;
  /** The EX/PX/EXAT/PXAT argument and which one it was. */
  expire: string | null;
  expireFlag: number;
}

/** Redis's parseExtendedStringArgumentsOrReply for SET (isGetex = false) and GETEX. */
export function parseSetArgsOrReply(ctx: DataContext, argv: string[], from: number, isGetex: boolean): SetArgs | null {
  const out: SetArgs = { flags: 0, expire: null, expireFlag: 0 };
  for (let j = from; j < argv.length; j++) {
    const opt = argv[j].toLowerCase();
    const hasNext = j < argv.length - 1;
    const f = out.flags;
    const noExpireYet = (f & (setFlags.keepTtl | setFlags.persist)) === 0;
    if (opt === "nx" && !isGetex && !(f & setFlags.xx)) {
      out.flags |= setFlags.nx;
    } else if (opt === "xx" && !isGetex && !(f & setFlags.nx)) {
      out.flags |= setFlags.xx;
    } else if (opt === "get" && !isGetex) {
      out.flags |= setFlags.get;
    } else if (opt === "keepttl" && !isGetex && !(f & (setFlags.persist | anyExpire))) {
      out.flags |= setFlags.keepTtl;
    } else if (opt === "persist" && isGetex && !(f & (anyExpire | setFlags.keepTtl))) {
      out.flags |= setFlags.persist;
    } else if (hasNext && noExpireYet && isExpireOption(opt) && !(f & anyExpire & ~expireFlagOf(opt))) {
      out.flags |= expireFlagOf(opt);
      out.expireFlag = expireFlagOf(opt);
      out.expire = argv[++j];
    } else {
      ctx.reply.error(errors.syntax);
      return null;
    }
  }
  return out;
}

function isExpireOption(opt: string): boolean {
  return opt === "ex" || opt === "px" || opt === "exat" || opt === "pxat";
}

function expireFlagOf(opt: string): number {
  switch (opt) {
    case "ex":
      return setFlags.ex;
    case "px":
      return setFlags.px;
    case "exat":
      return setFlags.exat;
    default:
      return setFlags.pxat;
  }
}

/**
 * Redis's setGenericCommand. `okReply`/`abortReply` let SETNX answer :1/:0 instead of
 * +OK/null.
 */
function setGeneric(ctx: DataContext, args: SetArgs, key: string, value: string, cmdName: string, okReply: string | null, abortReply: string | null): void {
  let expireAt: number | null = null;
  if (args.expire !== null) {
    expireAt = expireAtOrReply(ctx, args.expire, args.expireFlag, cmdName);
    if (expireAt === null) return;
  }
  if (args.flags & setFlags.get) {
    const old = lookupOrReply(ctx, key, "string", true);
    if (old === null) return;
    ctx.reply.bulkOrNull(old);
  }
  const found = ctx.db.lookupWrite(key, ctx.now) !== undefined;
  if ((args.flags & setFlags.nx && found) || (args.flags & setFlags.xx && !found)) {
    if (!(args.flags & setFlags.get)) {
      if (abortReply !== null) ctx.reply.raw(abortReply);
      else ctx.reply.nullBulk();
    }
    return;
  }
  ctx.db.set(key, value, (args.flags & setFlags.keepTtl) !== 0 || expireAt !== null);
  if (expireAt !== null) ctx.db.setExpire(key, expireAt);
  if (!(args.flags & setFlags.get)) ctx.reply.raw(okReply ?? "+OK\r\n");
}

const noArgs: SetArgs = { flags: 0, expire: null, expireFlag: 0 };

const stringTooLong = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

/** Redis's checkStringLength: may a string of `size` bytes grow by `append` bytes? */
export function checkStringLengthOrReply(ctx: DataContext, size: number, append: number): boolean {
  if (size + append > ctx.settings.protoMaxBulkLen) {
    ctx.reply.error(stringTooLong);
    return false;
  }
  return true;
}

/** GETEX: GET, then change the TTL as the options say. */
function getex(ctx: DataContext, argv: string[]): void {
  const args = parseSetArgsOrReply(ctx, argv, 2, true);
  if (args === null) return;
  const key = argv[1];
  const value = lookupOrReply(ctx, key, "string", true);
  if (value === null) return;
  if (value === undefined) {
    ctx.reply.nullBulk();
    return;
  }
  let at: number | null = null;
  if (args.expire !== null) {
    at = expireAtOrReply(ctx, args.expire, args.expireFlag, "getex");
    if (at === null) return;
  }
  ctx.reply.bulk(value);
  const absolute = (args.flags & (setFlags.exat | setFlags.pxat)) !== 0;
  if (at !== null && absolute && at <= ctx.now) {
    // An absolute time in the past deletes the key (Redis propagates it as DEL).
    ctx.db.delete(key);
  } else if (at !== null) {
    ctx.db.setExpire(key, at);
    ctx.db.signalModified(key);
  } else if (args.flags & setFlags.persist) {
    if (ctx.db.persist(key)) ctx.db.signalModified(key);
  }
}

/** MSET and MSETNX (Redis's msetGenericCommand). */
function mset(ctx: DataContext, argv: string[], nx: boolean): void {
  if (argv.length % 2 === 0) {
    ctx.reply.error(errors.wrongArgs(argv[0].toLowerCase()));
    return;
  }
  if (nx) {
    for (let j = 1; j < argv.length; j += 2) {
      if (ctx.db.lookupWrite(argv[j], ctx.now) !== undefined) {
        ctx.reply.int(0);
        return;
      }
    }
  }
  for (let j = 1; j < argv.length; j += 2) ctx.db.set(argv[j], argv[j + 1]);
  if (nx) ctx.reply.int(1);
  else ctx.reply.ok();
}

/** INCR, DECR, INCRBY, DECRBY (Redis's incrDecrCommand); the TTL is kept. */
function incrDecr(ctx: DataContext, key: string, incr: bigint): void {
  const old = lookupOrReply(ctx, key, "string", true);
  if (old === null) return;
  let next: bigint | number;
  // Most counters are small: stay with JS numbers when the result is exact.
  const small = old === undefined ? 0 : parseSafeInt(old);
  const sum = small === null ? NaN : small + Number(incr);
  if (Number.isSafeInteger(sum) && incr >= -9007199254740991n && incr <= 9007199254740991n) {
    next = sum;
  } else {
    const value = old === undefined ? 0n : parseInt64(old);
    if (value === null) {
      ctx.reply.error(errors.notInteger);
      return;
    }
    next = value + incr;
    if (next > int64Max || next < int64Min) {
      ctx.reply.error(errors.overflow);
      return;
    }
  }
  ctx.db.set(key, String(next), true);
  ctx.reply.int(next);
}

/** The increment argument of INCRBY/DECRBY, or null after replying. */
function incrementOrReply(ctx: DataContext, text: string): bigint | null {
  const v = parseInt64(text);
  if (v === null) ctx.reply.error(errors.notInteger);
  return v;
}

const longDoubleZero = parseLongDouble("0") as LongDouble;

/** INCRBYFLOAT in x87 long double arithmetic, stored as Redis prints it; the TTL is kept. */
function incrByFloat(ctx: DataContext, key: string, incrText: string): void {
  const old = lookupOrReply(ctx, key, "string", true);
  if (old === null) return;
  const value = old === undefined ? longDoubleZero : parseLongDouble(old);
  const incr = parseLongDouble(incrText);
  if (value === null || incr === null) {
    ctx.reply.error(errors.notFloat);
    return;
  }
  const sum = addLongDouble(value, incr);
  if (sum === null || sum.kind === "infinite") {
    ctx.reply.error("ERR increment would produce NaN or Infinity");
    return;
  }
  const text = formatLongDoubleHuman(sum);
  ctx.db.set(key, text, true);
  recordStringEncoding(ctx.db, key, text, plainStringEncoding(text));
  ctx.reply.bulk(text);
}

function append(ctx: DataContext, key: string, tail: string): void {
  const old = lookupOrReply(ctx, key, "string", true);
  if (old === null) return;
  if (old === undefined) {
    ctx.db.set(key, tail);
    ctx.reply.int(tail.length);
    return;
  }
  if (!checkStringLengthOrReply(ctx, old.length, tail.length)) return;
  const next = old + tail;
  ctx.db.set(key, next, true);
  recordStringEncoding(ctx.db, key, next, "raw");
  ctx.reply.int(next.length);
}

/** GETRANGE and SUBSTR: inclusive byte range, negative indexes from the end. */
function getrange(ctx: DataContext, argv: string[]): void {
  let start = parseInt64(argv[2]);
  let end = start === null ? null : parseInt64(argv[3]);
  if (start === null || end === null) {
    ctx.reply.error(errors.notInteger);
    return;
  }
  const value = readStringOrReply(ctx, argv[1]);
  if (value === null) return;
  if (value === undefined || (start < 0n && end < 0n && start > end)) {
    ctx.reply.bulk("");
    return;
  }
  const len = BigInt(value.length);
  if (start < 0n) start += len;
  if (end < 0n) end += len;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= len) end = len - 1n;
  if (start > end || len === 0n) ctx.reply.bulk("");
  else ctx.reply.bulk(value.slice(Number(start), Number(end) + 1));
}

function setrange(ctx: DataContext, argv: string[]): void {
  const key = argv[1];
  const patch = argv[3];
  const offsetBig = parseInt64(argv[2]);
  if (offsetBig === null) {
    ctx.reply.error(errors.notInteger);
    return;
  }
  if (offsetBig < 0n) {
    ctx.reply.error("ERR offset is out of range");
    return;
  }
  const old = lookupOrReply(ctx, key, "string", true);
  if (old === null) return;
  if (patch.length === 0) {
    // Setting nothing changes nothing (and creates no key).
    ctx.reply.int(old === undefined ? 0 : old.length);
    return;
  }
  // Beyond 2^53 the sum is inexact, but then it is far over any limit anyway.
  const offset = Number(offsetBig);
  if (!checkStringLengthOrReply(ctx, offset, patch.length)) return;
  const base = old ?? "";
  const next = offset > base.length ? base + "\0".repeat(offset - base.length) + patch : base.slice(0, offset) + patch + base.slice(offset + patch.length);
  ctx.db.set(key, next, old !== undefined);
  recordStringEncoding(ctx.db, key, next, "raw");
  ctx.reply.int(next.length);
}

export const stringCommands: CommandSpec[] = [
  command({
    name: "get",
    arity: 2,
    flags: Flag.readonly | Flag.fast,
    firstKey: 1,
    lastKey: 1,
    group: "string",
    summary: "Returns the string value of a key.",
    since: "1.0.0",
    complexity: "O(1)",
    run: (ctx, argv) => {
      const value = readStringOrReply(ctx, argv[1]);
      if (value !== null) ctx.reply.bulkOrNull(value);
    },
  }),
  command({
    name: "set",
    arity: -3,
    flags: Flag.write | Flag.denyoom,
    firstKey: 1,
    lastKey: 1,
    group: "string",
    summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
    since: "1.0.0",
    complexity: "O(1)",
    run: (ctx, argv) => {
      const args = parseSetArgsOrReply(ctx, argv, 3, false);
      if (args !== null) setGeneric(ctx, args, argv[1], argv[2], "set", null, null);
    },
  }),
  command({
    name: "setnx",
    arity: 3,
    flags: Flag.write | Flag.denyoom | Flag.fast,
    firstKey: 1,
    lastKey: 1,
    group: "string",
    summary: "Set the string value of a key only when the key doesn't exist.",
    since: "1.0.0",
    complexity: "O(1)",
    run: (ctx, argv) => setGeneric(ctx, { ...noArgs, flags: setFlags.nx }, argv[1], argv[2], "setnx", ":1\r\n", ":0\r\n"),
  }),
  command({
    name: "setex",
    arity: 4,
    flags: Flag.write | Flag.denyoom,
    firstKey: 1,
    lastKey: 1,
    group: "string",
    summary: "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.",
    since: "2.0.0",
    complexity: "O(1)",
    run: (ctx, argv) => setGeneric(ctx, { flags: setFlags.ex, expire: argv[2], expireFlag: setFlags.ex }, argv[1], argv[3], "setex", null, null),
  }),
  command({
    name: "psetex",
    arity: 4,
    flags: Flag.write | Flag.denyoom,
    firstKey: 1,
    lastKey: 1,
    group: "string",
    summary: "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.",
    since: "2.6.0",
    complexity: "O(1)",
    run: (ctx, argv) => setGeneric(ctx, { flags: setFlags.px, expire: argv[2], expireFlag: setFlags.px }, argv[1], argv[3], "psetex", null, null),
  }),
  command({
    name: "getset",
    arity: 3,
    flags: Flag.write | Flag.denyoom | Flag.fast,
    firstKey: 1,
    lastKey: 1,
    group: "string",
    summary: "Returns the previous string value of a key after setting it to a new value.",
    since: "1.0.0",
    complexity: "O(1)",
    run: (ctx, argv) => setGeneric(ctx, { ...noArgs, flags: setFlags.get }, argv[1], argv[2], "getset", null, null),
  }),
  command({
    name: "getdel",
    arity: 2,
    flags: Flag.write | Flag.fast,
    firstKey: 1,
    lastKey: 1,
    group: "string",
    summary: "Get the value of a key and delete the key",
    since: "6.2.0",
    complexity: "O(1)",
    run: (ctx, argv) => {
      const value = lookupOrReply(ctx, argv[1], "string", true);
      if (value === null) return;
      ctx.reply.bulkOrNull(value);
      if (value !== undefined) ctx.db.delete(argv[1]);
    },
  }),
  command({
    name: "getex",
    arity: -2,
    flags: Flag.write | Flag.fast,
    firstKey: 1,
    lastKey: 1,
    group: "string",
    summary: "Get the value of a key and optionally set its expiration",
    since: "6.2.0",
    complexity: "O(1)",
    run: getex,
  }),
  command({
    name: "mget",
    arity: -2,
    flags: Flag.readonly | Flag.fast,
    firstKey: 1,
    lastKey: -1,
    group: "string",
    summary: "Get the values of all the given keys",
    since: "1.0.0",
    complexity: "O(N) where N is the number of keys to retrieve.",
    run: (ctx, argv) => {
      ctx.reply.array(argv.length - 1);
      for (let j = 1; j < argv.length; j++) {
        const value = ctx.db.lookupRead(argv[j], ctx.now);
        if (typeof value === "string") ctx.reply.bulk(value);
        else ctx.reply.nullBulk();
      }
    },
  }),
  command({
    name: "mset",
    arity: -3,
    flags: Flag.write | Flag.denyoom,
    firstKey: 1,
    lastKey: -1,
    keyStep: 2,
    group: "string",
    summary: "Set multiple keys to multiple values",
    since: "1.0.1",
    complexity: "O(N) where N is the number of keys to set.",
    run: (ctx, argv) => mset(ctx, argv, false),
  }),
  command({
    name: "msetnx",
    arity: -3,
    flags: Flag.write | Flag.denyoom,
    firstKey: 1,
    lastKey: -1,
    keyStep: 2,
    group: "string",
    summary: "Set multiple keys to multiple values, only if none of the keys exist",
    since: "1.0.1",
    complexity: "O(N) where N is the number of keys to set.",
    run: (ctx, argv) => mset(ctx, argv, true),
  }),
  command({
    name: "incr",
    arity: 2,
    flags: Flag.write | Flag.denyoom | Flag.fast,
    firstKey: 1,
    lastKey: 1,
    group: "string",
    summary: "Increment the integer value of a key by one",
    since: "1.0.0",
    complexity: "O(1)",
    run: (ctx, argv) => incrDecr(ctx, argv[1], 1n),
  }),
  command({
    name: "decr",
    arity: 2,
    flags: Flag.write | Flag.denyoom | Flag.fast,
    firstKey: 1,
    lastKey: 1,
    group: "string",
    summary: "Decrement the integer value of a key by one",
    since: "1.0.0",
    complexity: "O(1)",
    run: (ctx, argv) => incrDecr(ctx, argv[1], -1n),
  }),
  command({
    name: "incrby",
    arity: 3,
    flags: Flag.write | Flag.denyoom | Flag.fast,
    firstKey: 1,
    lastKey: 1,
    group: "string",
    summary: "Increment the integer value of a key by the given amount",
    since: "1.0.0",
    complexity: "O(1)",
    run: (ctx, argv) => {
      const incr = incrementOrReply(ctx, argv[2]);
      if (incr !== null) incrDecr(ctx, argv[1], incr);
    },
  }),
  command({
    name: "decrby",
    arity: 3,
    flags: Flag.write | Flag.denyoom | Flag.fast,
    firstKey: 1,
    lastKey: 1,
    group: "string",
    summary: "Decrement the integer value of a key by the given number",
    since: "1.0.0",
    complexity: "O(1)",
    run: (ctx, argv) => {
      const decr = incrementOrReply(ctx, argv[2]);
      if (decr === null) return;
      if (decr === int64Min) {
        ctx.reply.error("ERR decrement would overflow");
        return;
      }
      incrDecr(ctx, argv[1], -decr);
    },
  }),
  command({
    name: "incrbyfloat",
    arity: 3,
    flags: Flag.write | Flag.denyoom | Flag.fast,
    firstKey: 1,
    lastKey: 1,
    group: "string",
    summary: "Increment the float value of a key by the given amount",
    since: "2.6.0",
    complexity: "O(1)",
    run: (ctx, argv) => incrByFloat(ctx, argv[1], argv[2]),
  }),
  command({
    name: "append",
    arity: 3,
    flags: Flag.write | Flag.denyoom | Flag.fast,
    firstKey: 1,
    lastKey: 1,
    group: "string",
    summary: "Append a value to a key",
    since: "2.0.0",
    complexity: "O(1), amortized",
    run: (ctx, argv) => append(ctx, argv[1], argv[2]),
  }),
  command({
    name: "strlen",
    arity: 2,
    flags: Flag.readonly | Flag.fast,
    firstKey: 1,
    lastKey: 1,
    group: "string",
    summary: "Get the length of the value stored in a key",
    since: "2.2.0",
    complexity: "O(1)",
    run: (ctx, argv) => {
      const value = readStringOrReply(ctx, argv[1]);
      if (value !== null) ctx.reply.int(value === undefined ? 0 : value.length);
    },
  }),
  command({
    name: "getrange",
    arity: 4,
    flags: Flag.readonly,
    firstKey: 1,
    lastKey: 1,
    group: "string",
    summary: "Get a substring of the string stored at a key",
    since: "2.4.0",
    complexity: "O(N) where N is the length of the returned string",
    run: getrange,
  }),
  command({
    name: "substr",
    arity: 4,
    flags: Flag.readonly,
    firstKey: 1,
    lastKey: 1,
    group: "string",
    summary: "Get a substring of the string stored at a key",
    since: "1.0.0",
    complexity: "O(N) where N is the length of the returned string",
    run: getrange,
  }),
  command({
    name: "setrange",
    arity: 4,
    flags: Flag.write | Flag.denyoom,
    firstKey: 1,
    lastKey: 1,
    group: "string",
    summary: "Overwrite part of a string at key starting at the specified offset",
    since: "2.2.0",
    complexity: "O(1), not counting the time taken to copy the new string in place",
    run: setrange,
  }),
  lcsCommand,
];
