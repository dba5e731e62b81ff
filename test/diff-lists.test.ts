// The list commands answer exactly as redis-server 7.0 does, in RESP2 and RESP3: a seeded
// stream of random list commands (valid and invalid arguments, edge indexes, binary elements)
// mixed with strings on the same keys, so WRONGTYPE, missing-key and empty-list paths all run.

import { afterAll, beforeAll, expect, test } from "bun:test";
import type { RespClient } from "../src/client/resp-client.ts";
import type { RespValue } from "../src/resp/reply-parser.ts";
import { pick, randomInt, runDifferential, testSeed, type Rng } from "./helpers/diff.ts";
import { startRaftis, startRedis, type RunningServer } from "./helpers/processes.ts";

let raftis: RunningServer;
let redis: RunningServer;
let a: RespClient;
let b: RespClient;

beforeAll(async () => {
  [raftis, redis] = await Promise.all([startRaftis(), startRedis()]);
  [a, b] = await Promise.all([redis.client(), raftis.client()]);
});

afterAll(async () => {
  a?.close();
  b?.close();
  await Promise.all([raftis?.stop(), redis?.stop()]);
});

/** Mostly list keys, one string key, one key nobody writes. */
function key(rng: Rng): string {
  const k = rng.nextInt(20);
  if (k < 16) return `l${k % 5}`;
  if (k < 19) return "str";
  return "missing";
}

function element(rng: Rng): string {
  switch (rng.nextInt(8)) {
    case 0:
      return "";
    case 1:
      return String.fromCharCode(rng.nextInt(256), rng.nextInt(256));
    case 2:
      return "x".repeat(rng.nextInt(300));
    default:
      return pick(rng, ["a", "b", "c", "d", "1", "-1", "a\x00b"]);
  }
}

function index(rng: Rng): string {
  if (rng.nextInt(12) === 0) {
    return pick(rng, ["9223372036854775807", "-9223372036854775808", "9223372036854775808", "x", "1.5", "", " 1", "+1", "-0", "007"]);
  }
  return String(randomInt(rng, -12, 12));
}

function count(rng: Rng): string {
  if (rng.nextInt(10) === 0) return pick(rng, ["-1", "x", "9223372036854775807", "-9223372036854775808", "", "0"]);
  return String(randomInt(rng, 0, 6));
}

function end(rng: Rng): string {
  return pick(rng, ["LEFT", "RIGHT", "left", "Right", "LEFT", "RIGHT", "up"]);
}

function elements(rng: Rng, n: number): string[] {
  return Array.from({ length: n }, () => element(rng));
}

function generate(rng: Rng): string[] {
  const k = key(rng);
  switch (rng.nextInt(34)) {
    case 0:
    case 1:
    case 2:
      return ["RPUSH", k, ...elements(rng, 1 + rng.nextInt(4))];
    case 3:
    case 4:
      return ["LPUSH", k, ...elements(rng, 1 + rng.nextInt(4))];
    case 5:
      // Big pushes take lists past the small-list thresholds.
      return [pick(rng, ["RPUSH", "LPUSH"]), k, ...elements(rng, 50 + rng.nextInt(150))];
    case 6:
      return [pick(rng, ["LPUSHX", "RPUSHX"]), k, ...elements(rng, 1 + rng.nextInt(3))];
    case 7:
    case 8:
      return rng.nextInt(2) === 0 ? [pick(rng, ["LPOP", "RPOP"]), k] : [pick(rng, ["LPOP", "RPOP"]), k, count(rng)];
    case 9:
      return ["LLEN", k];
    case 10:
    case 11:
      return ["LRANGE", k, index(rng), index(rng)];
    case 12:
      return ["LINDEX", k, index(rng)];
    case 13:
      return ["LSET", k, index(rng), element(rng)];
    case 14:
      return ["LINSERT", k, pick(rng, ["BEFORE", "AFTER", "before", "after", "middle"]), element(rng), element(rng)];
    case 15:
      return ["LREM", k, index(rng), element(rng)];
    case 16:
      return ["LTRIM", k, index(rng), index(rng)];
    case 17:
    case 18: {
      const argv = ["LPOS", k, element(rng)];
      for (let n = rng.nextInt(4); n > 0; n--) {
        const opt = pick(rng, ["RANK", "COUNT", "MAXLEN", "rank", "BOGUS"]);
        argv.push(opt);
        if (rng.nextInt(10) !== 0) argv.push(opt.toUpperCase() === "RANK" ? pick(rng, [index(rng), "0", "-1", "1", "2", "-2"]) : count(rng));
      }
      return argv;
    }
    case 19:
    case 20:
      return ["LMOVE", k, key(rng), end(rng), end(rng)];
    case 21:
      return ["RPOPLPUSH", k, key(rng)];
    case 22:
    case 23: {
      const n = rng.nextInt(4);
      const argv = ["LMPOP", rng.nextInt(10) === 0 ? pick(rng, ["0", "-1", "x", "5"]) : String(n)];
      for (let i = 0; i < n; i++) argv.push(key(rng));
      if (rng.nextInt(12) !== 0) argv.push(end(rng));
      if (rng.nextInt(2) === 0) argv.push(pick(rng, ["COUNT", "count", "COUNT", "LIMIT"]), count(rng));
      if (rng.nextInt(15) === 0) argv.push("COUNT", "1");
      return argv;
    }
    case 24:
      return ["OBJECT", "ENCODING", k];
    case 25:
      return ["TYPE", k];
    case 26:
      return rng.nextInt(3) === 0 ? ["EXPIRE", k, "1000"] : rng.nextInt(2) === 0 ? ["TTL", k] : ["DEL", k];
    case 27:
      return ["SET", pick(rng, ["str", k]), element(rng)];
    case 28:
      return ["GET", k];
    case 29:
      return ["EXISTS", k];
    case 30:
      // Arity errors and stray arguments.
      return pick(rng, [["LPUSH", k], ["LPOP"], ["LPOP", k, "1", "2"], ["LRANGE", k, "0"], ["LINSERT", k, "BEFORE", "a"], ["LMOVE", k, k, "LEFT"], ["LMPOP", "1"], ["LPOS", k]]);
    default:
      return ["LRANGE", k, "0", "-1"];
  }
}

/** A TTL read a millisecond apart may round to 1000 or 999 seconds. */
function normalize(argv: readonly string[], reply: RespValue): RespValue {
  return argv[0] === "TTL" && reply.t === "int" && reply.v > 0n ? { t: "int", v: 1n } : reply;
}

test("list commands match redis-server (RESP2)", async () => {
  const sent = await runDifferential(a, b, { seed: testSeed(), count: 15000, generate, normalize });
  expect(sent).toBe(15000);
});

test("list commands match redis-server (RESP3)", async () => {
  const sent = await runDifferential(a, b, { seed: testSeed(), count: 8000, generate, normalize, setup: [["HELLO", "3"], ["FLUSHALL"]] });
  expect(sent).toBe(8000);
});
