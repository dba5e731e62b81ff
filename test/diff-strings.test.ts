// The string commands answer exactly as redis-server 7.0 does: integer and float arithmetic
// (INCRBYFLOAT in x87 long double), ranges, APPEND/SETRANGE, LCS, MGET/MSET, GETDEL/GETEX,
// OBJECT ENCODING of strings, and WRONGTYPE against keys of other types.

import { afterAll, beforeAll, expect, test } from "bun:test";
import type { RespClient } from "../src/client/resp-client.ts";
import { showReply, type RespValue } from "../src/resp/reply-parser.ts";
import { pick, randomValue, runDifferential, testSeed, type Rng } from "./helpers/diff.ts";
import { startRaftis, startRedis, type RunningServer } from "./helpers/processes.ts";

let raftis: RunningServer;
let redis: RunningServer;
let a: RespClient;
let b: RespClient;
/** Commands that make a non-string key, among those raftis has today. */
let otherTypeMakers: ((key: string, rng: Rng) => string[])[] = [];

const candidates: [string, (key: string, rng: Rng) => string[]][] = [
  ["sadd", (key, rng) => ["SADD", key, pick(rng, ["m1", "m2", "3"])]],
  ["hset", (key, rng) => ["HSET", key, pick(rng, ["f1", "f2"]), pick(rng, ["v", "1"])]],
  ["rpush", (key, rng) => ["RPUSH", key, pick(rng, ["x", "y"])]],
  ["zadd", (key, rng) => ["ZADD", key, pick(rng, ["1", "2.5"]), pick(rng, ["m1", "m2"])]],
];

beforeAll(async () => {
  [raftis, redis] = await Promise.all([startRaftis(), startRedis()]);
  [a, b] = await Promise.all([redis.client(), raftis.client()]);
  const info = await b.call("COMMAND", "INFO", ...candidates.map(([name]) => name));
  if (info.t === "array") otherTypeMakers = candidates.filter((_, i) => info.v[i].t === "array").map(([, make]) => make);
});

afterAll(async () => {
  a?.close();
  b?.close();
  await Promise.all([raftis?.stop(), redis?.stop()]);
});

function key(rng: Rng): string {
  return `s${rng.nextInt(6)}`;
}

/** Integers around the int64 edges and a few that are not integers at all. */
function intArg(rng: Rng): string {
  switch (rng.nextInt(4)) {
    case 0:
      return String(rng.nextInt(200) - 100);
    case 1:
      return pick(rng, ["9223372036854775807", "-9223372036854775808", "9223372036854775806", "-9223372036854775807", "4611686018427387904", "9007199254740993"]);
    case 2:
      return pick(rng, ["9223372036854775808", "-9223372036854775809", "1.5", "", " 1", "+1", "01", "-0", "abc", "1e3"]);
    default:
      return String(rng.nextInt(2000000) - 1000000);
  }
}

/** Decimal digits, as many as asked. */
function digits(rng: Rng, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String(rng.nextInt(10));
  return s;
}

/** Float arguments: plain, long, exponents, hex floats, huge and tiny, and invalid ones. */
function floatArg(rng: Rng): string {
  const sign = rng.nextInt(3) === 0 ? "-" : "";
  switch (rng.nextInt(9)) {
    case 0:
      return pick(rng, ["0.1", "0.2", "0.3", "1.1", "-0.1", "3.0", "10.5", "0", "-0", "1", "-1", "0.5", "2.5e-3"]);
    case 1:
      return `${sign}${digits(rng, 1 + rng.nextInt(4))}.${digits(rng, 1 + rng.nextInt(20))}`;
    case 2:
      return `${sign}${1 + rng.nextInt(9)}e${rng.nextInt(80) - 40}`;
    case 3:
      return pick(rng, ["1e300", "-1e300", "1e4000", "1.18973149535723176502e4932", "1e4933", "1e-4950", "1e-5000", "5e-18", "1.5e-17"]);
    case 4:
      return pick(rng, ["inf", "-inf", "+inf", "Infinity", "nan", "1e", "1.2.3", " 1", "1 ", "", "abc", "0x1p-3", "0X1.8P1", "0x", ".5", "5.", "+.5e1"]);
    case 5:
      return `${sign}0.${digits(rng, 1 + rng.nextInt(25))}`;
    case 6:
      return String(rng.nextInt(2000) - 1000);
    case 7:
      return `${sign}${digits(rng, 10 + rng.nextInt(25))}`;
    default:
      return `${sign}${rng.nextInt(1000) / 8}`;
  }
}

function value(rng: Rng): string {
  switch (rng.nextInt(4)) {
    case 0:
      return floatArg(rng);
    case 1:
      return intArg(rng);
    default:
      return randomValue(rng);
  }
}

function getexOptions(rng: Rng): string[] {
  switch (rng.nextInt(10)) {
    case 0:
      return [];
    case 1:
      return ["PERSIST"];
    case 2:
      return ["EX", pick(rng, ["100000", "0", "-1", "x", "9223372036854775807"])];
    case 3:
      return ["PX", pick(rng, ["100000000", "0", "9223372036854775807"])];
    case 4:
      return ["EXAT", pick(rng, ["4102444800", "1", "1000"])];
    case 5:
      return ["PXAT", pick(rng, ["4102444800000", "1", "1000"])];
    case 6:
      return [pick(rng, ["EX", "PERSIST", "NX", "KEEPTTL", "GET"]), pick(rng, ["100", "PERSIST", "EX"])];
    case 7:
      return ["EX", "100000", "PX", "100000"];
    case 8:
      return ["ex"];
    default:
      return ["PERSIST", "PERSIST"];
  }
}

function lcsOptions(rng: Rng): string[] {
  const out: string[] = [];
  const n = rng.nextInt(4);
  for (let i = 0; i < n; i++) {
    const opt = pick(rng, ["LEN", "IDX", "WITHMATCHLEN", "MINMATCHLEN", "idx", "BOGUS"]);
    out.push(opt);
    if (opt === "MINMATCHLEN" && rng.nextInt(6) !== 0) out.push(pick(rng, ["0", "1", "2", "3", "-1", "x", "100"]));
  }
  return out;
}

/** A random LCS-friendly value: short strings over a small alphabet. */
function lcsValue(rng: Rng): string {
  const len = rng.nextInt(24);
  let s = "";
  for (let i = 0; i < len; i++) s += "abcd"[rng.nextInt(4)];
  return s;
}

function generate(rng: Rng): string[] {
  const k = key(rng);
  const r = rng.nextInt(100);
  if (r < 6) return ["SET", k, value(rng)];
  if (r < 9) return ["GET", k];
  if (r < 12 && otherTypeMakers.length > 0) return pick(rng, otherTypeMakers)(k, rng);
  if (r < 15) return ["GETDEL", k];
  if (r < 19) return ["GETEX", k, ...getexOptions(rng)];
  if (r < 22) return ["MGET", k, key(rng), key(rng)];
  if (r < 25) return ["MSET", k, value(rng), ...(rng.nextInt(2) ? [key(rng), value(rng)] : rng.nextInt(4) === 0 ? [key(rng)] : [])];
  if (r < 27) return ["MSETNX", k, value(rng), ...(rng.nextInt(2) ? [key(rng), value(rng)] : rng.nextInt(4) === 0 ? [key(rng)] : [])];
  if (r < 32) return [pick(rng, ["INCR", "DECR"]), k];
  if (r < 38) return [pick(rng, ["INCRBY", "DECRBY"]), k, intArg(rng)];
  if (r < 52) return ["INCRBYFLOAT", k, floatArg(rng)];
  if (r < 57) return ["APPEND", k, pick(rng, ["", "x", "12", "\x00\xff", "abc"])];
  if (r < 60) return ["STRLEN", k];
  if (r < 66) return [pick(rng, ["GETRANGE", "SUBSTR"]), k, pick(rng, ["0", "1", "-1", "-3", "5", "-100", "100", "x", "-9223372036854775808"]), pick(rng, ["0", "-1", "2", "-2", "10", "-100", "9223372036854775807", "y"])];
  if (r < 72) return ["SETRANGE", k, pick(rng, ["0", "1", "3", "10", "100", "-1", "x", "536870912", "9223372036854775807"]), pick(rng, ["", "a", "xyz", "\x00", "123"])];
  if (r < 76) return ["SET", k, lcsValue(rng)];
  if (r < 82) return ["LCS", k, key(rng), ...lcsOptions(rng)];
  if (r < 88) return ["OBJECT", "ENCODING", k];
  if (r < 90) return ["OBJECT", "REFCOUNT", k];
  if (r < 92) return ["SET", k, pick(rng, ["0", "9999", "10000", "-1", "x".repeat(44), "x".repeat(45), "1".repeat(20), "1".repeat(21)])];
  // Arity errors and odd shapes.
  return pick(rng, [["INCR"], ["INCRBY", k], ["MSET", k], ["MSETNX", k, "v", k], ["GETRANGE", k, "0"], ["LCS", k], ["APPEND", k], ["GETDEL", k, k], ["STRLEN"], ["SETRANGE", k, "0"], ["DECRBY", k, "-9223372036854775808"]]);
}

/** Collection encodings belong to other families' tests; here only string encodings count. */
function normalize(argv: readonly string[], reply: RespValue): RespValue {
  if (argv[0] === "OBJECT" && argv[1] === "ENCODING" && reply.t === "bulk" && !["int", "embstr", "raw"].includes(reply.v)) {
    return { t: "bulk", v: "<collection>" };
  }
  return reply;
}

test("string commands match redis-server", async () => {
  const sent = await runDifferential(a, b, { seed: testSeed(), count: 6000, generate, normalize });
  expect(sent).toBe(6000);
});

/** INCRBYFLOAT chains on a few keys: the long double rounding must agree step after step. */
function generateFloat(rng: Rng): string[] {
  const k = `f${rng.nextInt(3)}`;
  switch (rng.nextInt(10)) {
    case 0:
      return ["SET", k, floatArg(rng)];
    case 1:
      return ["GET", k];
    case 2:
      return ["INCRBY", k, String(rng.nextInt(20) - 10)];
    case 3:
      return ["APPEND", k, pick(rng, ["1", "0", "e3"])];
    default:
      return ["INCRBYFLOAT", k, floatArg(rng)];
  }
}

test("INCRBYFLOAT chains match redis-server", async () => {
  const sent = await runDifferential(a, b, { seed: testSeed(), count: 8000, generate: generateFloat });
  expect(sent).toBe(8000);
});

test("RESP3 replies of string commands match redis-server", async () => {
  await Promise.all([a.call("HELLO", "3"), b.call("HELLO", "3")]);
  try {
    const sent = await runDifferential(a, b, { seed: testSeed(), count: 1500, generate, normalize });
    expect(sent).toBe(1500);
  } finally {
    await Promise.all([a.call("HELLO", "2"), b.call("HELLO", "2")]);
  }
});

test("WRONGTYPE and argument checks in Redis's order, against a set", async () => {
  // SADD makes real sets on both servers, so string commands meet them on the same keys.
  const withSets = (rng: Rng): string[] => (rng.nextInt(8) === 0 ? ["SADD", key(rng), "m"] : generate(rng));
  const sent = await runDifferential(a, b, { seed: testSeed(), count: 4000, generate: withSets, normalize });
  expect(sent).toBe(4000);
});

test("size limits follow proto-max-bulk-len: SETRANGE, APPEND and LCS's table", async () => {
  // At a 1 MB limit both servers refuse the same things, and no test builds a 512 MB string.
  for (const c of [a, b]) await c.call("CONFIG", "SET", "proto-max-bulk-len", "1mb");
  try {
    const long = "ab".repeat(300);
    const cmds = [
      ["SETRANGE", "big", "1048576", "x"],
      ["SETRANGE", "big", "1048575", "x"],
      ["STRLEN", "big"],
      ["APPEND", "big", "y"],
      ["APPEND", "big", ""],
      ["SETRANGE", "big", "1048575", "xy"],
      ["SETRANGE", "big", "9223372036854775807", ""],
      ["SETRANGE", "none", "9223372036854775807", "x"],
      ["SETRANGE", "none", "9223372036854775807", ""],
      ["GETRANGE", "big", "-3", "-1"],
      ["SET", "l1", long],
      ["SET", "l2", long],
      ["LCS", "l1", "l2", "LEN"],
      ["LCS", "l1", "big", "LEN"],
      ["SET", "l2", "ba".repeat(200)],
      ["LCS", "l1", "l2", "LEN"],
      ["DEL", "big", "l1", "l2"],
    ];
    const [expected, actual] = await Promise.all([a.pipeline(cmds), b.pipeline(cmds)]);
    expect(actual.map(showReply)).toEqual(expected.map(showReply));
  } finally {
    for (const c of [a, b]) await c.call("CONFIG", "SET", "proto-max-bulk-len", "512mb");
  }
});
