// The sorted-set commands answer exactly as redis-server 7.0 does, in RESP2 and RESP3: a seeded
// stream of random commands with edge scores (-0, ±inf, 1e308, subnormals, many ties), invalid
// arguments, strings and sets (inputs of ZUNION & co.) on the same keys, store commands
// overwriting other types and empty results deleting keys.
//
// Key pools keep every comparison well defined:
// - z0..z4: small sets (short members from a small pool), so Redis keeps them in a listpack;
//   lex ranges on them follow the listpack's linear scan even with mixed scores.
// - x0..x2: every score is 0 (only ZADD 0 writes them), so lex ranges are well defined.
// - b0, b1 and their store destinations d0, d1: big sets with long members (skip lists). Lex
//   ranges never touch them: with mixed scores Redis's answer depends on its random levels.
// ZRANDMEMBER is random (compared by size only) and ZSCAN of a skip list walks a hash table in
// Redis's order (so those scans ask for everything at once and are compared as sets); their
// properties are tested in zset-properties.test.ts.

import { afterAll, beforeAll, expect, test } from "bun:test";
import type { RespClient } from "../src/client/resp-client.ts";
import type { RespValue } from "../src/resp/reply-parser.ts";
import { pick, randomInt, runDifferential, sortPairs, testSeed, type Rng } from "./helpers/diff.ts";
import { startRaftis, startRedis, type RunningServer } from "./helpers/processes.ts";

let raftis: RunningServer;
let redis: RunningServer;
let a: RespClient;
let b: RespClient;
/**
 * The last test shrinks zset-max-listpack-entries/value so that every pool converts to skip
 * lists: lex ranges then only read x*, and every ZSCAN is compared as a set.
 */
let tiny = false;

beforeAll(async () => {
  [raftis, redis] = await Promise.all([startRaftis(), startRedis()]);
  [a, b] = await Promise.all([redis.client(), raftis.client()]);
});

afterAll(async () => {
  a?.close();
  b?.close();
  await Promise.all([raftis?.stop(), redis?.stop()]);
});

const scoreTexts = ["0", "-0", "1", "-1", "2", "2.5", "-2.5", "0.1", "0.2", "0.3", "1.1", "3", "10", "inf", "-inf", "+inf", "1e308", "-1e308", "1e-310", "5e-324", "1.5e10", "123456789012345678"];
const badScores = ["abc", "nan", "1e400", "1e-400", "", " 1", "1 ", "0x10", "1.", ".5", "-nan", "Infinity"];

function score(rng: Rng): string {
  const k = rng.nextInt(20);
  if (k < 9) return String(randomInt(rng, -3, 3));
  if (k < 19) return pick(rng, scoreTexts);
  return pick(rng, badScores);
}

const members = ["a", "b", "c", "d", "e", "f", "g", "aa", "ab", "b\x00", "\xff", "", "1", "-1", "10", "m1", "m2", "m3", "zz", "Z"];

function member(rng: Rng): string {
  return pick(rng, members);
}

function bigMember(rng: Rng): string {
  const k = rng.nextInt(10);
  if (k === 0) return "L".repeat(60 + rng.nextInt(20));
  if (k < 4) return member(rng);
  return `m${rng.nextInt(400)}`;
}

type Pool = "z" | "x" | "b";

function keyOf(rng: Rng, pool: Pool): string {
  const k = rng.nextInt(30);
  if (k === 0) return "str";
  if (k === 1) return "missing";
  if (k === 2) return `s${rng.nextInt(2)}`;
  if (pool === "z") return `z${rng.nextInt(5)}`;
  if (pool === "x") return `x${rng.nextInt(3)}`;
  return rng.nextInt(4) === 0 ? `d${rng.nextInt(2)}` : `b${rng.nextInt(2)}`;
}

/**
 * A key for ZADD/ZINCRBY: as keyOf, but "missing" stays missing (a string instead), and big
 * members only go to b* and d* ("str" and s* must stay listpacks when they hold sorted sets).
 */
function writeKeyOf(rng: Rng, pool: Pool): string {
  const k = keyOf(rng, pool);
  if (pool === "b" && !/^[bd]/.test(k)) return `d${rng.nextInt(2)}`;
  return k === "missing" ? "str" : k;
}

/** Sources for lex commands: never the big sets, nor mixed-score skip lists. */
function lexKey(rng: Rng): string {
  // With tiny limits any key written with mixed scores ("str", s*, z*) may be a skip list.
  if (tiny) return rng.nextInt(30) === 0 ? "missing" : `x${rng.nextInt(3)}`;
  return keyOf(rng, rng.nextInt(3) === 0 ? "z" : "x");
}

/** Keys that are surely listpacks: ZSCAN returns them whole, in order, whatever the cursor. */
function surelyListpack(key: string): boolean {
  return !tiny && /^[zx]/.test(key);
}

function anyPool(rng: Rng): Pool {
  return pick(rng, ["z", "z", "x", "b"] as const);
}

function rankArg(rng: Rng): string {
  if (rng.nextInt(12) === 0) return pick(rng, ["9223372036854775807", "-9223372036854775808", "x", "1.5", ""]);
  return String(randomInt(rng, -8, 8));
}

const rangeTexts = ["-inf", "+inf", "inf", "(1", "1", "(0", "0", "-0", "(-0", "2.5", "(2.5", "(-1", "-1", "3", "(3", "1e308", "(inf", "(-inf", "5e-324"];
const badRanges = ["x", "(", "", "nan", "(nan", " 1", "1 ", "0x1p1", "(1e400", "1e", "[1"];

function scoreBound(rng: Rng): string {
  return rng.nextInt(15) === 0 ? pick(rng, badRanges) : pick(rng, rangeTexts);
}

function lexBound(rng: Rng): string {
  const k = rng.nextInt(12);
  if (k === 0) return pick(rng, ["a", "", "-x", "+a", "[", "("]);
  if (k < 3) return pick(rng, ["-", "+"]);
  return pick(rng, ["[", "("]) + member(rng);
}

function limit(rng: Rng): string[] {
  return ["LIMIT", pick(rng, ["0", "1", "2", "-1", "5", "x"]), pick(rng, ["1", "2", "3", "0", "-1", "-5", "100"])];
}

function zaddArgs(rng: Rng, pool: Pool): string[] {
  const argv = ["ZADD", writeKeyOf(rng, pool)];
  if (pool !== "x") {
    for (let n = rng.nextInt(3); n > 0; n--) argv.push(pick(rng, ["NX", "XX", "GT", "LT", "CH", "INCR", "nx", "gt", "ch"]));
  } else if (rng.nextInt(3) === 0) {
    argv.push(pick(rng, ["NX", "XX", "CH"]));
  }
  const pairs = pool === "b" ? 1 + rng.nextInt(rng.nextInt(4) === 0 ? 200 : 4) : 1 + rng.nextInt(3);
  for (let i = 0; i < pairs; i++) {
    argv.push(pool === "x" ? "0" : score(rng), pool === "b" ? bigMember(rng) : member(rng));
  }
  if (rng.nextInt(25) === 0) argv.push(score(rng)); // odd number of arguments
  return argv;
}

/** ZUNION/ZINTER/ZDIFF arguments after the command name (and destination). */
function setOpArgs(rng: Rng, op: string, pool: Pool, card: boolean, store: boolean): string[] {
  const n = 1 + rng.nextInt(3);
  const argv = [rng.nextInt(20) === 0 ? pick(rng, ["0", "-1", "x", "9"]) : String(n)];
  for (let i = 0; i < n; i++) argv.push(keyOf(rng, pool));
  if (card) {
    if (rng.nextInt(2) === 0) argv.push("LIMIT", pick(rng, ["0", "1", "2", "-1", "x"]));
    return argv;
  }
  if (op !== "diff" && rng.nextInt(3) === 0) {
    argv.push("WEIGHTS");
    for (let i = 0; i < n; i++) argv.push(pick(rng, ["1", "2", "0", "-1", "0.5", "inf", "-inf", "x", "nan", "1e308"]));
  }
  if (op !== "diff" && rng.nextInt(3) === 0) argv.push("AGGREGATE", pick(rng, ["SUM", "MIN", "MAX", "min", "avg"]));
  if (!store && rng.nextInt(2) === 0) argv.push("WITHSCORES");
  if (rng.nextInt(30) === 0) argv.push("BOGUS");
  return argv;
}

/** A destination in the same pool family as the sources (so lex keys stay all-zero, small stay small). */
function destOf(rng: Rng, pool: Pool): string {
  // Big results only land in d0/d1 (whose ZSCAN is not compared); strings get small results.
  if (pool === "b") return `d${rng.nextInt(2)}`;
  return rng.nextInt(8) === 0 ? "str" : `z${rng.nextInt(5)}`;
}

function generate(rng: Rng): string[] {
  const pool = anyPool(rng);
  const k = keyOf(rng, pool);
  switch (rng.nextInt(46)) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
      return zaddArgs(rng, pool);
    case 5:
      return zaddArgs(rng, "x");
    case 6:
      return ["ZINCRBY", writeKeyOf(rng, pool === "x" ? "z" : pool), score(rng), pool === "b" ? bigMember(rng) : member(rng)];
    case 7:
      return ["ZREM", k, member(rng), ...(rng.nextInt(2) === 0 ? [member(rng)] : [])];
    case 8:
      return ["ZSCORE", k, member(rng)];
    case 9:
      return ["ZMSCORE", k, member(rng), member(rng)];
    case 10:
      return ["ZCARD", k];
    case 11:
      return ["ZCOUNT", k, scoreBound(rng), scoreBound(rng)];
    case 12:
      return ["ZLEXCOUNT", lexKey(rng), lexBound(rng), lexBound(rng)];
    case 13:
    case 14: {
      const argv = ["ZRANGE", k, rankArg(rng), rankArg(rng)];
      if (rng.nextInt(3) === 0) argv.push("REV");
      if (rng.nextInt(2) === 0) argv.push("WITHSCORES");
      if (rng.nextInt(10) === 0) argv.push(...limit(rng));
      return argv;
    }
    case 15:
    case 16: {
      const rev = rng.nextInt(2) === 0;
      const argv = ["ZRANGE", k, scoreBound(rng), scoreBound(rng), "BYSCORE"];
      if (rev) argv.push("REV");
      if (rng.nextInt(2) === 0) argv.push("WITHSCORES");
      if (rng.nextInt(2) === 0) argv.push(...limit(rng));
      return argv;
    }
    case 17: {
      const argv = ["ZRANGE", lexKey(rng), lexBound(rng), lexBound(rng), "BYLEX"];
      if (rng.nextInt(2) === 0) argv.push("REV");
      if (rng.nextInt(2) === 0) argv.push(...limit(rng));
      if (rng.nextInt(12) === 0) argv.push("WITHSCORES");
      return argv;
    }
    case 18: {
      const kind = pool === "b" ? rng.nextInt(2) : rng.nextInt(3);
      const src = kind === 2 ? lexKey(rng) : keyOf(rng, pool);
      const argv = ["ZRANGESTORE", destOf(rng, pool), src];
      if (kind === 0) argv.push(rankArg(rng), rankArg(rng));
      else if (kind === 1) argv.push(scoreBound(rng), scoreBound(rng), "BYSCORE");
      else argv.push(lexBound(rng), lexBound(rng), "BYLEX");
      if (rng.nextInt(3) === 0) argv.push("REV");
      if (kind > 0 && rng.nextInt(2) === 0) argv.push(...limit(rng));
      if (rng.nextInt(15) === 0) argv.push("WITHSCORES");
      return argv;
    }
    case 19:
      return [pick(rng, ["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]), k, scoreBound(rng), scoreBound(rng), ...(rng.nextInt(2) === 0 ? ["WITHSCORES"] : []), ...(rng.nextInt(2) === 0 ? limit(rng) : [])];
    case 20:
      return [pick(rng, ["ZRANGEBYLEX", "ZREVRANGEBYLEX"]), lexKey(rng), lexBound(rng), lexBound(rng), ...(rng.nextInt(2) === 0 ? limit(rng) : [])];
    case 21:
      return ["ZREVRANGE", k, rankArg(rng), rankArg(rng), ...(rng.nextInt(2) === 0 ? ["WITHSCORES"] : [])];
    case 22:
      return [pick(rng, ["ZRANK", "ZREVRANK"]), k, pool === "b" ? bigMember(rng) : member(rng)];
    case 23:
    case 24:
      return rng.nextInt(3) === 0 ? [pick(rng, ["ZPOPMIN", "ZPOPMAX"]), k] : [pick(rng, ["ZPOPMIN", "ZPOPMAX"]), k, pick(rng, ["0", "1", "2", "5", "-1", "x", "300"])];
    case 25: {
      const n = 1 + rng.nextInt(3);
      const argv = ["ZMPOP", rng.nextInt(15) === 0 ? pick(rng, ["0", "x", "7"]) : String(n)];
      for (let i = 0; i < n; i++) argv.push(keyOf(rng, pool));
      if (rng.nextInt(12) !== 0) argv.push(pick(rng, ["MIN", "MAX", "min", "max", "mid"]));
      if (rng.nextInt(2) === 0) argv.push(pick(rng, ["COUNT", "COUNT", "LIMIT"]), pick(rng, ["1", "2", "10", "0", "-1", "x"]));
      return argv;
    }
    case 26:
      if (rng.nextInt(3) === 0) return ["ZRANDMEMBER", k];
      {
        const withScores = rng.nextInt(2) === 0 ? [pick(rng, ["WITHSCORES", "withscores", "bogus"])] : [];
        // Counts near the int64 ends are range errors, or (on a real set) replies of 2^62
        // elements that redis-server would try to build: only a missing key gets those.
        if (rng.nextInt(5) === 0) {
          return ["ZRANDMEMBER", "missing", pick(rng, ["-9223372036854775808", "9223372036854775807", "-4611686018427387904", "-4611686018427387903", "4611686018427387904", "4611686018427387903"]), ...withScores];
        }
        return ["ZRANDMEMBER", k, pick(rng, ["0", "1", "3", "-3", "100", "-100", "x"]), ...withScores];
      }
    case 27:
      return ["ZREMRANGEBYRANK", k, rankArg(rng), rankArg(rng)];
    case 28:
      return ["ZREMRANGEBYSCORE", k, scoreBound(rng), scoreBound(rng)];
    case 29:
      return ["ZREMRANGEBYLEX", lexKey(rng), lexBound(rng), lexBound(rng)];
    case 30:
    case 31: {
      const op = pick(rng, ["union", "inter", "diff"]);
      return [`Z${op.toUpperCase()}`, ...setOpArgs(rng, op, pool, false, false)];
    }
    case 32:
    case 33: {
      const op = pick(rng, ["union", "inter", "diff"]);
      const srcPool = pool === "x" ? "z" : pool;
      return [`Z${op.toUpperCase()}STORE`, destOf(rng, srcPool), ...setOpArgs(rng, op, srcPool, false, true)];
    }
    case 34:
      return ["ZINTERCARD", ...setOpArgs(rng, "inter", pool, true, false)];
    case 35: {
      // Listpacks are returned whole and in order; other keys get a complete scan in one call,
      // compared as a set of pairs.
      const small = surelyListpack(k);
      const argv = ["ZSCAN", k, small ? pick(rng, ["0", "0", "0", "x", "-1", "3"]) : pick(rng, ["0", "0", "0", "x"])];
      if (rng.nextInt(2) === 0) argv.push("MATCH", pick(rng, ["*", "a*", "m?", "[a-c]*", "*1*"]));
      if (small && rng.nextInt(2) === 0) argv.push("COUNT", pick(rng, ["10", "1000", "0", "x"]));
      if (!small) argv.push("COUNT", "1000000");
      if (rng.nextInt(15) === 0) argv.push("TYPE", "zset");
      return argv;
    }
    case 36:
      return ["OBJECT", "ENCODING", k];
    case 37:
      return ["TYPE", k];
    case 38:
      return rng.nextInt(3) === 0 ? ["EXPIRE", k, "1000"] : rng.nextInt(2) === 0 ? ["TTL", k] : ["DEL", k];
    case 39:
      return ["SET", pick(rng, ["str", k]), member(rng)];
    case 40:
      return ["GET", k];
    case 41:
      return ["SADD", `s${rng.nextInt(2)}`, member(rng), member(rng)];
    case 42:
      return pick(rng, [["ZADD", k, "1"], ["ZINCRBY", k, "1"], ["ZRANGE", k, "0"], ["ZPOPMIN", k, "1", "2"], ["ZMPOP", "1", k], ["ZUNIONSTORE", "d0", "1"], ["ZRANK", k], ["ZSCORE", k]]);
    default:
      return ["ZRANGE", k, "0", "-1", "WITHSCORES"];
  }
}

/** Randomness and hash-table order are not comparable with redis-server; see the header. */
function normalize(argv: readonly string[], reply: RespValue): RespValue {
  const cmd = argv[0].toUpperCase();
  // A TTL read a millisecond apart may round to 1000 or 999 seconds.
  if (cmd === "TTL" && reply.t === "int" && reply.v > 0n) return { t: "int", v: 1n };
  if (cmd === "ZRANDMEMBER" && reply.t === "array") return { t: "int", v: BigInt(reply.v.length) };
  if (cmd === "ZRANDMEMBER" && reply.t === "bulk") return { t: "bulk", v: "(random member)" };
  if (cmd === "ZSCAN" && reply.t === "array" && !surelyListpack(argv[1]) && reply.v[1]?.t === "array") {
    return { t: "array", v: [reply.v[0], sortPairs(reply.v[1])] };
  }
  return reply;
}

test("sorted-set commands match redis-server (RESP2)", async () => {
  const sent = await runDifferential(a, b, { seed: testSeed(), count: 20000, generate, normalize });
  expect(sent).toBe(20000);
});

test("sorted-set commands match redis-server (RESP3)", async () => {
  const sent = await runDifferential(a, b, { seed: testSeed(), count: 10000, generate, normalize, setup: [["HELLO", "3"], ["FLUSHALL"]] });
  expect(sent).toBe(10000);
});

test("sorted-set commands match redis-server with tiny listpack limits (conversions everywhere)", async () => {
  tiny = true;
  const setup = [["FLUSHALL"], ["CONFIG", "SET", "zset-max-listpack-entries", "3"], ["CONFIG", "SET", "zset-max-listpack-value", "2"]];
  try {
    const sent = await runDifferential(a, b, { seed: testSeed(), count: 10000, generate, normalize, setup });
    expect(sent).toBe(10000);
  } finally {
    tiny = false;
    const reset = [["CONFIG", "SET", "zset-max-listpack-entries", "128"], ["CONFIG", "SET", "zset-max-listpack-value", "64"]];
    await Promise.all([a.pipeline(reset), b.pipeline(reset)]);
  }
});
