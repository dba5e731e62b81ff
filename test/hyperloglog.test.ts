// HyperLogLog against redis-server: PFADD/PFCOUNT/PFMERGE replies and the stored bytes (GET)
// must be identical, through sparse→dense promotion, merges of mixed encodings, large
// cardinalities, corrupted values and a random command stream in RESP2 and RESP3.

import { afterAll, beforeAll, expect, test } from "bun:test";
import type { RespClient } from "../src/client/resp-client.ts";
import type { RespValue } from "../src/resp/reply-parser.ts";
import { Rng, pick, randomKey, runDifferential, sameReply, showCommand, testSeed } from "./helpers/diff.ts";
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

/** Sends the same pipeline to both servers and requires identical replies. */
async function same(cmds: string[][], context: string): Promise<RespValue[]> {
  const [expected, actual] = await Promise.all([a.pipeline(cmds), b.pipeline(cmds)]);
  for (let i = 0; i < cmds.length; i++) {
    if (!sameReply(expected[i], actual[i])) {
      const show = (v: RespValue): string => JSON.stringify(v, (_, x) => (typeof x === "bigint" ? String(x) : x)).slice(0, 300);
      throw new Error(`${context}: ${showCommand(cmds[i]).slice(0, 120)}\n  redis:  ${show(expected[i])}\n  raftis: ${show(actual[i])}`);
    }
  }
  return expected;
}

function bulkText(v: RespValue): string {
  if (v.t !== "bulk") throw new Error(`expected a bulk string, got ${v.t}`);
  return v.v;
}

function intValue(v: RespValue): number {
  if (v.t !== "int") throw new Error(`expected an integer, got ${v.t}`);
  return Number(v.v);
}

test("an empty HLL, a few elements, the cache after PFCOUNT and the raw encoding are Redis's bytes", async () => {
  await same(
    [
      ["FLUSHALL"],
      ["PFADD", "h"],
      ["GET", "h"],
      ["OBJECT", "ENCODING", "h"],
      ["PFADD", "h", "a", "b", "c"],
      ["PFADD", "h", "a", "b", "c"],
      ["GET", "h"],
      ["PFCOUNT", "h"],
      ["GET", "h"],
      ["PFCOUNT", "h"],
      ["PFCOUNT", "nokey"],
      ["PFCOUNT", "nokey", "h"],
      ["PFADD", "h", ""],
      ["PFDEBUG", "DECODE", "h"],
      ["PFDEBUG", "ENCODING", "h"],
      ["PFDEBUG", "GETREG", "nokey"],
      ["PFDEBUG", "NOPE", "h"],
      ["SET", "copy", "x"],
      ["SET", "copy", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"],
      ["OBJECT", "ENCODING", "copy"],
      ["PFCOUNT", "copy"],
      ["OBJECT", "ENCODING", "copy"],
      ["PFDEBUG", "GETREG", "h"],
      ["PFDEBUG", "ENCODING", "h"],
      ["GET", "h"],
      ["PFDEBUG", "TODENSE", "h"],
      ["PFDEBUG", "DECODE", "h"],
    ],
    "basics",
  );
});

test("sparse → dense promotion, one element at a time: every reply, length and the bytes match", async () => {
  const seed = testSeed();
  const rng = new Rng(seed);
  await same([["FLUSHALL"]], "flush");
  // Several keys, so that promotions land on every way of crossing hll-sparse-max-bytes
  // (an opcode split growing the data by 1, 2 or 3 bytes, or a register value above 32).
  const keys = 8;
  const promotedAt: number[] = [];
  for (let k = 0; k < keys; k++) {
    const key = `p${k}`;
    const element = (n: number): string => `el:${rng.nextU32()}:${k}:${n}`;
    // Up to 1200 elements in bulk (the same register updates, in the same order, as one
    // element per command), then one per command with its length, until dense and beyond.
    const bulk: string[][] = [];
    for (let n = 0; n < 1200; n += 100) bulk.push(["PFADD", key, ...Array.from({ length: 100 }, (_, i) => element(n + i))]);
    bulk.push(["GET", key]);
    await same(bulk, `promotion (seed ${seed}, key ${k}, bulk)`);
    let added = 1200;
    let dense = false;
    while (!dense) {
      const cmds: string[][] = [];
      for (let i = 0; i < 100; i++) cmds.push(["PFADD", key, element(added + i)], ["STRLEN", key]);
      cmds.push(["GET", key], ["PFCOUNT", key], ["GET", key]);
      const replies = await same(cmds, `promotion (seed ${seed}, key ${k}, after ${added})`);
      for (let i = 0; i < 100 && !dense; i++) {
        if (intValue(replies[2 * i + 1]) === 16 + 12288) {
          dense = true;
          promotedAt.push(added + i + 1);
        }
      }
      added += 100;
    }
  }
  // hll-sparse-max-bytes is 3000: sparse HLLs hold some two thousand elements.
  for (const n of promotedAt) expect(n).toBeGreaterThan(1000);
});

test("100k elements: identical bytes and count, within 0.81% of the truth", async () => {
  await same([["FLUSHALL"]], "flush");
  const total = 100_000;
  const perCommand = 1000;
  for (let start = 0; start < total; start += perCommand * 10) {
    const cmds: string[][] = [];
    for (let c = start; c < start + perCommand * 10; c += perCommand) {
      const elements = Array.from({ length: perCommand }, (_, i) => `member:${c + i}`);
      cmds.push(["PFADD", "big", ...elements]);
    }
    await same(cmds, `bulk add from ${start}`);
  }
  const [card, bytes] = await same(
    [
      ["PFCOUNT", "big"],
      ["GET", "big"],
    ],
    "100k count",
  );
  const estimate = intValue(card);
  expect(Math.abs(estimate - total) / total).toBeLessThan(0.0081);
  expect(bulkText(bytes).length).toBe(16 + 12288);
  // The union with a second large set, in both directions of PFMERGE and multi-key PFCOUNT.
  const cmds: string[][] = [];
  for (let c = 50_000; c < 150_000; c += perCommand) {
    cmds.push(["PFADD", "big2", ...Array.from({ length: perCommand }, (_, i) => `member:${c + i}`)]);
  }
  await same(cmds, "second set");
  const [union] = await same(
    [
      ["PFCOUNT", "big", "big2"],
      ["PFMERGE", "u", "big", "big2"],
      ["PFCOUNT", "u"],
      ["GET", "u"],
      ["PFMERGE", "big2", "big"],
      ["GET", "big2"],
    ],
    "union",
  );
  expect(Math.abs(intValue(union) - 150_000) / 150_000).toBeLessThan(0.0081 * 3);
});

test("PFMERGE of sparse and dense inputs into new, sparse and dense destinations", async () => {
  const seed = testSeed();
  const rng = new Rng(seed);
  const sizes = [0, 1, 3, 50, 400, 1500, 3000, 6000];
  const setup: string[][] = [["FLUSHALL"]];
  for (const n of sizes) {
    setup.push(["PFADD", `s${n}`]);
    for (let i = 0; i < n; i += 200) {
      setup.push(["PFADD", `s${n}`, ...Array.from({ length: Math.min(200, n - i) }, () => `v${rng.nextU32()}`)]);
    }
  }
  await same(setup, `merge setup (seed ${seed})`);
  for (let round = 0; round < 60; round++) {
    const k = 1 + rng.nextInt(3);
    const sources = Array.from({ length: k }, () => `s${pick(rng, sizes)}`);
    const dest = rng.nextInt(3) === 0 ? `s${pick(rng, sizes)}` : `d${round}`;
    await same(
      [
        ["PFMERGE", dest, ...sources],
        ["GET", dest],
        ["PFCOUNT", dest],
        ["PFCOUNT", ...sources, dest],
        ["PFDEBUG", "ENCODING", dest],
      ],
      `merge round ${round} (seed ${seed})`,
    );
  }
});

test("corrupted and foreign values: the same errors, no crash", async () => {
  const corrupt: string[][] = [
    ["FLUSHALL"],
    ["PFADD", "hll", "a", "b", "c"],
    ["APPEND", "hll", "hello"],
    ["PFCOUNT", "hll"],
    ["PFADD", "hll", "zz"],
    ["PFCOUNT", "hll", "hll"],
    ["PFMERGE", "x", "hll"],
    ["DEL", "hll"],
    ["PFADD", "hll", "a", "b", "c"],
    ["SETRANGE", "hll", "0", "0123"],
    ["PFCOUNT", "hll"],
    ["DEL", "hll"],
    ["PFADD", "hll", "a", "b", "c"],
    ["SETRANGE", "hll", "4", "x"],
    ["PFCOUNT", "hll"],
    ["DEL", "hll"],
    ["PFADD", "hll", "a", "b", "c"],
    ["SETRANGE", "hll", "4", "\x00"],
    ["PFCOUNT", "hll"],
    ["PFADD", "str", "a"],
    ["SET", "str", "HYLL"],
    ["PFADD", "str", "a"],
    ["SET", "num", "12345678901234567"],
    ["PFCOUNT", "num"],
    ["HSET", "hash", "f", "v"],
    ["PFADD", "hash", "a"],
    ["PFCOUNT", "hash"],
    ["PFCOUNT", "nokey", "hash"],
    ["PFMERGE", "hash", "nokey"],
    ["PFMERGE", "nokey2", "hash"],
    ["PFDEBUG", "GETREG", "hash"],
    // A valid-looking cache is trusted, as Redis does.
    ["SET", "cached", "HYLL\x01\x00\x00\x00\x39\x30\x00\x00\x00\x00\x00\x00\x7f\xff"],
    ["PFCOUNT", "cached"],
    ["PFCOUNT", "cached", "nokey"],
    // Sparse opcodes covering too many registers.
    ["SET", "over", "HYLL\x01\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x80"],
    ["PFCOUNT", "over"],
    ["PFCOUNT", "over", "nokey"],
    ["PFMERGE", "m", "over"],
    ["PFDEBUG", "TODENSE", "over"],
    ["PFDEBUG", "DECODE", "over"],
    // A dense HLL whose registers hold values the sparse form cannot.
    ["SET", "wide", `HYLL\x00\x00\x00\x00\x00\x00\x00\x80${"\xff".repeat(12288)}`],
    ["PFCOUNT", "wide"],
    ["PFCOUNT", "wide", "nokey"],
    ["PFMERGE", "w2", "wide"],
    ["GET", "w2"],
  ];
  await same(corrupt, "corruption");
});

test("random fuzzing of HLL bytes: same replies as Redis", async () => {
  const seed = testSeed();
  const rng = new Rng(seed);
  for (let round = 0; round < 150; round++) {
    const n = pick(rng, [3, 30, 300, 3000]);
    const setup: string[][] = [["DEL", "f"], ["PFADD", "f", ...Array.from({ length: n }, (_, i) => `${round}.${i}`)]];
    if (rng.nextInt(2) === 0) setup.push(["PFDEBUG", "TODENSE", "f"]);
    await same(setup, `fuzz setup (seed ${seed})`);
    const strlen = intValue(await a.call("STRLEN", "f"));
    const cmds: string[][] = [];
    const edits = 1 + rng.nextInt(4);
    for (let e = 0; e < edits; e++) {
      // Leave the header alone half of the time, so the opcodes themselves get corrupted.
      const at = rng.nextInt(2) === 0 ? 16 + rng.nextInt(Math.max(1, strlen - 16)) : rng.nextInt(strlen);
      cmds.push(["SETRANGE", "f", String(at), String.fromCharCode(rng.nextInt(256))]);
    }
    cmds.push(["PFCOUNT", "f"], ["PFADD", "f", `x${rng.nextU32()}`, `y${rng.nextU32()}`], ["PFCOUNT", "f", "nokey"], ["PFMERGE", "g", "f"], ["GET", "f"]);
    await same(cmds, `fuzz round ${round} (seed ${seed})`);
  }
});

/** A random HLL command stream, mixed with string and hash commands on the same keys. */
function generate(rng: Rng): string[] {
  const key = randomKey(rng, 6, "p");
  const element = (): string => `e${rng.nextInt(rng.nextInt(2) === 0 ? 50 : 5000)}`;
  const elements = (): string[] => Array.from({ length: rng.nextInt(6) }, element);
  const keys = (): string[] => Array.from({ length: 1 + rng.nextInt(3) }, () => randomKey(rng, 6, "p"));
  switch (rng.nextInt(16)) {
    case 0:
    case 1:
    case 2:
    case 3:
      return ["PFADD", key, ...elements()];
    case 4:
      return ["PFADD", key, ...Array.from({ length: 200 }, element)];
    case 5:
    case 6:
      return ["PFCOUNT", ...keys()];
    case 7:
      return ["PFMERGE", key, ...keys()];
    case 8:
    case 9:
      return ["GET", key];
    case 10:
      return ["SET", key, pick(rng, ["x", "HYLL", "12345"])];
    case 11:
      return ["DEL", key];
    case 12:
      return pick(rng, [["HSET", key, "f", "v"], ["EXPIRE", key, "10000"], ["PERSIST", key], ["OBJECT", "ENCODING", key]]);
    case 13:
      return ["PFDEBUG", pick(rng, ["ENCODING", "DECODE", "TODENSE", "GETREG"]), key];
    case 14:
      return ["STRLEN", key];
    default:
      return pick(rng, [["PFADD"], ["PFCOUNT"], ["PFMERGE"], ["PFDEBUG", "GETREG"], ["PFSELFTEST", "x"]]);
  }
}

test("random PFADD/PFCOUNT/PFMERGE/GET stream matches redis-server (RESP2, then RESP3)", async () => {
  const seed = testSeed();
  const count = 4000;
  expect(await runDifferential(a, b, { seed, count, generate })).toBe(count);
  await Promise.all([a.call("HELLO", "3"), b.call("HELLO", "3")]);
  try {
    expect(await runDifferential(a, b, { seed: seed + 1, count, generate })).toBe(count);
  } finally {
    await Promise.all([a.call("HELLO", "2"), b.call("HELLO", "2")]);
  }
});

test("PFSELFTEST passes", async () => {
  const r = await b.call("PFSELFTEST");
  expect(r).toEqual({ t: "simple", v: "OK" });
});
