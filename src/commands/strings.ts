// The string family. SET and its relatives share setGeneric, as in Redis's t_string.c.

import { errors } from "../resp/reply.ts";
import { parseInt64 } from "../util/number.ts";
import { lookupOrReply, readStringOrReply } from "./lookup.ts";
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
];
