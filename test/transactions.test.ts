// MULTI EXEC DISCARD WATCH UNWATCH against redis-server 7.0: scripted scenarios with two
// connections (another client modifies a watched key, FLUSHALL, expiry), then a seeded random
// stream of transactions and plain commands on two connections, every reply compared.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RespClient } from "../src/client/resp-client.ts";
import { showReply, type RespValue } from "../src/resp/reply-parser.ts";
import { pick, randomValue, showCommand, testSeed, Rng } from "./helpers/diff.ts";
import { startRaftis, startRedis, type RunningServer } from "./helpers/processes.ts";
import { waitFor } from "./helpers/wait.ts";

let raftis: RunningServer;
let redis: RunningServer;

beforeAll(async () => {
  [raftis, redis] = await Promise.all([startRaftis(), startRedis()]);
});

afterAll(async () => {
  await Promise.all([raftis?.stop(), redis?.stop()]);
});

/** One step: which connection (0 or 1) sends which command. */
type Step = [number, string[]];

/** Runs the steps in order, one at a time, on two fresh connections to `server`. */
async function play(server: RunningServer, steps: readonly Step[]): Promise<string[]> {
  const conns: RespClient[] = [await server.client(), await server.client()];
  try {
    await conns[0].call("FLUSHALL");
    const out: string[] = [];
    for (const [who, argv] of steps) out.push(showReply(await conns[who].call(...argv)));
    return out;
  } finally {
    for (const c of conns) c.close();
  }
}

async function expectSameAsRedis(steps: readonly Step[]): Promise<string[]> {
  const expected = await play(redis, steps);
  const actual = await play(raftis, steps);
  const lines = steps.map(([who, argv], i) => `${expected[i] === actual[i] ? " " : "✗"} c${who} ${showCommand(argv)}\n     redis:  ${expected[i]}\n     raftis: ${actual[i]}`);
  if (JSON.stringify(expected) !== JSON.stringify(actual)) throw new Error(`replies differ:\n${lines.join("\n")}`);
  return actual;
}

const A = 0;
const B = 1;

describe("scenarios, as redis-server", () => {
  const scenarios: Record<string, Step[]> = {
    "queueing and EXEC": [
      [A, ["MULTI"]],
      [A, ["SET", "a", "1"]],
      [A, ["INCR", "a"]],
      [A, ["GET", "a"]],
      [A, ["EXEC"]],
      [A, ["GET", "a"]],
    ],
    "an unknown command dooms the transaction": [
      [A, ["MULTI"]],
      [A, ["SET", "a", "1"]],
      [A, ["NOSUCHCOMMAND", "x"]],
      [A, ["SET", "b", "2"]],
      [A, ["EXEC"]],
      [A, ["MGET", "a", "b"]],
    ],
    "a wrong arity dooms the transaction": [
      [A, ["MULTI"]],
      [A, ["GET"]],
      [A, ["SET", "a", "1"]],
      [A, ["EXEC"]],
      [A, ["EXISTS", "a"]],
    ],
    "runtime errors stay inside EXEC's reply": [
      [A, ["SET", "s", "text"]],
      [A, ["MULTI"]],
      [A, ["INCR", "s"]],
      [A, ["SET", "t", "1"]],
      [A, ["INCRBY", "t", "x"]],
      [A, ["APPEND", "t", "0"]],
      [A, ["EXEC"]],
      [A, ["MGET", "s", "t"]],
    ],
    "nested MULTI and WATCH inside MULTI are errors that do not doom it": [
      [A, ["MULTI"]],
      [A, ["MULTI"]],
      [A, ["WATCH", "a"]],
      [A, ["SET", "a", "1"]],
      [A, ["EXEC"]],
    ],
    "EXEC and DISCARD without MULTI": [
      [A, ["EXEC"]],
      [A, ["DISCARD"]],
      [A, ["UNWATCH"]],
    ],
    "DISCARD drops the queue": [
      [A, ["MULTI"]],
      [A, ["SET", "a", "1"]],
      [A, ["DISCARD"]],
      [A, ["EXISTS", "a"]],
      [A, ["EXEC"]],
    ],
    "EXEC with arguments inside MULTI aborts at once": [
      [A, ["MULTI"]],
      [A, ["SET", "a", "1"]],
      [A, ["EXEC", "now"]],
      [A, ["EXEC"]],
      [A, ["EXISTS", "a"]],
    ],
    "commands that cannot run in a transaction": [
      [A, ["MULTI"]],
      [A, ["SAVE"]],
      [A, ["SHUTDOWN"]],
      [A, ["EXEC"]],
    ],
    "connection commands inside a transaction": [
      [A, ["MULTI"]],
      [A, ["PING"]],
      [A, ["ECHO", "hi"]],
      [A, ["CLIENT", "SETNAME", "in-tx"]],
      [A, ["CONFIG", "GET", "maxmemory"]],
      [A, ["SELECT", "0"]],
      [A, ["EXEC"]],
      [A, ["CLIENT", "GETNAME"]],
    ],
    "another client's write aborts EXEC": [
      [A, ["SET", "w", "1"]],
      [A, ["WATCH", "w"]],
      [B, ["SET", "w", "2"]],
      [A, ["MULTI"]],
      [A, ["SET", "w", "3"]],
      [A, ["EXEC"]],
      [A, ["GET", "w"]],
    ],
    "a write of the same value still counts": [
      [A, ["SET", "w", "1"]],
      [A, ["WATCH", "w"]],
      [B, ["SET", "w", "1"]],
      [A, ["MULTI"]],
      [A, ["INCR", "w"]],
      [A, ["EXEC"]],
    ],
    "a watched key created by another client aborts EXEC": [
      [A, ["WATCH", "new"]],
      [B, ["SET", "new", "x"]],
      [A, ["MULTI"]],
      [A, ["GET", "new"]],
      [A, ["EXEC"]],
    ],
    "deleting a missing watched key is no change": [
      [A, ["WATCH", "none"]],
      [B, ["DEL", "none"]],
      [A, ["MULTI"]],
      [A, ["SET", "none", "1"]],
      [A, ["EXEC"]],
    ],
    "EXPIRE and PERSIST by another client": [
      [A, ["SET", "e", "1"]],
      [A, ["WATCH", "e"]],
      [B, ["PERSIST", "e"]],
      [A, ["MULTI"]],
      [A, ["GET", "e"]],
      [A, ["EXEC"]],
      [A, ["WATCH", "e"]],
      [B, ["EXPIRE", "e", "1000"]],
      [A, ["MULTI"]],
      [A, ["GET", "e"]],
      [A, ["EXEC"]],
    ],
    "the watching client's own write aborts its EXEC": [
      [A, ["SET", "own", "1"]],
      [A, ["WATCH", "own"]],
      [A, ["SET", "own", "2"]],
      [A, ["MULTI"]],
      [A, ["GET", "own"]],
      [A, ["EXEC"]],
    ],
    "another transaction's write aborts EXEC": [
      [A, ["WATCH", "t1", "t2"]],
      [B, ["MULTI"]],
      [B, ["SET", "t2", "b"]],
      [B, ["EXEC"]],
      [A, ["MULTI"]],
      [A, ["SET", "t1", "a"]],
      [A, ["EXEC"]],
      [A, ["MGET", "t1", "t2"]],
    ],
    "UNWATCH, DISCARD and EXEC forget watched keys": [
      [A, ["WATCH", "u"]],
      [A, ["UNWATCH"]],
      [B, ["SET", "u", "1"]],
      [A, ["MULTI"]],
      [A, ["INCR", "u"]],
      [A, ["EXEC"]],
      [A, ["WATCH", "u"]],
      [A, ["MULTI"]],
      [A, ["DISCARD"]],
      [B, ["SET", "u", "5"]],
      [A, ["MULTI"]],
      [A, ["INCR", "u"]],
      [A, ["EXEC"]],
      [A, ["WATCH", "u"]],
      [A, ["MULTI"]],
      [A, ["EXEC"]],
      [B, ["SET", "u", "9"]],
      [A, ["MULTI"]],
      [A, ["GET", "u"]],
      [A, ["EXEC"]],
    ],
    "RESET leaves MULTI and forgets watched keys": [
      [A, ["WATCH", "r"]],
      [A, ["MULTI"]],
      [A, ["SET", "r", "1"]],
      [A, ["RESET"]],
      [B, ["SET", "r", "2"]],
      [A, ["EXEC"]],
      [A, ["MULTI"]],
      [A, ["GET", "r"]],
      [A, ["EXEC"]],
    ],
    "FLUSHALL touches watched keys that existed": [
      [A, ["SET", "f", "1"]],
      [A, ["WATCH", "f"]],
      [B, ["FLUSHALL"]],
      [A, ["MULTI"]],
      [A, ["GET", "f"]],
      [A, ["EXEC"]],
    ],
    "FLUSHALL does not touch watched keys that did not exist": [
      [A, ["SET", "other", "1"]],
      [A, ["WATCH", "missing"]],
      [B, ["FLUSHALL"]],
      [A, ["MULTI"]],
      [A, ["GET", "missing"]],
      [A, ["EXEC"]],
    ],
    "FLUSHDB inside another transaction touches watched keys": [
      [A, ["SET", "g", "1"]],
      [A, ["WATCH", "g"]],
      [B, ["MULTI"]],
      [B, ["FLUSHDB"]],
      [B, ["EXEC"]],
      [A, ["MULTI"]],
      [A, ["SET", "g", "2"]],
      [A, ["EXEC"]],
    ],
    "RENAME touches both keys": [
      [A, ["SET", "src", "1"]],
      [A, ["WATCH", "dst"]],
      [B, ["RENAME", "src", "dst"]],
      [A, ["MULTI"]],
      [A, ["GET", "dst"]],
      [A, ["EXEC"]],
    ],
  };
  for (const [name, steps] of Object.entries(scenarios)) {
    test(name, async () => {
      await expectSameAsRedis(steps);
    });
  }
});

describe("WATCH and expiry", () => {
  /** Waits until `key` has expired, asking from a third connection. */
  async function untilExpired(server: RunningServer, key: string): Promise<void> {
    const probe = await server.client();
    try {
      await waitFor(`${key} to expire`, async () => showReply(await probe.call("PTTL", key)) === ":-2", 5000);
    } finally {
      probe.close();
    }
  }

  async function run(server: RunningServer, alreadyExpired: boolean): Promise<string[]> {
    const a = await server.client();
    try {
      const out: string[] = [];
      out.push(showReply(await a.call("SET", "exp", "1", "PX", "50")));
      if (alreadyExpired) await untilExpired(server, "exp");
      out.push(showReply(await a.call("WATCH", "exp")));
      if (!alreadyExpired) await untilExpired(server, "exp");
      out.push(...(await a.pipeline([["MULTI"], ["SET", "exp", "2"], ["EXEC"]])).map(showReply));
      return out;
    } finally {
      a.close();
    }
  }

  test("a watched key that expires before EXEC aborts it", async () => {
    const [e, a] = await Promise.all([run(redis, false), run(raftis, false)]);
    expect(a).toEqual(e);
    expect(a[4]).toBe("(nil array)");
  });

  test("a key already expired when watched does not abort EXEC", async () => {
    const [e, a] = await Promise.all([run(redis, true), run(raftis, true)]);
    expect(a).toEqual(e);
    expect(a[4]).toBe("[+OK]");
  });
});

describe("random transactions on two connections", () => {
  const keys = ["k0", "k1", "k2", "k3"];

  function generate(rng: Rng): Step {
    const who = rng.nextInt(2);
    const key = pick(rng, keys);
    const r = rng.nextInt(100);
    let argv: string[];
    if (r < 10) argv = ["MULTI"];
    else if (r < 17) argv = ["EXEC"];
    else if (r < 20) argv = ["DISCARD"];
    else if (r < 27) argv = ["WATCH", ...keys.filter(() => rng.nextInt(2) === 0), key];
    else if (r < 29) argv = ["UNWATCH"];
    else if (r < 30) argv = [pick(rng, ["FLUSHALL", "FLUSHDB"])];
    else if (r < 32) argv = pick(rng, [["NOSUCH", key], ["GET"], ["SET", key], ["EXEC", "x"], ["MULTI", "x"], ["WATCH"]]);
    else if (r < 34) argv = ["RESET"];
    else if (r < 36) argv = ["PING"];
    else
      argv = pick(rng, [
        ["SET", key, randomValue(rng)],
        ["GET", key],
        ["INCR", key],
        ["DEL", key],
        ["APPEND", key, "x"],
        ["EXISTS", key],
        ["EXPIRE", key, "1000"],
        ["PERSIST", key],
        ["SETNX", key, "n"],
        ["GETSET", key, "g"],
        ["MSET", key, "m", pick(rng, keys), "m2"],
        ["MGET", ...keys],
        ["RENAME", key, pick(rng, keys)],
        ["TYPE", key],
        ["STRLEN", key],
      ]);
    return [who, argv];
  }

  test("replies match redis-server", async () => {
    const seed = testSeed();
    const rng = new Rng(seed);
    const steps = Array.from({ length: 3000 }, () => generate(rng));
    try {
      await expectSameAsRedis(steps);
    } catch (e) {
      const msg = (e as Error).message;
      // Show the first difference with some context, and how to replay it.
      const lines = msg.split("\n");
      const at = lines.findIndex((l) => l.startsWith("✗"));
      throw new Error(`seed ${seed} (replay with SEED=${seed}):\n${lines.slice(Math.max(1, at - 45), at + 3).join("\n")}`);
    }
  });
});

test("a transaction's replies come back as one array, in order, with the right types", async () => {
  const c = await raftis.client();
  try {
    const r: RespValue[] = await c.pipeline([["MULTI"], ["SET", "x", "1"], ["GET", "x"], ["INCR", "x"], ["GET", "nope"], ["EXEC"]]);
    expect(r.map(showReply)).toEqual(["+OK", "+QUEUED", "+QUEUED", "+QUEUED", "+QUEUED", '[+OK, "1", :2, (nil bulk)]']);
  } finally {
    c.close();
  }
});
