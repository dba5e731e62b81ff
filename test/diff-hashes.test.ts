// Hashes answer exactly as redis-server 7.0: a seeded random stream of every hash command,
// mixed with strings on the same keys (WRONGTYPE paths), in RESP2 and RESP3, with Redis's
// default encoding thresholds and with tiny ones (so listpack→hashtable conversions happen all
// the time). Listpack hashes must answer in Redis's order; hash tables are compared sorted.
// Random commands (HRANDFIELD) and HSCAN's cursor are checked by their properties.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RespClient } from "../src/client/resp-client.ts";
import type { RespValue } from "../src/resp/reply-parser.ts";
import { Rng, pick, randomKey, randomValue, runDifferential, sortPairs, sortReply, testSeed } from "./helpers/diff.ts";
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

function field(rng: Rng): string {
  switch (rng.nextInt(12)) {
    case 0:
      return randomValue(rng);
    case 1:
      return "F".repeat(1 + rng.nextInt(80)); // sometimes past hash-max-listpack-value
    default:
      return `f${rng.nextInt(14)}`;
  }
}

function numberText(rng: Rng): string {
  return pick(rng, [
    String(rng.nextInt(200) - 100),
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775806",
    "1.5",
    "-0.1",
    "3e2",
    "1e308",
    "-1e308",
    "1e4000",
    "inf",
    "-inf",
    "nan",
    "abc",
    "",
    " 1",
    "0x10",
    "007",
  ]);
}

/**
 * Commands whose order depends on the encoding are sent right after `OBJECT ENCODING key`:
 * the normalizer remembers that answer and compares listpack replies exactly.
 */
let queued: string[][] = [];
let lastEncoding = "";

function generate(rng: Rng): string[] {
  const next = queued.shift();
  if (next !== undefined) return next;
  const key = randomKey(rng, 5, "h");
  const pairs = (n: number): string[] => Array.from({ length: n }, () => [field(rng), rng.nextInt(3) === 0 ? numberText(rng) : randomValue(rng)]).flat();
  const ordered = (cmd: string[]): string[] => {
    queued.push(cmd);
    return ["OBJECT", "ENCODING", key];
  };
  switch (rng.nextInt(30)) {
    case 0:
    case 1:
    case 2:
    case 3:
      return ["HSET", key, ...pairs(1 + rng.nextInt(4))];
    case 4:
      return ["HMSET", key, ...pairs(1 + rng.nextInt(3))];
    case 5:
      return ["HSETNX", key, field(rng), randomValue(rng)];
    case 6:
      return ["HGET", key, field(rng)];
    case 7:
      return ["HMGET", key, field(rng), field(rng), field(rng)];
    case 8:
    case 9:
      return ["HDEL", key, ...Array.from({ length: 1 + rng.nextInt(3) }, () => field(rng))];
    case 10:
      return pick(rng, [["HLEN", key], ["HSTRLEN", key, field(rng)], ["HEXISTS", key, field(rng)]]);
    case 11:
      return ordered(["HGETALL", key]);
    case 12:
      return ordered([pick(rng, ["HKEYS", "HVALS"]), key]);
    case 13:
    case 14:
      return ["HINCRBY", key, field(rng), numberText(rng)];
    case 15:
    case 16:
      return ["HINCRBYFLOAT", key, field(rng), numberText(rng)];
    case 17:
      // Asking for more than the hash holds returns it whole: deterministic.
      return ordered(["HRANDFIELD", key, pick(rng, ["1000", "600"]), ...(rng.nextInt(2) === 0 ? ["WITHVALUES"] : [])]);
    case 18:
      return pick(rng, [
        ["HRANDFIELD", key],
        ["HRANDFIELD", key, String(rng.nextInt(7) - 3)],
        ["HRANDFIELD", key, String(rng.nextInt(7) - 3), "WITHVALUES"],
        ["HRANDFIELD", key, "1", "WITHSCORES"],
        ["HRANDFIELD", key, "x"],
        ["HRANDFIELD", key, "-9223372036854775808"],
        ["HRANDFIELD", key, "4611686018427387904", "WITHVALUES"],
        ["HRANDFIELD", key, "-4611686018427387904", "withvalues"],
        ["HRANDFIELD", key, "1", "WITHVALUES", "x"],
      ]);
    case 19:
      return ordered(["HSCAN", key, "0", ...pick(rng, [[], ["COUNT", "10000"], ["MATCH", "f1*", "COUNT", "10000"], ["MATCH", "*"]])]);
    case 20:
      return ordered(pick(rng, [
        ["HSCAN", key, "x"],
        ["HSCAN", key, "0", "COUNT", "0"],
        ["HSCAN", key, "0", "COUNT", "x"],
        ["HSCAN", key, "0", "MATCH"],
        ["HSCAN", key, "0", "TYPE", "hash"],
        ["HSCAN", key, "-1"],
      ]));
    case 21:
      return ["SET", key, randomValue(rng)];
    case 22:
      return pick(rng, [["GET", key], ["TYPE", key], ["DEL", key], ["EXISTS", key]]);
    case 23:
      return ["OBJECT", "ENCODING", key];
    case 24:
      return pick(rng, [["HSET", key, "f"], ["HMSET", key, "a", "b", "c"], ["HSET", key], ["HGET", key], ["HSETNX", key, "f"], ["HINCRBY", key, "f"], ["HDEL", key]]);
    case 25:
      return ["COPY", key, randomKey(rng, 5, "h"), ...(rng.nextInt(2) === 0 ? ["REPLACE"] : [])];
    case 26:
      return ["EXPIRE", key, pick(rng, ["100", "0"])];
    case 27:
      return ["HSET", key, ...pairs(10 + rng.nextInt(10))];
    default:
      return ["HGET", key, field(rng)];
  }
}

/** Every bulk string becomes "?": keeps a random reply's shape (lengths, nesting) only. */
function shape(v: RespValue): RespValue {
  switch (v.t) {
    case "bulk":
      return { t: "bulk", v: "?" };
    case "array":
    case "set":
      return { t: v.t, v: v.v.map(shape) };
    default:
      return v;
  }
}

function normalize(argv: readonly string[], reply: RespValue): RespValue {
  const cmd = argv[0].toUpperCase();
  if (cmd === "OBJECT") lastEncoding = reply.t === "bulk" ? reply.v : "";
  if (reply.t === "error") return reply;
  const exact = lastEncoding === "listpack";
  switch (cmd) {
    case "HGETALL":
      return exact ? reply : reply.t === "map" ? sortReply(reply) : sortPairs(reply);
    case "HKEYS":
    case "HVALS":
      return exact ? reply : sortReply(reply);
    case "HRANDFIELD": {
      const count = argv.length >= 3 ? Number(argv[2]) : 0;
      if (count < 600) return shape(reply);
      if (exact) return reply;
      // The whole hash: sort its fields (pairs when WITHVALUES: nested in RESP3, flat in RESP2).
      if (reply.t === "array" && argv.length === 4 && reply.v[0]?.t !== "array") return sortPairs(reply);
      return sortReply(reply);
    }
    case "HSCAN": {
      if (exact || reply.t !== "array") return reply;
      const [cursor, items] = reply.v;
      // A page of a hash table: which fields a cursor covers is the table's business.
      if (!argv.includes("10000")) return { t: "simple", v: "a hash table page" };
      return { t: "array", v: [cursor, sortPairs(items)] };
    }
    default:
      return reply;
  }
}

async function bothConfig(...args: string[]): Promise<void> {
  const [x, y] = await Promise.all([a.call("CONFIG", "SET", ...args), b.call("CONFIG", "SET", ...args)]);
  expect(x).toEqual({ t: "simple", v: "OK" });
  expect(y).toEqual({ t: "simple", v: "OK" });
}

async function diffRun(seed: number, count: number): Promise<void> {
  queued = [];
  lastEncoding = "";
  expect(await runDifferential(a, b, { seed, count, generate, normalize })).toBe(count);
}

describe("hash commands match redis-server", () => {
  const count = 8000;

  test("default encoding thresholds, RESP2 and RESP3", async () => {
    const seed = testSeed();
    await diffRun(seed, count);
    await Promise.all([a.call("HELLO", "3"), b.call("HELLO", "3")]);
    try {
      await diffRun(seed + 1, count);
    } finally {
      await Promise.all([a.call("HELLO", "2"), b.call("HELLO", "2")]);
    }
  });

  test("tiny thresholds (4 entries, 8 bytes): conversions everywhere, RESP2 and RESP3", async () => {
    const seed = testSeed();
    await bothConfig("hash-max-listpack-entries", "4", "hash-max-listpack-value", "8");
    try {
      await diffRun(seed + 2, count);
      await Promise.all([a.call("HELLO", "3"), b.call("HELLO", "3")]);
      await diffRun(seed + 3, count);
    } finally {
      await Promise.all([a.call("HELLO", "2"), b.call("HELLO", "2")]);
      await bothConfig("hash-max-listpack-entries", "512", "hash-max-listpack-value", "64");
    }
  });

  test("zero thresholds: every hash is a hash table from its first field", async () => {
    const seed = testSeed();
    await bothConfig("hash-max-listpack-entries", "0");
    try {
      await diffRun(seed + 4, 2000);
    } finally {
      await bothConfig("hash-max-listpack-entries", "512");
    }
  });
});

describe("HRANDFIELD properties (raftis only: its randomness is its own)", () => {
  async function fill(key: string, n: number): Promise<void> {
    const args: string[] = [];
    for (let i = 0; i < n; i++) args.push(`f${i}`, `v${i}`);
    await b.pipeline([["DEL", key], ["HSET", key, ...args]]);
  }

  function bulks(v: RespValue): string[] {
    if (v.t !== "array") throw new Error(`expected an array, got ${v.t}`);
    return v.v.map((x) => (x.t === "bulk" ? x.v : JSON.stringify(x)));
  }

  for (const n of [5, 300, 2000]) {
    test(`positive counts give distinct members of the hash (${n} fields)`, async () => {
      await fill("rh", n);
      for (const count of [1, 2, Math.floor(n / 4), Math.floor(n / 2), n - 1, n, n + 3]) {
        if (count < 1) continue;
        const got = bulks(await b.call("HRANDFIELD", "rh", String(count)));
        expect(got.length).toBe(Math.min(count, n));
        expect(new Set(got).size).toBe(got.length);
        for (const f of got) expect(f).toMatch(/^f\d+$/);
        for (const f of got) expect(Number(f.slice(1))).toBeLessThan(n);
        const withValues = bulks(await b.call("HRANDFIELD", "rh", String(count), "WITHVALUES"));
        expect(withValues.length).toBe(2 * Math.min(count, n));
        for (let i = 0; i < withValues.length; i += 2) expect(withValues[i + 1]).toBe(`v${withValues[i].slice(1)}`);
      }
    });
  }

  test("negative counts allow repeats and return exactly |count| members", async () => {
    await fill("rh", 3);
    const got = bulks(await b.call("HRANDFIELD", "rh", "-50"));
    expect(got.length).toBe(50);
    expect(new Set(got).size).toBeLessThanOrEqual(3);
    expect(new Set(got).size).toBeGreaterThan(1);
    await Promise.all([b.call("HELLO", "3")]);
    try {
      const nested = await b.call("HRANDFIELD", "rh", "-4", "WITHVALUES");
      expect(nested.t).toBe("array");
      if (nested.t === "array") for (const pair of nested.v) expect(pair.t).toBe("array");
    } finally {
      await b.call("HELLO", "2");
    }
  });

  test("picks are roughly uniform (chi-square, 1 degree of freedom per field)", async () => {
    const n = 20;
    await fill("rh", n);
    for (const mode of [[] as string[], ["-1000"], ["5"]]) {
      const counts = new Map<string, number>();
      let total = 0;
      const cmds = Array.from({ length: mode.length === 0 ? 4000 : 40 }, () => ["HRANDFIELD", "rh", ...mode]);
      for (const r of await b.pipeline(cmds)) {
        const picked = r.t === "bulk" ? [r.v] : bulks(r);
        for (const f of picked) {
          counts.set(f, (counts.get(f) ?? 0) + 1);
          total++;
        }
      }
      const expected = total / n;
      let chi2 = 0;
      for (let i = 0; i < n; i++) chi2 += ((counts.get(`f${i}`) ?? 0) - expected) ** 2 / expected;
      // 19 degrees of freedom: P(chi2 > 50) < 1e-4 for a uniform source.
      expect(chi2).toBeLessThan(50);
    }
  });
});

describe("HSCAN guarantee", () => {
  test("fields present for the whole scan are returned, while other fields come and go", async () => {
    const seed = testSeed();
    const rng = new Rng(seed);
    await b.call("DEL", "sh");
    const stable: string[] = [];
    const args: string[] = [];
    for (let i = 0; i < 1500; i++) {
      stable.push(`stable${i}`);
      args.push(`stable${i}`, String(i));
    }
    await b.call("HSET", "sh", ...args);
    for (let round = 0; round < 5; round++) {
      const seen = new Set<string>();
      let cursor = "0";
      let calls = 0;
      do {
        const r = await b.call("HSCAN", "sh", cursor, "COUNT", String(1 + rng.nextInt(40)));
        if (r.t !== "array" || r.v[0].t !== "bulk" || r.v[1].t !== "array") throw new Error("bad HSCAN reply");
        cursor = r.v[0].v;
        const items = r.v[1].v;
        for (let i = 0; i < items.length; i += 2) {
          const f = items[i];
          if (f.t === "bulk") seen.add(f.v);
        }
        // Churn: add and remove other fields between calls.
        const churn: string[][] = [];
        for (let j = 0; j < 20; j++) {
          const name = `tmp${rng.nextInt(3000)}`;
          churn.push(rng.nextInt(2) === 0 ? ["HSET", "sh", name, "x"] : ["HDEL", "sh", name]);
        }
        await b.pipeline(churn);
        calls++;
        expect(calls).toBeLessThan(100_000);
      } while (cursor !== "0");
      for (const f of stable) if (!seen.has(f)) throw new Error(`HSCAN missed ${f} (seed ${seed}, round ${round})`);
    }
  });
});
