// Redis's getLongFromObjectOrReply family (object.c): integer arguments with Redis's exact error
// texts. Values are int64 (C long) parsed as bigint and returned as JS numbers; beyond 2^53 they
// lose precision, which only matters for values that are then compared with a size or clamped.

import { int64Max, int64Min } from "../constants.ts";
import { errors } from "../resp/reply.ts";
import { parseInt64 } from "../util/number.ts";
import type { DataContext } from "./types.ts";

/** getLongFromObjectOrReply: any int64, or null after replying (with `msg` when given). */
export function parseLongOrReply(ctx: DataContext, text: string, msg?: string): number | null {
  const v = parseInt64(text);
  if (v === null) {
    ctx.reply.error(msg === undefined ? errors.notInteger : `ERR ${msg}`);
    return null;
  }
  return Number(v);
}

/** getRangeLongFromObjectOrReply: an integer in [min, max] (bigints, so int64 ends are exact). */
export function parseRangeLongOrReply(ctx: DataContext, text: string, min: bigint, max: bigint, msg?: string): number | null {
  const v = parseInt64(text);
  if (v === null) {
    ctx.reply.error(msg === undefined ? errors.notInteger : `ERR ${msg}`);
    return null;
  }
  if (v < min || v > max) {
    ctx.reply.error(msg === undefined ? `ERR value is out of range, value must between ${min} and ${max}` : `ERR ${msg}`);
    return null;
  }
  return Number(v);
}

/** getPositiveLongFromObjectOrReply: an integer >= 0 ("must be positive" unless `msg`). */
export function parsePositiveLongOrReply(ctx: DataContext, text: string, msg = "value is out of range, must be positive"): number | null {
  return parseRangeLongOrReply(ctx, text, 0n, int64Max, msg);
}

/** The smallest C long, which has no positive counterpart (-LONG_MIN overflows in C). */
export const longMin = Number(int64Min);

/**
 * The `numkeys key [key ...]` positions of a command (LMPOP, ZMPOP, ZUNION, ...): argv indexes
 * of the keys after argv[numkeysIndex], plus `extra` fixed key positions. Invalid counts give
 * no keys (the command itself then replies with the error).
 */
export function numkeysPositions(argv: readonly string[], numkeysIndex: number, extra: readonly number[] = []): number[] {
  const n = parseInt64(argv[numkeysIndex] ?? "");
  if (n === null || n < 1n || n > BigInt(argv.length - numkeysIndex - 1)) return [...extra];
  const out = [...extra];
  for (let i = 0; i < Number(n); i++) out.push(numkeysIndex + 1 + i);
  return out;
}
