// SET and its relatives answer exactly as redis-server 7.0 does, options and errors included.

import { afterAll, beforeAll, expect, test } from "bun:test";
import type { RespClient } from "../src/client/resp-client.ts";
import { pick, randomKey, randomValue, runDifferential, testSeed, type Rng } from "./helpers/diff.ts";
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

function setOptions(rng: Rng): string[] {
  const opts: string[] = [];
  const n = rng.nextInt(4);
  for (let i = 0; i < n; i++) {
    const o = pick(rng, ["NX", "XX", "GET", "KEEPTTL", "EX", "PX", "EXAT", "PXAT", "nx", "ex", "BOGUS"]);
    opts.push(o);
    if (/^(ex|px|exat|pxat)$/i.test(o) && rng.nextInt(8) !== 0) {
      opts.push(pick(rng, ["100", "100000", "0", "-5", "abc", "9223372036854775807", "4102444800", "4102444800000"]));
    }
  }
  return opts;
}

function generate(rng: Rng): string[] {
  const key = randomKey(rng, 6);
  switch (rng.nextInt(8)) {
    case 0:
    case 1:
      return ["SET", key, randomValue(rng), ...setOptions(rng)];
    case 2:
      return ["GET", key];
    case 3:
      return ["SETNX", key, randomValue(rng)];
    case 4:
      return ["GETSET", key, randomValue(rng)];
    case 5:
      return ["SETEX", key, pick(rng, ["100", "0", "-1", "x"]), randomValue(rng)];
    case 6:
      return ["PSETEX", key, pick(rng, ["100000", "0", "-1", "x"]), randomValue(rng)];
    default:
      return pick(rng, [["GET"], ["SET", key], ["SETNX", key], ["GET", key, "extra"]]);
  }
}

test("SET family matches redis-server", async () => {
  const sent = await runDifferential(a, b, { seed: testSeed(), count: 3000, generate });
  expect(sent).toBe(3000);
});
