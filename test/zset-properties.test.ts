// Properties of the sorted-set commands that cannot be compared with redis-server reply by
// reply: ZRANDMEMBER's count rules and spread (its randomness comes from the entry's seed), and
// ZSCAN's guarantee that a member present for the whole scan is returned at least once, however
// the set changes between calls. Runs against the engine directly.

import { describe, expect, test } from "bun:test";
import { commandTable } from "../src/commands/index.ts";
import { Flag } from "../src/commands/types.ts";
import { Engine } from "../src/engine/engine.ts";
import { Rng } from "../src/engine/rng.ts";
import { defaultEngineSettings } from "../src/engine/settings.ts";
import { ReplyParser, type RespValue } from "../src/resp/reply-parser.ts";
import { Reply } from "../src/resp/reply.ts";
import { testSeed } from "./helpers/diff.ts";

function makeEngine(): { engine: Engine; call: (argv: string[], seed?: number, resp?: 2 | 3) => RespValue } {
  const engine = new Engine(defaultEngineSettings());
  const call = (argv: string[], seed = 1, resp: 2 | 3 = 2): RespValue => {
    const spec = commandTable.lookup(argv[0]);
    if (spec === undefined) throw new Error(`no command ${argv[0]}`);
    const reply = new Reply();
    reply.resp = resp;
    if (spec.flags & Flag.write) engine.apply({ spec, argv }, 1000, seed, reply);
    else engine.read({ spec, argv }, 1000, seed, reply);
    const parser = new ReplyParser();
    parser.feed(reply.take());
    const value = parser.next();
    if (value === undefined) throw new Error("incomplete reply");
    return value;
  };
  return { engine, call };
}

function strings(v: RespValue): string[] {
  if (v.t !== "array") throw new Error(`expected an array, got ${v.t}`);
  return v.v.map((x) => {
    if (x.t !== "bulk") throw new Error(`expected bulk strings, got ${x.t}`);
    return x.v;
  });
}

function fill(call: ReturnType<typeof makeEngine>["call"], key: string, n: number): string[] {
  const members: string[] = [];
  const argv = ["ZADD", key];
  for (let i = 0; i < n; i++) {
    members.push(`m${i}`);
    argv.push(String(i % 7), `m${i}`);
  }
  call(argv);
  return members;
}

describe("ZRANDMEMBER", () => {
  for (const size of [10, 1000]) {
    const encoding = size <= 128 ? "listpack" : "skiplist";
    test(`count rules on a ${encoding} (${size} members)`, () => {
      const { engine, call } = makeEngine();
      const members = new Set(fill(call, "z", size));
      const value = engine.db.peek("z");
      expect(typeof value === "string" ? value : value?.encoding()).toBe(encoding);
      const seed = testSeed();
      for (let s = 0; s < 50; s++) {
        // Distinct members for 0 < count < size, in both of Redis's regimes (count*3 > size or not).
        for (const count of [1, 2, Math.floor(size / 4), Math.floor(size / 2), size - 1]) {
          const got = strings(call(["ZRANDMEMBER", "z", String(count)], seed + s));
          expect(got.length).toBe(count);
          expect(new Set(got).size).toBe(count);
          for (const m of got) expect(members.has(m)).toBe(true);
        }
        // Negative counts: exactly |count| picks, repeats allowed.
        const picks = strings(call(["ZRANDMEMBER", "z", String(-3 * size)], seed + s));
        expect(picks.length).toBe(3 * size);
        for (const m of picks) expect(members.has(m)).toBe(true);
        expect(new Set(picks).size).toBeLessThan(picks.length);
      }
      // count >= size: the whole set, highest first (Redis 7.0's order).
      const all = strings(call(["ZRANDMEMBER", "z", String(size + 5)]));
      const desc = strings(call(["ZRANGE", "z", "0", "-1", "REV"]));
      expect(all).toEqual(desc);
      expect(strings(call(["ZRANDMEMBER", "z", "0"]))).toEqual([]);
    });
  }

  test("scores come with their members (RESP2 flat, RESP3 pairs of doubles)", () => {
    const { call } = makeEngine();
    call(["ZADD", "z", "1.5", "a", "-0", "b", "inf", "c", "2", "d"]);
    const flat = call(["ZRANDMEMBER", "z", "-20", "WITHSCORES"], 7);
    const scores: Record<string, string> = { a: "1.5", b: "0", c: "inf", d: "2" };
    if (flat.t !== "array") throw new Error("array expected");
    expect(flat.v.length).toBe(40);
    for (let i = 0; i < flat.v.length; i += 2) {
      const m = flat.v[i];
      const s = flat.v[i + 1];
      if (m.t !== "bulk" || s.t !== "bulk") throw new Error("bulk strings expected");
      expect(s.v).toBe(scores[m.v]);
    }
    const pairs = call(["ZRANDMEMBER", "z", "2", "WITHSCORES"], 7, 3);
    if (pairs.t !== "array") throw new Error("array expected");
    expect(pairs.v.length).toBe(2);
    for (const p of pairs.v) {
      if (p.t !== "array" || p.v[0].t !== "bulk" || p.v[1].t !== "double") throw new Error(`pair expected, got ${JSON.stringify(p)}`);
      expect(p.v[1].v).toBe(scores[p.v[0].v]);
    }
  });

  test("picks are spread over every member and follow the seed", () => {
    const { call } = makeEngine();
    const members = fill(call, "z", 20);
    const seen = new Map<string, number>();
    const base = testSeed();
    const draws = 4000;
    for (let s = 0; s < draws; s++) {
      const r = call(["ZRANDMEMBER", "z"], base + s);
      if (r.t !== "bulk") throw new Error("bulk expected");
      seen.set(r.v, (seen.get(r.v) ?? 0) + 1);
    }
    // 200 expected per member; a fair generator stays far inside [100, 300].
    for (const m of members) {
      expect(seen.get(m) ?? 0).toBeGreaterThan(100);
      expect(seen.get(m) ?? 0).toBeLessThan(300);
    }
    // Same seed, same answer (every replica agrees); another seed usually differs.
    const a = call(["ZRANDMEMBER", "z", "-10"], 42);
    expect(call(["ZRANDMEMBER", "z", "-10"], 42)).toEqual(a);
    expect(call(["ZRANDMEMBER", "z", "-10"], 43)).not.toEqual(a);
  });
});

describe("ZSCAN", () => {
  test("a listpack comes back whole, in order, with cursor 0", () => {
    const { call } = makeEngine();
    call(["ZADD", "z", "2", "b", "1", "a", "1.5", "c"]);
    expect(call(["ZSCAN", "z", "12345", "COUNT", "1"])).toEqual({
      t: "array",
      v: [
        { t: "bulk", v: "0" },
        { t: "array", v: ["a", "1", "c", "1.5", "b", "2"].map((v) => ({ t: "bulk", v }) as RespValue) },
      ],
    });
  });

  test("every member present for the whole scan is returned, while the set changes", () => {
    const seed = testSeed();
    const rng = new Rng(seed);
    for (let round = 0; round < 20; round++) {
      const { call } = makeEngine();
      const stable = fill(call, "z", 300);
      let fresh = 0;
      const transient: string[] = [];
      const returned = new Set<string>();
      let cursor = "0";
      let calls = 0;
      do {
        const r = call(["ZSCAN", "z", cursor, "COUNT", String(1 + rng.nextInt(20))]);
        if (r.t !== "array" || r.v[0].t !== "bulk") throw new Error("scan reply expected");
        cursor = r.v[0].v;
        const items = strings(r.v[1]);
        for (let i = 0; i < items.length; i += 2) returned.add(items[i]);
        // Churn between calls: new members, removals of new ones, score changes of old ones.
        for (let k = 0; k < 10; k++) {
          const op = rng.nextInt(3);
          if (op === 0) {
            const m = `new${fresh++}`;
            call(["ZADD", "z", String(rng.nextInt(100)), m]);
            transient.push(m);
          } else if (op === 1 && transient.length > 0) {
            call(["ZREM", "z", transient.splice(rng.nextInt(transient.length), 1)[0]]);
          } else {
            call(["ZADD", "z", String(rng.nextInt(100) - 50), stable[rng.nextInt(stable.length)]]);
          }
        }
        calls++;
        expect(calls, `seed ${seed}: the scan ends`).toBeLessThan(10000);
      } while (cursor !== "0");
      for (const m of stable) expect(returned.has(m), `seed ${seed}: ${m} returned`).toBe(true);
      for (const m of returned) expect(m.startsWith("m") || m.startsWith("new"), `seed ${seed}: ${m} existed`).toBe(true);
    }
  });

  test("MATCH filters members, and scores follow their members", () => {
    const { call } = makeEngine();
    fill(call, "z", 500);
    const got = new Map<string, string>();
    let cursor = "0";
    do {
      const r = call(["ZSCAN", "z", cursor, "MATCH", "m1*", "COUNT", "50"]);
      if (r.t !== "array" || r.v[0].t !== "bulk") throw new Error("scan reply expected");
      cursor = r.v[0].v;
      const items = strings(r.v[1]);
      for (let i = 0; i < items.length; i += 2) got.set(items[i], items[i + 1]);
    } while (cursor !== "0");
    const want = [...Array(500).keys()].filter((i) => String(i).startsWith("1"));
    expect(got.size).toBe(want.length);
    for (const i of want) expect(got.get(`m${i}`)).toBe(String(i % 7));
  });
});
