// Sets answer exactly as redis-server 7.0: a seeded random stream of every set command, mixed
// with strings on the same keys (WRONGTYPE paths, STORE commands overwriting other types), in
// RESP2 and RESP3, with Redis's default set-max-intset-entries and with tiny ones. Intsets must
// answer in Redis's (numeric) order; hash tables are compared sorted. Commands with random
// results (SPOP, SRANDMEMBER) are checked by their properties on raftis alone, and the SSCAN
// guarantee under concurrent changes is checked directly.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RespClient } from "../src/client/resp-client.ts";
import type { RespValue } from "../src/resp/reply-parser.ts";
import { parseInt64 } from "../src/util/number.ts";
import { Rng, pick, randomKey, randomValue, runDifferential, sortReply, testSeed } from "./helpers/diff.ts";
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

function member(rng: Rng): string {
  switch (rng.nextInt(10)) {
    case 0:
      return randomValue(rng);
    case 1:
      return pick(rng, ["9223372036854775807", "-9223372036854775808", "9223372036854775808", "-0", "007", " 1", "1.0", "+1", "0", "-1"]);
    case 2:
    case 3:
      return `m${rng.nextInt(10)}`;
    default:
      return String(rng.nextInt(40) - 10);
  }
}

const members = (rng: Rng, n: number): string[] => Array.from({ length: n }, () => member(rng));

let queued: string[][] = [];
let lastEncoding = "";
/** set-max-intset-entries on both servers during the current run. */
let intsetMax = 512;

function generate(rng: Rng): string[] {
  const next = queued.shift();
  if (next !== undefined) return next;
  const key = randomKey(rng, 6, "s");
  const keys = (n: number): string[] => Array.from({ length: n }, () => randomKey(rng, 6, "s"));
  /** Sent after OBJECT ENCODING of `of`, so the normalizer knows whether order is defined. */
  const ordered = (cmd: string[], of = key): string[] => {
    queued.push(cmd);
    return ["OBJECT", "ENCODING", of];
  };
  switch (rng.nextInt(34)) {
    case 0:
    case 1:
    case 2:
    case 3:
      return ["SADD", key, ...members(rng, 1 + rng.nextInt(4))];
    case 4:
      return ["SADD", key, ...members(rng, 8 + rng.nextInt(8))];
    case 5:
    case 6:
      return ["SREM", key, ...members(rng, 1 + rng.nextInt(3))];
    case 7:
      return ordered(["SMEMBERS", key]);
    case 8:
      return pick(rng, [["SISMEMBER", key, member(rng)], ["SMISMEMBER", key, ...members(rng, 1 + rng.nextInt(3))], ["SCARD", key]]);
    case 9:
      // Only whole-set pops are deterministic; partial ones are tested by their properties.
      return pick(rng, [["SPOP", key, "1000"], ["SPOP", key, "0"], ["SPOP", key, "-1"], ["SPOP", key, "x"], ["SPOP", key, "1", "2"]]);
    case 10:
      return ordered(["SRANDMEMBER", key, "1000"]);
    case 11:
      return pick(rng, [["SRANDMEMBER", key], ["SRANDMEMBER", key, String(rng.nextInt(9) - 4)], ["SRANDMEMBER", key, "x"], ["SRANDMEMBER", key, "-9223372036854775808"], ["SRANDMEMBER", key, "1", "2"]]);
    case 12:
    case 13:
      return ["SMOVE", key, randomKey(rng, 6, "s"), member(rng)];
    case 14:
      return ["SINTER", ...keys(1 + rng.nextInt(3))];
    case 15:
      return ["SINTERCARD", String(1 + rng.nextInt(3)), ...keys(3), ...pick(rng, [[], ["LIMIT", String(rng.nextInt(4))], ["LIMIT", "-1"], ["LIMIT"], ["FOO"]])];
    case 16:
      return pick(rng, [["SINTERCARD", "0", key], ["SINTERCARD", "5", key], ["SINTERCARD", "x", key], ["SINTERCARD", "-1", key], ["SINTERCARD", "1"]]);
    case 17: {
      const dst = randomKey(rng, 6, "s");
      const op = pick(rng, ["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]);
      queued.push(["OBJECT", "ENCODING", dst], ["SMEMBERS", dst]);
      return [op, dst, ...keys(1 + rng.nextInt(3))];
    }
    case 18:
      return ["SUNION", ...keys(1 + rng.nextInt(3))];
    case 19:
      return ["SDIFF", ...keys(1 + rng.nextInt(3))];
    case 20:
      return ordered(["SSCAN", key, "0", ...pick(rng, [[], ["COUNT", "10000"], ["MATCH", "1*", "COUNT", "10000"], ["MATCH", "*"]])]);
    case 21:
      return ordered(pick(rng, [["SSCAN", key, "x"], ["SSCAN", key, "0", "COUNT", "0"], ["SSCAN", key, "0", "MATCH"], ["SSCAN", key, "-1"], ["SSCAN", key, "0", "TYPE", "set"]]));
    case 22:
      return ["SET", key, randomValue(rng)];
    case 23:
      return pick(rng, [["GET", key], ["TYPE", key], ["DEL", key], ["EXISTS", key]]);
    case 24:
      return ["OBJECT", "ENCODING", key];
    case 25:
      return pick(rng, [["SADD", key], ["SREM", key], ["SMEMBERS"], ["SMOVE", key, key], ["SINTER"], ["SUNIONSTORE", key], ["SCARD", key, key], ["SPOP"]]);
    case 26:
      return ["COPY", key, randomKey(rng, 6, "s"), ...(rng.nextInt(2) === 0 ? ["REPLACE"] : [])];
    case 27:
      return ["SMOVE", key, key, member(rng)];
    case 28:
      // A large first set against small ones: SDIFF's second algorithm.
      queued.push(["OBJECT", "ENCODING", "big"], ["SMEMBERS", "big"]);
      return ["SDIFFSTORE", "big", key, ...keys(2)];
    case 29:
      return ["SADD", key, ...Array.from({ length: 20 }, (_, i) => String(rng.nextInt(2) === 0 ? i : -i))];
    case 30:
      return ["EXPIRE", key, pick(rng, ["100", "0"])];
    case 31:
      return ["HSET", key, "f", "v"];
    default:
      return ["SISMEMBER", key, member(rng)];
  }
}

function isIntsetMember(v: RespValue): boolean {
  return v.t === "bulk" && v.v.length <= 20 && parseInt64(v.v) !== null;
}

/** Replace bulk strings by "?": a random reply's shape only. */
function shape(v: RespValue): RespValue {
  if (v.t === "bulk") return { t: "bulk", v: "?" };
  if (v.t === "array" || v.t === "set") return { t: v.t, v: v.v.map(shape) };
  return v;
}

function normalize(argv: readonly string[], reply: RespValue): RespValue {
  const cmd = argv[0].toUpperCase();
  if (cmd === "OBJECT") lastEncoding = reply.t === "bulk" ? reply.v : "";
  if (reply.t === "error") return reply;
  const exact = lastEncoding === "intset";
  switch (cmd) {
    case "SMEMBERS":
      return exact ? reply : sortReply(reply);
    case "SRANDMEMBER":
      if (argv[2] !== "1000") return shape(reply);
      return exact ? reply : sortReply(reply);
    case "SPOP":
    case "SUNION": {
      // A fresh result set: an intset (so ascending) when every member is an integer and fits.
      if (reply.t !== "array" && reply.t !== "set") return reply;
      const freshIntset = reply.v.length <= intsetMax && reply.v.every(isIntsetMember);
      return freshIntset ? reply : sortReply(reply);
    }
    case "SINTER":
    case "SDIFF":
      return sortReply(reply);
    case "SSCAN": {
      if (exact || reply.t !== "array") return reply;
      const [cursor, items] = reply.v;
      if (!argv.includes("10000")) return { t: "simple", v: "a hash table page" };
      return { t: "array", v: [cursor, sortReply(items)] };
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

async function bothResp3(run: () => Promise<void>): Promise<void> {
  await Promise.all([a.call("HELLO", "3"), b.call("HELLO", "3")]);
  try {
    await run();
  } finally {
    await Promise.all([a.call("HELLO", "2"), b.call("HELLO", "2")]);
  }
}

describe("set commands match redis-server", () => {
  const count = 8000;

  test("default set-max-intset-entries, RESP2 and RESP3", async () => {
    const seed = testSeed();
    intsetMax = 512;
    await diffRun(seed, count);
    await bothResp3(() => diffRun(seed + 1, count));
  });

  test("set-max-intset-entries 5: intsets convert all the time, RESP2 and RESP3", async () => {
    const seed = testSeed();
    await bothConfig("set-max-intset-entries", "5");
    intsetMax = 5;
    try {
      await diffRun(seed + 2, count);
      await bothResp3(() => diffRun(seed + 3, count));
    } finally {
      await bothConfig("set-max-intset-entries", "512");
      intsetMax = 512;
    }
  });

  test("set-max-intset-entries 0: every set is a hash table", async () => {
    const seed = testSeed();
    await bothConfig("set-max-intset-entries", "0");
    intsetMax = 0;
    try {
      await diffRun(seed + 4, 2000);
    } finally {
      await bothConfig("set-max-intset-entries", "512");
      intsetMax = 512;
    }
  });

  test("intsets of large sizes keep Redis's order and convert at the threshold", async () => {
    const cmds: string[][] = [["FLUSHALL"]];
    const rng = new Rng(testSeed());
    for (let i = 0; i < 300; i++) {
      cmds.push(["SADD", "big", String(rng.nextInt(2000) - 1000), String(rng.nextInt(2) === 0 ? -9223372036854775808n + BigInt(i) : 9223372036854775807n - BigInt(i))]);
      if (i % 20 === 0) cmds.push(["OBJECT", "ENCODING", "big"], ["SMEMBERS", "big"], ["SSCAN", "big", "0"], ["SRANDMEMBER", "big", "2000"], ["SUNION", "big", "nokey"]);
    }
    cmds.push(["OBJECT", "ENCODING", "big"], ["SUNIONSTORE", "u", "big"], ["OBJECT", "ENCODING", "u"], ["SPOP", "big", "100000"], ["EXISTS", "big"]);
    const [x, y] = await Promise.all([a.pipeline(cmds), b.pipeline(cmds)]);
    let encoding = "";
    let converted = false;
    for (let i = 0; i < cmds.length; i++) {
      const [cmd] = cmds[i];
      if (cmd === "OBJECT") {
        const reply = x[i];
        encoding = reply.t === "bulk" ? reply.v : "";
        if (encoding === "hashtable") converted = true;
      }
      if (cmd === "SSCAN" && encoding !== "intset") continue; // a page of a hash table
      const unordered = encoding !== "intset" && cmd !== "OBJECT" && cmd !== "SADD";
      expect(unordered ? sortReply(y[i]) : y[i]).toEqual(unordered ? sortReply(x[i]) : x[i]);
    }
    expect(converted).toBe(true);
  });
});

test("SDIFF picks Redis's algorithm, which decides the result's encoding", async () => {
  const cmds: string[][] = [
    ["FLUSHALL"],
    ["SADD", "a", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "x"],
    ["SADD", "b", "x"],
    ["SADD", "c", "1"],
    // Three sets, the first large: the whole first set is copied, then the others removed.
    ["SDIFFSTORE", "d", "a", "b", "c"],
    ["OBJECT", "ENCODING", "d"],
    // Two sets: members of the first are tested one by one, so the result is an intset.
    ["SDIFFSTORE", "d2", "a", "b"],
    ["OBJECT", "ENCODING", "d2"],
    ["SMEMBERS", "d2"],
    ["SDIFF", "a", "b"],
    // Missing keys do not count as work.
    ["SDIFFSTORE", "d3", "a", "b", "nokey", "nokey2"],
    ["OBJECT", "ENCODING", "d3"],
    ["SDIFFSTORE", "d4", "a", "a"],
    ["EXISTS", "d4"],
  ];
  const [x, y] = await Promise.all([a.pipeline(cmds), b.pipeline(cmds)]);
  expect(y).toEqual(x);
  expect(x[5]).toEqual({ t: "bulk", v: "hashtable" });
  expect(x[7]).toEqual({ t: "bulk", v: "intset" });
});

describe("SPOP and SRANDMEMBER properties (raftis only: its randomness is its own)", () => {
  function bulks(v: RespValue): string[] {
    if (v.t !== "array" && v.t !== "set") throw new Error(`expected an array, got ${v.t}`);
    return v.v.map((x) => (x.t === "bulk" ? x.v : JSON.stringify(x)));
  }

  async function fill(key: string, items: readonly string[]): Promise<void> {
    await b.pipeline([["DEL", key], ["SADD", key, ...items]]);
  }

  const ints = (n: number): string[] => Array.from({ length: n }, (_, i) => String(i * 7 - 100));
  const words = (n: number): string[] => Array.from({ length: n }, (_, i) => `w${i}`);

  for (const [name, items] of [
    ["an intset", ints(40)],
    ["a hash table", words(40)],
    ["a large hash table", words(3000)],
  ] as const) {
    test(`SPOP with a count pops distinct members and removes them (${name})`, async () => {
      for (const count of [1, 3, 7, 20, 33, 39, 40, 45]) {
        if (count > items.length) continue;
        await fill("sp", items);
        const popped = bulks(await b.call("SPOP", "sp", String(count)));
        expect(popped.length).toBe(Math.min(count, items.length));
        expect(new Set(popped).size).toBe(popped.length);
        const left = bulks(await b.call("SMEMBERS", "sp"));
        expect(left.length + popped.length).toBe(items.length);
        expect(new Set([...left, ...popped])).toEqual(new Set(items));
        const card = await b.call("SCARD", "sp");
        expect(card).toEqual({ t: "int", v: BigInt(left.length) });
      }
      await fill("sp", items);
      const one = await b.call("SPOP", "sp");
      expect(one.t).toBe("bulk");
      if (one.t === "bulk") expect(items).toContain(one.v);
      expect(await b.call("SISMEMBER", "sp", one.t === "bulk" ? one.v : "")).toEqual({ t: "int", v: 0n });
    });

    test(`SRANDMEMBER: distinct for positive counts, repeats for negative ones (${name})`, async () => {
      await fill("sr", items);
      for (const count of [1, 2, 10, 14, 30, items.length, items.length + 5]) {
        const got = bulks(await b.call("SRANDMEMBER", "sr", String(count)));
        expect(got.length).toBe(Math.min(count, items.length));
        expect(new Set(got).size).toBe(got.length);
        for (const m of got) expect(items).toContain(m);
      }
      const repeated = bulks(await b.call("SRANDMEMBER", "sr", "-200"));
      expect(repeated.length).toBe(200);
      for (const m of repeated) expect(items).toContain(m);
      expect(new Set(repeated).size).toBeLessThan(200);
      expect(await b.call("SCARD", "sr")).toEqual({ t: "int", v: BigInt(items.length) });
    });
  }

  test("SPOP that keeps few members rebuilds the set: its encoding follows what remains", async () => {
    // 11 members, pop 10: one remains, in a new set that is an intset iff that member is an integer.
    let sawIntset = false;
    let sawTable = false;
    for (let round = 0; round < 30 && !(sawIntset && sawTable); round++) {
      await fill("rb", [...ints(10), "word"]);
      await b.call("SPOP", "rb", "10");
      const [left, encoding] = await b.pipeline([["SMEMBERS", "rb"], ["OBJECT", "ENCODING", "rb"]]);
      const remaining = bulks(left);
      expect(remaining.length).toBe(1);
      const expected = remaining[0] === "word" ? "hashtable" : "intset";
      expect(encoding).toEqual({ t: "bulk", v: expected });
      if (expected === "intset") sawIntset = true;
      else sawTable = true;
    }
    expect(sawIntset).toBe(true);
  });

  test("picks are roughly uniform (chi-square)", async () => {
    const n = 20;
    for (const items of [ints(n), words(n)]) {
      await fill("su", items);
      for (const mode of [[] as string[], ["-1000"], ["5"]]) {
        const counts = new Map<string, number>();
        let total = 0;
        const cmds = Array.from({ length: mode.length === 0 ? 4000 : 40 }, () => ["SRANDMEMBER", "su", ...mode]);
        for (const r of await b.pipeline(cmds)) {
          for (const m of r.t === "bulk" ? [r.v] : bulks(r)) {
            counts.set(m, (counts.get(m) ?? 0) + 1);
            total++;
          }
        }
        const expected = total / n;
        let chi2 = 0;
        for (const m of items) chi2 += ((counts.get(m) ?? 0) - expected) ** 2 / expected;
        // 19 degrees of freedom: P(chi2 > 50) < 1e-4 for a uniform source.
        expect(chi2).toBeLessThan(50);
      }
      // SPOP of one member from fresh copies: each member first about as often.
      const firstPops = new Map<string, number>();
      const cmds: string[][] = [];
      for (let i = 0; i < 2000; i++) cmds.push(["DEL", "sq"], ["SADD", "sq", ...items], ["SPOP", "sq"]);
      const replies = await b.pipeline(cmds);
      for (let i = 2; i < replies.length; i += 3) {
        const r = replies[i];
        if (r.t === "bulk") firstPops.set(r.v, (firstPops.get(r.v) ?? 0) + 1);
      }
      let chi2 = 0;
      for (const m of items) chi2 += ((firstPops.get(m) ?? 0) - 100) ** 2 / 100;
      expect(chi2).toBeLessThan(50);
    }
  });
});

describe("SSCAN guarantee", () => {
  test("members present for the whole scan are returned, while other members come and go", async () => {
    const seed = testSeed();
    const rng = new Rng(seed);
    const stable = Array.from({ length: 1500 }, (_, i) => `stable${i}`);
    await b.pipeline([["DEL", "ss"], ["SADD", "ss", ...stable]]);
    for (let round = 0; round < 5; round++) {
      const seen = new Set<string>();
      let cursor = "0";
      let calls = 0;
      do {
        const r = await b.call("SSCAN", "ss", cursor, "COUNT", String(1 + rng.nextInt(40)));
        if (r.t !== "array" || r.v[0].t !== "bulk" || r.v[1].t !== "array") throw new Error("bad SSCAN reply");
        cursor = r.v[0].v;
        for (const m of r.v[1].v) if (m.t === "bulk") seen.add(m.v);
        const churn: string[][] = [];
        for (let j = 0; j < 20; j++) {
          const name = `tmp${rng.nextInt(3000)}`;
          churn.push(rng.nextInt(2) === 0 ? ["SADD", "ss", name] : ["SREM", "ss", name]);
        }
        await b.pipeline(churn);
        calls++;
        expect(calls).toBeLessThan(100_000);
      } while (cursor !== "0");
      for (const m of stable) if (!seen.has(m)) throw new Error(`SSCAN missed ${m} (seed ${seed}, round ${round})`);
    }
  });
});
