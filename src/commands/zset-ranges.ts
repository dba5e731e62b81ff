// Range commands on sorted sets: ZRANGE (BYSCORE, BYLEX, REV, LIMIT, WITHSCORES) and the older
// ZRANGEBYSCORE/ZREVRANGEBYSCORE/ZRANGEBYLEX/ZREVRANGEBYLEX/ZREVRANGE that share its code in
// Redis (zrangeGenericCommand), ZRANGESTORE, ZCOUNT, ZLEXCOUNT and the ZREMRANGEBY* trio.

import { ZSetValue, type Cursor } from "../engine/types/zset.ts";
import { lexGteMin, lexLteMax, scoreGteMin, scoreLteMax, type LexRange, type ScoreRange } from "../engine/types/zset-range.ts";
import { errors } from "../resp/reply.ts";
import { parseLongOrReply } from "./long-args.ts";
import { lookupOrReply } from "./lookup.ts";
import type { DataContext } from "./types.ts";
import { membersArrayLength, notFloatRange, notLexRange, parseLexRange, parseScoreRange, replyMember } from "./zset-args.ts";

export type RangeKind = "auto" | "rank" | "score" | "lex";
export type RangeDirection = "auto" | "forward" | "reverse";

/** Redis's rank normalisation: [start, end] within [0, length), or null when empty. */
function clampRanks(start: number, end: number, length: number): [number, number] | null {
  if (start < 0) start = length + start;
  if (end < 0) end = length + end;
  if (start < 0) start = 0;
  if (start > end || start >= length) return null;
  if (end >= length) end = length - 1;
  return [start, end];
}

/** A member and its score, copied out of the set (ranges are replied or stored after). */
interface Entry {
  readonly member: string;
  readonly score: number;
}

function byRank(z: ZSetValue, start: number, end: number, reverse: boolean): Entry[] {
  const range = clampRanks(start, end, z.size);
  if (range === null) return [];
  const out: Entry[] = [];
  const c = z.at(range[0], reverse);
  for (let n = range[1] - range[0] + 1; n > 0 && c.valid; n--) {
    out.push({ member: c.member, score: c.score });
    if (reverse) c.prev();
    else c.next();
  }
  return out;
}

/**
 * Walks from `c` skipping `offset` entries and taking up to `limit` while `inRange`. As in
 * Redis's C loops, a negative offset skips everything and a negative limit means no limit.
 */
function walk(c: Cursor, reverse: boolean, offset: number, limit: number, inRange: (c: Cursor) => boolean): Entry[] {
  if (offset < 0) return [];
  c.skip(offset, reverse);
  const out: Entry[] = [];
  for (; c.valid && limit !== 0 && inRange(c); limit--) {
    out.push({ member: c.member, score: c.score });
    if (reverse) c.prev();
    else c.next();
  }
  return out;
}

function byScore(z: ZSetValue, r: ScoreRange, offset: number, limit: number, reverse: boolean): Entry[] {
  if (offset > 0 && offset >= z.size) return [];
  const first = reverse ? z.lastInScoreRange(r) : z.firstInScoreRange(r);
  return walk(first, reverse, offset, limit, reverse ? (c) => scoreGteMin(c.score, r) : (c) => scoreLteMax(c.score, r));
}

function byLex(z: ZSetValue, r: LexRange, offset: number, limit: number, reverse: boolean): Entry[] {
  const first = reverse ? z.lastInLexRange(r) : z.firstInLexRange(r);
  return walk(first, reverse, offset, limit, reverse ? (c) => lexGteMin(c.member, r) : (c) => lexLteMax(c.member, r));
}

/**
 * Redis's zrangeGenericCommand. `argStart` is the source key's index; `store` is ZRANGESTORE's
 * destination (null for a reply to the client).
 */
export function zrangeGeneric(ctx: DataContext, argv: string[], argStart: number, store: string | null, kind: RangeKind, direction: RangeDirection): void {
  const key = argv[argStart];
  let minIndex = argStart + 1;
  let maxIndex = argStart + 2;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let j = argStart + 3; j < argv.length; j++) {
    const opt = argv[j].toLowerCase();
    const left = argv.length - j - 1;
    if (store === null && opt === "withscores") {
      withScores = true;
    } else if (opt === "limit" && left >= 2) {
      const o = parseLongOrReply(ctx, argv[j + 1]);
      if (o === null) return;
      const l = parseLongOrReply(ctx, argv[j + 2]);
      if (l === null) return;
      offset = o;
      limit = l;
      j += 2;
    } else if (direction === "auto" && opt === "rev") {
      direction = "reverse";
    } else if (kind === "auto" && opt === "bylex") {
      kind = "lex";
    } else if (kind === "auto" && opt === "byscore") {
      kind = "score";
    } else {
      ctx.reply.error(errors.syntax);
      return;
    }
  }
  if (direction === "auto") direction = "forward";
  if (kind === "auto") kind = "rank";
  // Redis tests the value: an explicit LIMIT x -1 counts as no LIMIT.
  if (limit !== -1 && kind === "rank") {
    ctx.reply.error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    return;
  }
  if (withScores && kind === "lex") {
    ctx.reply.error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    return;
  }
  const reverse = direction === "reverse";
  if (reverse && kind !== "rank") [minIndex, maxIndex] = [maxIndex, minIndex];

  let start = 0;
  let end = 0;
  let scoreRange: ScoreRange | null = null;
  let lexRange: LexRange | null = null;
  if (kind === "rank") {
    const s = parseLongOrReply(ctx, argv[minIndex]);
    if (s === null) return;
    const e = parseLongOrReply(ctx, argv[maxIndex]);
    if (e === null) return;
    start = s;
    end = e;
  } else if (kind === "score") {
    scoreRange = parseScoreRange(argv[minIndex], argv[maxIndex]);
    if (scoreRange === null) {
      ctx.reply.error(notFloatRange);
      return;
    }
  } else {
    lexRange = parseLexRange(argv[minIndex], argv[maxIndex]);
    if (lexRange === null) {
      ctx.reply.error(notLexRange);
      return;
    }
  }

  // Even ZRANGESTORE reads its source as a read (no expiry deletion of the source).
  const z = lookupOrReply(ctx, key, "zset", false);
  if (z === null) return;
  let nodes: Entry[] = [];
  if (z !== undefined) {
    if (scoreRange !== null) nodes = byScore(z, scoreRange, offset, limit, reverse);
    else if (lexRange !== null) nodes = byLex(z, lexRange, offset, limit, reverse);
    else nodes = byRank(z, start, end, reverse);
  }
  if (store !== null) {
    // Redis sizes the destination by the rank range's length; score and lex ranges say -1.
    storeRange(ctx, store, nodes, kind === "rank" ? nodes.length : -1);
    return;
  }
  const nested = ctx.reply.resp > 2;
  ctx.reply.array(membersArrayLength(ctx.reply, nodes.length, withScores));
  for (const x of nodes) replyMember(ctx.reply, x.member, x.score, withScores, nested);
}

/** ZRANGESTORE's result: a new set at `destination` (whatever it held), or no key when empty. */
function storeRange(ctx: DataContext, destination: string, nodes: readonly Entry[], lengthHint: number): void {
  if (nodes.length === 0) {
    ctx.db.delete(destination);
    ctx.reply.int(0);
    return;
  }
  // Redis starts a skip list when the hint exceeds the listpack limit, else a listpack that the
  // adds below may convert. It shows: a listpack turns -0 into 0, a skip list keeps it.
  const z = new ZSetValue(lengthHint <= ctx.settings.zsetMaxListpackEntries);
  for (const x of nodes) z.insert(x.member, x.score, ctx.settings);
  ctx.db.set(destination, z);
  ctx.reply.int(nodes.length);
}

export function zcount(ctx: DataContext, argv: string[]): void {
  const r = parseScoreRange(argv[2], argv[3]);
  if (r === null) {
    ctx.reply.error(notFloatRange);
    return;
  }
  const z = lookupOrReply(ctx, argv[1], "zset", false);
  if (z === null) return;
  if (z === undefined) {
    ctx.reply.int(0);
    return;
  }
  ctx.reply.int(z.countInScoreRange(r));
}

export function zlexcount(ctx: DataContext, argv: string[]): void {
  const r = parseLexRange(argv[2], argv[3]);
  if (r === null) {
    ctx.reply.error(notLexRange);
    return;
  }
  const z = lookupOrReply(ctx, argv[1], "zset", false);
  if (z === null) return;
  if (z === undefined) {
    ctx.reply.int(0);
    return;
  }
  ctx.reply.int(z.countInLexRange(r));
}

/** ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX (Redis's zremrangeGenericCommand). */
export function zremrange(ctx: DataContext, argv: string[], kind: "rank" | "score" | "lex"): void {
  let start = 0;
  let end = 0;
  let scoreRange: ScoreRange | null = null;
  let lexRange: LexRange | null = null;
  if (kind === "rank") {
    const s = parseLongOrReply(ctx, argv[2]);
    if (s === null) return;
    const e = parseLongOrReply(ctx, argv[3]);
    if (e === null) return;
    start = s;
    end = e;
  } else if (kind === "score") {
    scoreRange = parseScoreRange(argv[2], argv[3]);
    if (scoreRange === null) {
      ctx.reply.error(notFloatRange);
      return;
    }
  } else {
    lexRange = parseLexRange(argv[2], argv[3]);
    if (lexRange === null) {
      ctx.reply.error(notLexRange);
      return;
    }
  }
  const key = argv[1];
  const z = lookupOrReply(ctx, key, "zset", true);
  if (z === null) return;
  if (z === undefined) {
    ctx.reply.int(0);
    return;
  }
  let deleted: number;
  if (scoreRange !== null) {
    deleted = z.removeScoreRange(scoreRange);
  } else if (lexRange !== null) {
    deleted = z.removeLexRange(lexRange);
  } else {
    const range = clampRanks(start, end, z.size);
    if (range === null) {
      ctx.reply.int(0);
      return;
    }
    deleted = z.removeRankRange(range[0], range[1]);
  }
  if (z.size === 0) ctx.db.delete(key);
  else if (deleted > 0) ctx.db.signalModified(key);
  ctx.reply.int(deleted);
}
