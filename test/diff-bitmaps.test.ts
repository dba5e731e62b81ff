// The bitmap commands answer exactly as redis-server 7.0 does: SETBIT/GETBIT offsets and
// errors, BITCOUNT and BITPOS with BYTE and BIT ranges (negative, reversed, out of range),
// BITOP, and the order in which Redis checks arguments and types.

import { afterAll, beforeAll, expect, test } from "bun:test";
import type { RespClient } from "../src/client/resp-client.ts";
import type { RespValue } from "../src/resp/reply-parser.ts";
import { pick, runDifferential, testSeed, type Rng } from "./helpers/diff.ts";
import { InProcessNode, runInProcessDifferential } from "./helpers/in-process.ts";
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

function key(rng: Rng): string {
  return `b${rng.nextInt(5)}`;
}

/** Bit offsets: mostly small (bitmaps stay small), plus the limits and invalid ones. */
function offset(rng: Rng): string {
  switch (rng.nextInt(6)) {
    case 0:
      return pick(rng, ["-1", "x", "4294967296", "9223372036854775807", "1.5", "", "01"]);
    case 1:
      return String(rng.nextInt(8));
    default:
      return String(rng.nextInt(200));
  }
}

/** Range ends around the string's length, negative and huge. */
function index(rng: Rng): string {
  switch (rng.nextInt(6)) {
    case 0:
      return pick(rng, ["-9223372036854775808", "9223372036854775807", "x", "-0", "1e2"]);
    case 1:
      return String(-rng.nextInt(40));
    default:
      return String(rng.nextInt(60) - 10);
  }
}

function unit(rng: Rng): string[] {
  switch (rng.nextInt(5)) {
    case 0:
      return [];
    case 1:
      return ["BYTE"];
    case 2:
      return ["bit"];
    case 3:
      return ["BIT"];
    default:
      return [pick(rng, ["BITS", "byte", "x"])];
  }
}

function bitValue(rng: Rng): string {
  return rng.nextInt(8) === 0 ? pick(rng, ["2", "-1", "x", "", "01"]) : String(rng.nextInt(2));
}

/** Byte strings rich in 0x00 and 0xff runs, so BITPOS's skipping is exercised. */
function bytes(rng: Rng): string {
  const len = rng.nextInt(20);
  let s = "";
  for (let i = 0; i < len; i++) s += String.fromCharCode(pick(rng, [0, 0xff, 0xff, 0, rng.nextInt(256), 0x80, 0x01, 0x7f]));
  return s;
}

function generate(rng: Rng): string[] {
  const k = key(rng);
  const r = rng.nextInt(100);
  if (r < 18) return ["SETBIT", k, offset(rng), bitValue(rng)];
  if (r < 26) return ["GETBIT", k, offset(rng)];
  if (r < 34) return ["SET", k, bytes(rng)];
  if (r < 48) {
    const n = rng.nextInt(6);
    if (n === 0) return ["BITCOUNT", k];
    if (n === 1) return ["BITCOUNT", k, index(rng)];
    if (n === 2) return ["BITCOUNT", k, index(rng), index(rng), index(rng)];
    return ["BITCOUNT", k, index(rng), index(rng), ...unit(rng)];
  }
  if (r < 66) {
    const n = rng.nextInt(5);
    const argv = ["BITPOS", k, bitValue(rng)];
    if (n >= 1) argv.push(index(rng));
    if (n >= 2) argv.push(index(rng));
    if (n >= 3) argv.push(...unit(rng));
    if (n === 4 && rng.nextInt(3) === 0) argv.push("extra");
    return argv;
  }
  if (r < 78) {
    const op = pick(rng, ["AND", "OR", "XOR", "NOT", "and", "not", "NAND"]);
    const n = op.toLowerCase() === "not" && rng.nextInt(4) !== 0 ? 1 : 1 + rng.nextInt(3);
    return ["BITOP", op, key(rng), ...Array.from({ length: n }, () => key(rng))];
  }
  if (r < 84) return ["GET", k];
  if (r < 90) return ["OBJECT", "ENCODING", k];
  if (r < 93) return ["STRLEN", k];
  if (r < 96) return ["DEL", k];
  return pick(rng, [["SETBIT", k, "1"], ["GETBIT", k], ["BITCOUNT"], ["BITPOS", k], ["BITOP", "AND", k], ["SET", k, String(rng.nextInt(1000))]]);
}

function normalize(argv: readonly string[], reply: RespValue): RespValue {
  if (argv[0] === "OBJECT" && reply.t === "bulk" && !["int", "embstr", "raw"].includes(reply.v)) return { t: "bulk", v: "<collection>" };
  return reply;
}

test("bitmap commands match redis-server", async () => {
  const sent = await runDifferential(a, b, { seed: testSeed(), count: 6000, generate, normalize });
  expect(sent).toBe(6000);
});

test("bitmap commands in RESP3 match redis-server", async () => {
  await Promise.all([a.call("HELLO", "3"), b.call("HELLO", "3")]);
  try {
    const sent = await runDifferential(a, b, { seed: testSeed(), count: 1000, generate, normalize });
    expect(sent).toBe(1000);
  } finally {
    await Promise.all([a.call("HELLO", "2"), b.call("HELLO", "2")]);
  }
});

test("bitmap commands against a set: WRONGTYPE in Redis's order", async () => {
  const withSets = (rng: Rng): string[] => (rng.nextInt(8) === 0 ? ["SADD", key(rng), "m"] : generate(rng));
  const sent = await runInProcessDifferential(a, new InProcessNode(), { seed: testSeed(), count: 4000, generate: withSets, normalize });
  expect(sent).toBe(4000);
});

test("SETBIT past proto-max-bulk-len is refused, at the limit it is accepted", async () => {
  // Same answers from both at a small limit, so no test builds a 512 MB string.
  for (const c of [a, b]) await c.call("CONFIG", "SET", "proto-max-bulk-len", "1mb");
  try {
    const cmds = [["SETBIT", "big", "8388608", "1"], ["SETBIT", "big", "8388607", "1"], ["STRLEN", "big"], ["GETBIT", "big", "8388608"], ["BITCOUNT", "big"], ["BITPOS", "big", "1"], ["DEL", "big"]];
    const [expected, actual] = await Promise.all([a.pipeline(cmds), b.pipeline(cmds)]);
    expect(actual).toEqual(expected);
  } finally {
    for (const c of [a, b]) await c.call("CONFIG", "SET", "proto-max-bulk-len", "512mb");
  }
});
