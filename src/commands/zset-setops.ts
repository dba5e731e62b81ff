// Set algebra on sorted sets (Redis's zunionInterDiffGenericCommand): ZUNION, ZINTER, ZDIFF,
// their STORE forms and ZINTERCARD. Plain sets are accepted as inputs, every member scoring 1.
//
// Floating-point sums depend on the order of the additions, so the order is Redis's: inputs are
// sorted by size (smallest first, stably) for union and intersection, and each member's score
// is accumulated input by input in that order.

import { SetValue } from "../engine/types/set.ts";
import { ZSetValue } from "../engine/types/zset.ts";
import type { Value } from "../engine/value.ts";
import { errors } from "../resp/reply.ts";
import { assert } from "../util/assert.ts";
import { parseDouble } from "../util/number.ts";
import { parseLongOrReply, parsePositiveLongOrReply } from "./long-args.ts";
import type { DataContext } from "./types.ts";
import { membersArrayLength, replyMember } from "./zset-args.ts";

export type SetOp = "union" | "inter" | "diff";
type Aggregate = "sum" | "min" | "max";

/** One input: a sorted set, a set (scores 1), or a missing key (empty). */
interface Source {
  readonly value: Value | undefined;
  readonly size: number;
  weight: number;
  scoreOf(member: string): number | undefined;
  forEach(visit: (member: string, score: number) => void): void;
}

function sourceOf(value: ZSetValue | Value | undefined): Source {
  if (value instanceof ZSetValue) {
    return {
      value,
      size: value.size,
      weight: 1,
      scoreOf: (m) => value.score(m),
      forEach: (visit) => {
        for (const [m, s] of value.entries()) visit(m, s);
      },
    };
  }
  if (value === undefined) {
    return { value, size: 0, weight: 1, scoreOf: () => undefined, forEach: () => {} };
  }
  assert(value instanceof SetValue, "a set-algebra input is a sorted set or a set");
  const set = value;
  return {
    value,
    size: set.size,
    weight: 1,
    scoreOf: (m) => (set.has(m) ? 1 : undefined),
    forEach: (visit) => {
      for (const m of set.members()) visit(m, 1);
    },
  };
}

function aggregate(target: number, value: number, how: Aggregate): number {
  if (how === "sum") {
    const sum = target + value;
    // inf + -inf is NaN; Redis's convention makes it 0.
    return Number.isNaN(sum) ? 0 : sum;
  }
  // Comparisons with NaN are false, so a NaN value leaves the target as it is (as in C).
  if (how === "min") return value < target ? value : target;
  return value > target ? value : target;
}

/**
 * The command: `destination` for the STORE forms (null otherwise), `numkeysIndex` where the
 * key count is, `cardinalityOnly` for ZINTERCARD.
 */
export function zsetOp(ctx: DataContext, argv: string[], op: SetOp, destination: string | null, numkeysIndex: number, cardinalityOnly: boolean): void {
  const setnum = parseLongOrReply(ctx, argv[numkeysIndex]);
  if (setnum === null) return;
  if (setnum < 1) {
    ctx.reply.error(`ERR at least 1 input key is needed for '${argv[0].toLowerCase()}' command`);
    return;
  }
  if (setnum > argv.length - (numkeysIndex + 1)) {
    ctx.reply.error(errors.syntax);
    return;
  }
  // Keys are looked up (and type-checked) before the options are parsed, as in Redis.
  const sources: Source[] = [];
  let j = numkeysIndex + 1;
  for (let i = 0; i < setnum; i++, j++) {
    const value = ctx.db.lookupRead(argv[j], ctx.now);
    if (value !== undefined && !(value instanceof ZSetValue) && !(value instanceof SetValue)) {
      ctx.reply.error(errors.wrongType);
      return;
    }
    sources.push(sourceOf(value));
  }
  let how: Aggregate = "sum";
  let withScores = false;
  let limit = 0;
  while (j < argv.length) {
    const remaining = argv.length - j;
    const opt = argv[j].toLowerCase();
    if (op !== "diff" && !cardinalityOnly && remaining >= setnum + 1 && opt === "weights") {
      j++;
      for (let i = 0; i < setnum; i++, j++) {
        const w = parseDouble(argv[j]);
        if (w === null) {
          ctx.reply.error("ERR weight value is not a float");
          return;
        }
        sources[i].weight = w;
      }
    } else if (op !== "diff" && !cardinalityOnly && remaining >= 2 && opt === "aggregate") {
      const a = argv[j + 1].toLowerCase();
      if (a !== "sum" && a !== "min" && a !== "max") {
        ctx.reply.error(errors.syntax);
        return;
      }
      how = a;
      j += 2;
    } else if (destination === null && !cardinalityOnly && opt === "withscores") {
      withScores = true;
      j++;
    } else if (cardinalityOnly && remaining >= 2 && opt === "limit") {
      const l = parsePositiveLongOrReply(ctx, argv[j + 1], "LIMIT can't be negative");
      if (l === null) return;
      limit = l;
      j += 2;
    } else {
      ctx.reply.error(errors.syntax);
      return;
    }
  }
  if (op !== "diff") sources.sort((a, b) => a.size - b.size);

  const result = new Map<string, number>();
  let cardinality = 0;
  if (op === "inter") {
    const [first, ...rest] = sources;
    if (first.size > 0) {
      first.forEach((member, s0) => {
        if (limit > 0 && cardinality >= limit) return;
        let score = first.weight * s0;
        if (Number.isNaN(score)) score = 0;
        for (const src of rest) {
          const s = src.value === first.value ? s0 : src.scoreOf(member);
          if (s === undefined) return;
          score = aggregate(score, s * src.weight, how);
        }
        if (cardinalityOnly) cardinality++;
        else result.set(member, score);
      });
    }
  } else if (op === "union") {
    for (const src of sources) {
      src.forEach((member, s) => {
        let score = src.weight * s;
        if (Number.isNaN(score)) score = 0;
        const existing = result.get(member);
        result.set(member, existing === undefined ? score : aggregate(existing, score, how));
      });
    }
  } else {
    const [first, ...rest] = sources;
    first.forEach((member, s0) => {
      for (const src of rest) {
        if (src.value === first.value || src.scoreOf(member) !== undefined) return;
      }
      result.set(member, s0);
    });
  }

  if (cardinalityOnly) {
    ctx.reply.int(cardinality);
    return;
  }
  if (destination !== null) {
    storeResult(ctx, destination, result);
    return;
  }
  const entries = [...result].sort(byScoreThenMember);
  const nested = ctx.reply.resp > 2;
  ctx.reply.array(membersArrayLength(ctx.reply, entries.length, withScores));
  for (const [member, score] of entries) replyMember(ctx.reply, member, score, withScores, nested);
}

function byScoreThenMember(a: [string, number], b: [string, number]): number {
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** The STORE forms: the result replaces the destination, or removes it when empty. */
function storeResult(ctx: DataContext, destination: string, result: Map<string, number>): void {
  if (result.size === 0) {
    ctx.db.delete(destination);
    ctx.reply.int(0);
    return;
  }
  // Built as a skip list, then made a listpack when small enough (zsetConvertToListpackIfNeeded).
  const z = new ZSetValue(false);
  for (const [member, score] of result) z.insert(member, score, ctx.settings);
  z.convertToListpackIfFits(ctx.settings);
  ctx.db.set(destination, z);
  ctx.reply.int(z.size);
}
