// Sorted-set commands on single members and the ends of a set: ZADD/ZINCRBY (Redis's
// zaddGenericCommand and zsetAdd), ZREM, ZSCORE, ZMSCORE, ZCARD, ZRANK, ZREVRANK, ZPOPMIN,
// ZPOPMAX, ZMPOP, ZRANDMEMBER and ZSCAN. Each follows Redis 7.0's order of checks.

import { int64Max, randomCountRepliesMax } from "../constants.ts";
import { ZSetValue } from "../engine/types/zset.ts";
import type { EngineSettings } from "../engine/settings.ts";
import { errors } from "../resp/reply.ts";
import { formatDouble17g, parseDouble, parseInt64 } from "../util/number.ts";
import { parsePositiveLongOrReply, parseRangeLongOrReply } from "./long-args.ts";
import { lookupOrReply, removeMembersAndReply } from "./lookup.ts";
import { parseScanOrReply, replyScan, scanMatches } from "./scan.ts";
import type { DataContext } from "./types.ts";
import { membersArrayLength, replyMember } from "./zset-args.ts";

const zaddIn = { nx: 1, xx: 2, incr: 4, gt: 8, lt: 16 } as const;

type AddOutcome = "nan" | "nop" | "added" | "updated" | "unchanged";

/** Redis's zsetAdd: one score-member pair under the NX/XX/GT/LT/INCR flags. */
function zsetAdd(z: ZSetValue, score: number, member: string, flags: number, settings: EngineSettings): { outcome: AddOutcome; score: number } {
  const current = z.score(member);
  if (current !== undefined) {
    if (flags & zaddIn.nx) return { outcome: "nop", score };
    if (flags & zaddIn.incr) {
      score += current;
      if (Number.isNaN(score)) return { outcome: "nan", score };
    }
    if ((flags & zaddIn.lt && score >= current) || (flags & zaddIn.gt && score <= current)) return { outcome: "nop", score };
    if (score !== current) {
      z.update(member, current, score);
      return { outcome: "updated", score };
    }
    return { outcome: "unchanged", score };
  }
  if (flags & zaddIn.xx) return { outcome: "nop", score };
  z.insert(member, score, settings);
  return { outcome: "added", score };
}

/** ZADD and ZINCRBY (`incr`): Redis's zaddGenericCommand. */
export function zadd(ctx: DataContext, argv: string[], incrCommand: boolean): void {
  let flags = incrCommand ? zaddIn.incr : 0;
  let ch = false;
  let scoreIndex = 2;
  for (; scoreIndex < argv.length; scoreIndex++) {
    const opt = argv[scoreIndex].toLowerCase();
    if (opt === "nx") flags |= zaddIn.nx;
    else if (opt === "xx") flags |= zaddIn.xx;
    else if (opt === "ch") ch = true;
    else if (opt === "incr") flags |= zaddIn.incr;
    else if (opt === "gt") flags |= zaddIn.gt;
    else if (opt === "lt") flags |= zaddIn.lt;
    else break;
  }
  const incr = (flags & zaddIn.incr) !== 0;
  const nx = (flags & zaddIn.nx) !== 0;
  const xx = (flags & zaddIn.xx) !== 0;
  const gt = (flags & zaddIn.gt) !== 0;
  const lt = (flags & zaddIn.lt) !== 0;
  const args = argv.length - scoreIndex;
  if (args % 2 !== 0 || args === 0) {
    ctx.reply.error(errors.syntax);
    return;
  }
  const elements = args / 2;
  if (nx && xx) {
    ctx.reply.error("ERR XX and NX options at the same time are not compatible");
    return;
  }
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    ctx.reply.error("ERR GT, LT, and/or NX options at the same time are not compatible");
    return;
  }
  if (incr && elements > 1) {
    ctx.reply.error("ERR INCR option supports a single increment-element pair");
    return;
  }
  // Every score is checked before anything changes: the command applies fully or not at all.
  const scores: number[] = [];
  for (let j = 0; j < elements; j++) {
    const score = parseDouble(argv[scoreIndex + 2 * j]);
    if (score === null) {
      ctx.reply.error(errors.notFloat);
      return;
    }
    scores.push(score);
  }
  const key = argv[1];
  let z = lookupOrReply(ctx, key, "zset", true);
  if (z === null) return;
  let created = false;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let lastScore = 0;
  if (z === undefined) {
    if (xx) {
      replyZadd(ctx, incr, ch, 0, 0, 0, 0);
      return;
    }
    z = ZSetValue.forFirstMember(argv[scoreIndex + 1], ctx.settings);
    created = true;
  }
  let nan = false;
  for (let j = 0; j < elements && !nan; j++) {
    const result = zsetAdd(z, scores[j], argv[scoreIndex + 1 + 2 * j], flags, ctx.settings);
    if (result.outcome === "nan") nan = true;
    if (result.outcome === "added") added++;
    if (result.outcome === "updated") updated++;
    if (result.outcome !== "nop" && result.outcome !== "nan") processed++;
    lastScore = result.score;
  }
  // Like Redis, pairs before a NaN stay applied (only INCR, with one pair, can produce NaN).
  if (nan) ctx.reply.error("ERR resulting score is not a number (NaN)");
  else replyZadd(ctx, incr, ch, added, updated, processed, lastScore);
  if (created && z.size > 0) ctx.db.set(key, z);
  else if (added > 0 || updated > 0) ctx.db.signalModified(key);
}

function replyZadd(ctx: DataContext, incr: boolean, ch: boolean, added: number, updated: number, processed: number, score: number): void {
  if (incr) {
    if (processed > 0) ctx.reply.double(score);
    else ctx.reply.nullBulk();
  } else {
    ctx.reply.int(ch ? added + updated : added);
  }
}

export function zrem(ctx: DataContext, argv: string[]): void {
  removeMembersAndReply(ctx, argv, "zset", (z, member) => z.remove(member));
}

export function zscore(ctx: DataContext, argv: string[]): void {
  const z = lookupOrReply(ctx, argv[1], "zset", false);
  if (z === null) return;
  const score = z?.score(argv[2]);
  if (score === undefined) ctx.reply.nullBulk();
  else ctx.reply.double(score);
}

export function zmscore(ctx: DataContext, argv: string[]): void {
  const z = lookupOrReply(ctx, argv[1], "zset", false);
  if (z === null) return;
  ctx.reply.array(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const score = z?.score(argv[j]);
    if (score === undefined) ctx.reply.nullBulk();
    else ctx.reply.double(score);
  }
}

export function zcard(ctx: DataContext, argv: string[]): void {
  const z = lookupOrReply(ctx, argv[1], "zset", false);
  if (z !== null) ctx.reply.int(z === undefined ? 0 : z.size);
}

export function zrank(ctx: DataContext, argv: string[], reverse: boolean): void {
  const z = lookupOrReply(ctx, argv[1], "zset", false);
  if (z === null) return;
  const rank = z === undefined ? -1 : z.rank(argv[2], reverse);
  if (rank < 0) ctx.reply.nullBulk();
  else ctx.reply.int(rank);
}

type PopEnd = "min" | "max";

/**
 * Redis's genericZpopCommand: pops from the first non-empty key of `keys`. `count` -1 is the
 * plain single pop; `emitKey` is ZMPOP's [key, [[member, score], ...]] shape.
 */
function zpopGeneric(ctx: DataContext, keys: readonly string[], end: PopEnd, emitKey: boolean, count: number, nested: boolean, nilWhenEmpty: boolean): void {
  let key = "";
  let z: ZSetValue | undefined;
  for (const k of keys) {
    const found = lookupOrReply(ctx, k, "zset", true);
    if (found === null) return;
    if (found === undefined) continue;
    key = k;
    z = found;
    break;
  }
  if (z === undefined) {
    if (nilWhenEmpty) ctx.reply.nullArray();
    else ctx.reply.array(0);
    return;
  }
  if (count === 0) {
    ctx.reply.array(0);
    return;
  }
  const n = Math.min(count === -1 ? 1 : count, z.size);
  if (emitKey) {
    ctx.reply.array(2);
    ctx.reply.bulk(key);
    ctx.reply.array(n);
  } else {
    ctx.reply.array(nested ? n : n * 2);
  }
  for (let i = 0; i < n; i++) {
    const c = end === "min" ? z.first() : z.last();
    if (!c.valid) break;
    const member = c.member;
    const score = c.score;
    z.remove(member);
    if (nested) ctx.reply.array(2);
    ctx.reply.bulk(member);
    ctx.reply.double(score);
  }
  if (z.size === 0) ctx.db.delete(key);
  else ctx.db.signalModified(key);
}

/** ZPOPMIN / ZPOPMAX key [count]. */
export function zpop(ctx: DataContext, argv: string[], end: PopEnd): void {
  if (argv.length > 3) {
    ctx.reply.error(errors.syntax);
    return;
  }
  let count = -1;
  if (argv.length === 3) {
    const n = parsePositiveLongOrReply(ctx, argv[2]);
    if (n === null) return;
    count = n;
  }
  zpopGeneric(ctx, [argv[1]], end, false, count, ctx.reply.resp > 2 && count !== -1, false);
}

/** ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]. */
export function zmpop(ctx: DataContext, argv: string[]): void {
  const numkeys = parseRangeLongOrReply(ctx, argv[1], 1n, int64Max, "numkeys should be greater than 0");
  if (numkeys === null) return;
  const whereIndex = 2 + numkeys;
  if (whereIndex >= argv.length) {
    ctx.reply.error(errors.syntax);
    return;
  }
  const where = argv[whereIndex].toLowerCase();
  if (where !== "min" && where !== "max") {
    ctx.reply.error(errors.syntax);
    return;
  }
  let count = -1;
  for (let j = whereIndex + 1; j < argv.length; j++) {
    if (count === -1 && argv[j].toLowerCase() === "count" && j + 1 < argv.length) {
      const n = parseRangeLongOrReply(ctx, argv[++j], 1n, int64Max, "count should be greater than 0");
      if (n === null) return;
      count = n;
    } else {
      ctx.reply.error(errors.syntax);
      return;
    }
  }
  if (count === -1) count = 1;
  zpopGeneric(ctx, argv.slice(2, whereIndex), where, true, count, true, true);
}

const longMaxHalf = 4611686018427387903n;
const longMinHalf = -4611686018427387903n; // -LONG_MAX/2, as Redis 7.0 checks it

/** ZRANDMEMBER key [count [WITHSCORES]]. Random picks come from ctx.rng. */
export function zrandmember(ctx: DataContext, argv: string[]): void {
  if (argv.length >= 3) {
    const l = parseRangeLongOrReply(ctx, argv[2], -int64Max, int64Max);
    if (l === null) return;
    if (argv.length > 4 || (argv.length === 4 && argv[3].toLowerCase() !== "withscores")) {
      ctx.reply.error(errors.syntax);
      return;
    }
    const withScores = argv.length === 4;
    if (withScores) {
      const exact = parseInt64(argv[2]) as bigint;
      if (exact < longMinHalf || exact > longMaxHalf) {
        ctx.reply.error("ERR value is out of range");
        return;
      }
    }
    zrandmemberWithCount(ctx, argv[1], l, withScores);
    return;
  }
  const z = lookupOrReply(ctx, argv[1], "zset", false);
  if (z === null) return;
  if (z === undefined) {
    ctx.reply.nullBulk();
    return;
  }
  ctx.reply.bulk(z.randomMember(ctx.rng) as string);
}

function zrandmemberWithCount(ctx: DataContext, key: string, l: number, withScores: boolean): void {
  const z = lookupOrReply(ctx, key, "zset", false);
  if (z === null) return;
  if (z === undefined) {
    ctx.reply.array(0);
    return;
  }
  const count = Math.abs(l);
  const unique = l >= 0;
  if (count === 0) {
    ctx.reply.array(0);
    return;
  }
  const nested = ctx.reply.resp > 2;
  const emit = (member: string) => replyMember(ctx.reply, member, z.score(member) as number, withScores, nested);
  if (!unique || count === 1) {
    // Repeats allowed: each pick is independent. Redis would try to send any count; a named
    // bound keeps one command from building gigabytes of reply on the apply thread.
    if (count > randomCountRepliesMax) {
      ctx.reply.error("ERR value is out of range");
      return;
    }
    ctx.reply.array(membersArrayLength(ctx.reply, count, withScores));
    for (let i = 0; i < count; i++) emit(z.randomMember(ctx.rng) as string);
    return;
  }
  const size = z.size;
  ctx.reply.array(membersArrayLength(ctx.reply, Math.min(count, size), withScores));
  if (count >= size) {
    // The whole set, highest first: the order Redis 7.0 sends it in (checked against redis-server).
    for (const c = z.last(); c.valid; c.prev()) replyMember(ctx.reply, c.member, c.score, withScores, nested);
    return;
  }
  if (count * 3 > size) {
    // Most of the set: shuffle the first `count` positions of a copy (partial Fisher-Yates).
    const members: string[] = [];
    for (const c = z.first(); c.valid; c.next()) members.push(c.member);
    for (let i = 0; i < count; i++) {
      const j = i + ctx.rng.nextInt(size - i);
      const t = members[i];
      members[i] = members[j];
      members[j] = t;
      emit(members[i]);
    }
    return;
  }
  // A small part of the set: random picks, skipping repeats.
  const seen = new Set<string>();
  while (seen.size < count) {
    const member = z.randomMember(ctx.rng) as string;
    if (seen.has(member)) continue;
    seen.add(member);
    emit(member);
  }
}

const listpackIntegerMax = 2 ** 62;

/**
 * A score as a listpack stores it (Redis's d2string): integral values within ±2^62 as integers
 * (so -0 is "0" and 1.2345678901234568e17 is "123456789012345680"), others with %.17g.
 */
function listpackScoreText(score: number): string {
  if (Number.isInteger(score) && Math.abs(score) <= listpackIntegerMax) return BigInt(score).toString();
  return formatDouble17g(score);
}

/** ZSCAN key cursor [MATCH pattern] [COUNT count]. */
export function zscan(ctx: DataContext, argv: string[]): void {
  // Redis checks the cursor first, then the key, then the options.
  if (parseScanOrReply(ctx, argv.slice(0, 3), 2, false) === null) return;
  const z = lookupOrReply(ctx, argv[1], "zset", false);
  if (z === null) return;
  if (z === undefined) {
    replyScan(ctx.reply, 0, []);
    return;
  }
  const args = parseScanOrReply(ctx, argv, 2, false);
  if (args === null) return;
  const items: string[] = [];
  if (z.isListpack) {
    // A listpack is returned whole and in order, whatever the cursor and COUNT.
    for (const c = z.first(); c.valid; c.next()) {
      if (scanMatches(args, c.member)) items.push(c.member, listpackScoreText(c.score));
    }
    replyScan(ctx.reply, 0, items);
    return;
  }
  const next = z.scan(args.cursor, args.count, (member, score) => {
    if (scanMatches(args, member)) items.push(member, formatDouble17g(score));
  });
  replyScan(ctx.reply, next, items);
}
