// The generic key commands answer exactly as redis-server 7.0 does: DEL/EXISTS/TYPE/KEYS/SCAN,
// RENAME/COPY (TTLs travel with the value), the EXPIRE family with NX/XX/GT/LT, TTL readers,
// PERSIST, OBJECT, DBSIZE and FLUSH*. Times are chosen so that nothing expires by the clock
// during a run (relative TTLs of days or more, absolute ones far in the past or in 2100), so
// replies do not depend on when each server ran a command; TTL values themselves are checked
// with a tolerance in expiry.test.ts.

import { afterAll, beforeAll, expect, test } from "bun:test";
import type { RespClient } from "../src/client/resp-client.ts";
import type { RespValue } from "../src/resp/reply-parser.ts";
import { pick, randomValue, runDifferential, sortReply, testSeed, type Rng } from "./helpers/diff.ts";
import { startRaftis, startRedis, type RunningServer } from "./helpers/processes.ts";
import { waitFor } from "./helpers/wait.ts";

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
  return `k${rng.nextInt(8)}`;
}

function keys(rng: Rng, max: number): string[] {
  return Array.from({ length: 1 + rng.nextInt(max) }, () => key(rng));
}

/** 2100-01-01 in seconds: far enough that no relative TTL of the stream reaches it. */
const future = 4102444800;

/** An EXPIRE-family time argument in the command's unit. */
function expireTime(rng: Rng, absolute: boolean, ms: boolean): string {
  const scale = ms ? 1000 : 1;
  switch (rng.nextInt(8)) {
    case 0:
      return pick(rng, ["0", "-1", "-100", "x", "", "1.5", "9223372036854775807", "-9223372036854775808", "9223372036854775"]);
    case 1:
      // In the past: the key is deleted.
      return String(pick(rng, [1, 1000, 1600000000]) * scale);
    default:
      // Relative: days to months (distinct values, so GT/LT never tie between two servers).
      // Absolute: around 2100.
      return absolute ? String((future + rng.nextInt(1000000)) * scale + (ms ? rng.nextInt(1000) : 0)) : String((100000 + rng.nextInt(10000000)) * scale + (ms ? rng.nextInt(1000) : 0));
  }
}

function expireFlags(rng: Rng): string[] {
  switch (rng.nextInt(8)) {
    case 0:
    case 1:
    case 2:
      return [];
    case 3:
      return [pick(rng, ["NX", "XX", "GT", "LT", "nx", "gt"])];
    case 4:
      return [pick(rng, ["XX", "GT", "LT"]), pick(rng, ["GT", "LT", "XX"])];
    case 5:
      return [pick(rng, ["NX", "GT"]), pick(rng, ["XX", "LT", "GT"])];
    case 6:
      return ["BOGUS"];
    default:
      return [pick(rng, ["NX", "XX"]), pick(rng, ["GT", "LT"]), pick(rng, ["NX", "XX", "GT"])];
  }
}

function copyOptions(rng: Rng): string[] {
  switch (rng.nextInt(7)) {
    case 0:
    case 1:
      return [];
    case 2:
      return ["REPLACE"];
    case 3:
      return ["DB", "0"];
    case 4:
      return ["DB", "0", "REPLACE"];
    case 5:
      return ["DB", pick(rng, ["20", "-1", "x", "16"])];
    default:
      return [pick(rng, ["BOGUS", "DB", "replace"])];
  }
}

function generate(rng: Rng): string[] {
  const k = key(rng);
  const r = rng.nextInt(200);
  if (r < 14) return ["SET", k, randomValue(rng)];
  if (r < 20) return ["SET", k, randomValue(rng), "EX", String(100000 + rng.nextInt(1000000))];
  if (r < 26 && otherTypeMakers.length > 0) return pick(rng, otherTypeMakers)(k, rng);
  if (r < 32) return ["GET", k];
  if (r < 40) return [pick(rng, ["DEL", "UNLINK"]), ...keys(rng, 3)];
  if (r < 46) return ["EXISTS", ...keys(rng, 4)];
  if (r < 50) return ["TOUCH", ...keys(rng, 3)];
  if (r < 56) return ["TYPE", k];
  if (r < 60) return ["KEYS", pick(rng, ["*", "k*", "k[0-3]", "k?", "*1", "[", "\\k1", "k[^0]", "nomatch", "K*"])];
  if (r < 66) {
    const argv = ["SCAN", "0", "COUNT", "1000"];
    if (rng.nextInt(2) === 0) argv.push("MATCH", pick(rng, ["*", "k[1-4]", "k?", "x*"]));
    if (rng.nextInt(3) === 0) argv.push("TYPE", pick(rng, ["string", "STRING", "set", "hash", "none", "foo"]));
    return argv;
  }
  if (r < 70) return pick(rng, [["SCAN", "x"], ["SCAN", "0", "COUNT", "0"], ["SCAN", "0", "MATCH"], ["SCAN", "0", "COUNT", "x"], ["SCAN", "0", "FOO", "bar"], ["SCAN", "1.5"]]);
  if (r < 80) return [pick(rng, ["RENAME", "RENAMENX"]), k, rng.nextInt(6) === 0 ? k : key(rng)];
  if (r < 90) return ["COPY", k, rng.nextInt(8) === 0 ? k : key(rng), ...copyOptions(rng)];
  if (r < 94) return ["RANDOMKEY"];
  if (r < 102) return ["OBJECT", pick(rng, ["ENCODING", "REFCOUNT", "IDLETIME", "FREQ", "encoding"]), k];
  if (r < 104) return pick(rng, [["OBJECT", "HELP"], ["OBJECT", "FOO", k], ["OBJECT", "ENCODING"], ["OBJECT"], ["OBJECT", "help", "x"]]);
  if (r < 134) {
    const [name, absolute, ms] = pick(rng, [["EXPIRE", false, false], ["PEXPIRE", false, true], ["EXPIREAT", true, false], ["PEXPIREAT", true, true]] as const);
    return [name, k, expireTime(rng, absolute, ms), ...expireFlags(rng)];
  }
  if (r < 150) return [pick(rng, ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"]), k];
  if (r < 158) return ["PERSIST", k];
  if (r < 164) return ["DBSIZE"];
  if (r < 165) return [pick(rng, ["FLUSHDB", "FLUSHALL"]), ...pick(rng, [[], ["ASYNC"], ["sync"], ["bogus"], ["SYNC", "ASYNC"]])];
  if (r < 175) return ["MSET", k, randomValue(rng), key(rng), randomValue(rng)];
  if (r < 180) return ["INCR", k];
  // Arity errors.
  return pick(rng, [["DEL"], ["EXISTS"], ["TYPE"], ["TYPE", k, k], ["KEYS"], ["RENAME", k], ["COPY", k], ["EXPIRE", k], ["TTL"], ["PERSIST"], ["DBSIZE", k], ["RANDOMKEY", k], ["TOUCH"], ["SCAN"]]);
}

/** raftis keeps expiry times as JS numbers: exact up to 2^53 ms (the year 287396), rounded beyond. */
const exactMsMax = 2n ** 53n;

/** Relative expiry times depend on each server's clock; absolute ones (2100) are exact. */
function normalize(argv: readonly string[], reply: RespValue): RespValue {
  const name = argv[0];
  if (reply.t === "int" && reply.v >= 0n) {
    if (name === "TTL" || name === "PTTL") return { t: "simple", v: "<ttl>" };
    if (name === "EXPIRETIME" && reply.v >= exactMsMax / 1000n) return { t: "simple", v: "<beyond 2^53 ms>" };
    if (name === "PEXPIRETIME" && reply.v >= exactMsMax) return { t: "simple", v: "<beyond 2^53 ms>" };
    if (name === "EXPIRETIME" && reply.v < BigInt(future)) return { t: "simple", v: "<relative>" };
    if (name === "PEXPIRETIME" && reply.v < BigInt(future) * 1000n) return { t: "simple", v: "<relative>" };
    if (name === "OBJECT" && argv[1].toUpperCase() === "IDLETIME") return { t: "int", v: 0n };
  }
  if (name === "KEYS") return sortReply(reply);
  if (name === "SCAN" && reply.t === "array" && reply.v.length === 2) return { t: "array", v: [reply.v[0], sortReply(reply.v[1])] };
  if (name === "RANDOMKEY" && reply.t === "bulk") return { t: "bulk", v: "<a key>" };
  if (name === "OBJECT" && reply.t === "bulk" && !["int", "embstr", "raw"].includes(reply.v)) return { t: "bulk", v: "<collection>" };
  return reply;
}

test("generic key commands match redis-server", async () => {
  const sent = await runDifferential(a, b, { seed: testSeed(), count: 6000, generate, normalize });
  expect(sent).toBe(6000);
});

test("generic key commands in RESP3 match redis-server", async () => {
  await Promise.all([a.call("HELLO", "3"), b.call("HELLO", "3")]);
  try {
    const sent = await runDifferential(a, b, { seed: testSeed(), count: 1500, generate, normalize });
    expect(sent).toBe(1500);
  } finally {
    await Promise.all([a.call("HELLO", "2"), b.call("HELLO", "2")]);
  }
});

test("generic key commands on sets: types, copies and renames of collections", async () => {
  // Real sets on both servers: TYPE, COPY, RENAME, OBJECT ENCODING of collections compared.
  const withSets = (rng: Rng): string[] => (rng.nextInt(6) === 0 ? ["SADD", key(rng), "m"] : generate(rng));
  const sent = await runDifferential(a, b, { seed: testSeed(), count: 5000, generate: withSets, normalize });
  expect(sent).toBe(5000);
});

test("COPY to another database is refused clearly", async () => {
  await b.call("SET", "src", "v");
  const reply = await b.call("COPY", "src", "dst", "DB", "1");
  expect(reply).toEqual({ t: "error", v: "ERR DB index is out of range" });
  expect(await b.call("EXISTS", "dst")).toEqual({ t: "int", v: 0n });
});

test("a full SCAN with a small COUNT returns every key that stayed, whatever is added meanwhile", async () => {
  await b.call("FLUSHALL");
  const stay: string[] = [];
  for (let i = 0; i < 500; i++) stay.push(`stay:${i}`);
  await b.pipeline(stay.map((k) => ["SET", k, "v"]));
  const seen = new Set<string>();
  let cursor = "0";
  let rounds = 0;
  do {
    const r = await b.call("SCAN", cursor, "COUNT", String(1 + (rounds % 7)));
    if (r.t !== "array" || r.v[0].t !== "bulk" || r.v[1].t !== "array") throw new Error("bad SCAN reply");
    cursor = r.v[0].v;
    for (const item of r.v[1].v) if (item.t === "bulk") seen.add(item.v);
    // Keys come and go during the scan; the ones present throughout must all be returned.
    await b.call("SET", `churn:${rounds}`, "v");
    if (rounds % 3 === 0) await b.call("DEL", `churn:${rounds - 3}`);
    rounds++;
  } while (cursor !== "0" && rounds < 100000);
  for (const k of stay) expect(seen.has(k)).toBe(true);
  const typed = await b.call("SCAN", "0", "COUNT", "100000", "TYPE", "string", "MATCH", "stay:1?");
  expect(typed.t === "array" && typed.v[1].t === "array" ? typed.v[1].v.length : -1).toBe(10);
});

test("RANDOMKEY returns live keys, and only from a non-empty keyspace", async () => {
  await b.call("FLUSHALL");
  expect(await b.call("RANDOMKEY")).toEqual({ t: "null", v: "bulk" });
  await b.pipeline([["SET", "r1", "1"], ["SET", "r2", "2"], ["SET", "r3", "3"], ["SET", "gone", "x", "PX", "1"]]);
  const seen = new Set<string>();
  // Once expired, the key is never returned (even while active expiry has not removed it).
  await waitFor("gone to expire", async () => (await b.call("PTTL", "gone")).v === -2n);
  for (let i = 0; i < 200; i++) {
    const r = await b.call("RANDOMKEY");
    if (r.t === "bulk") seen.add(r.v);
  }
  expect([...seen].sort()).toEqual(["r1", "r2", "r3"]);
});
