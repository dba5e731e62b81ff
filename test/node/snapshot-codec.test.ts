// A node snapshot rebuilds a state machine that behaves exactly like the original: same
// values and expiries, and the same answers to commands drawing randomness (SPOP), which
// depend on a hash table set's slot layout.

import { expect, test } from "bun:test";
import { runOnEngine } from "../helpers/in-process.ts";
import { Engine } from "../../src/engine/engine.ts";
import { defaultEngineSettings } from "../../src/engine/settings.ts";
import { Members } from "../../src/node/members.ts";
import { decodeNodeSnapshot, encodeNodeSnapshot } from "../../src/node/snapshot-codec.ts";


test("every type, expiry and a hash table set's random picks survive a snapshot", () => {
  const now = 1_800_000_000_000;
  const a = new Engine(defaultEngineSettings());
  let seed = 1;
  const both: string[][] = [
    ["SET", "s", "\x00\xffbinary"],
    ["SET", "ttl", "v", "PX", "100000"],
    ["RPUSH", "l", "a", "b", "c"],
    ["HSET", "h", "f1", "v1", "f2", "v2"],
    ["ZADD", "z", "1.5", "x", "-inf", "y"],
    ["SADD", "ints", "3", "1", "2"],
  ];
  for (const cmd of both) runOnEngine(a, cmd, now, seed++);
  // A hash table set with holes and a free list: adds and removes in a scrambled order.
  for (let i = 0; i < 300; i++) runOnEngine(a, ["SADD", "big", `m${(i * 37) % 300}`], now, seed++);
  for (let i = 0; i < 300; i += 3) runOnEngine(a, ["SREM", "big", `m${(i * 11) % 300}`], now, seed++);
  for (let i = 0; i < 40; i++) runOnEngine(a, ["SADD", "big", `n${i}`], now, seed++);
  const members = new Members();
  members.setConf({ voters: [7], learners: [], removed: [3] });
  members.setAddress(7, { addr: "10.0.0.7:6379", busAddr: "10.0.0.7:16379" });
  const data = encodeNodeSnapshot(a, members);
  const b = new Engine(defaultEngineSettings());
  runOnEngine(b, ["SET", "junk", "gone after loading"], now, 0);
  const m = decodeNodeSnapshot(data, b);
  expect(m.address(7)).toEqual({ addr: "10.0.0.7:6379", busAddr: "10.0.0.7:16379" });
  expect(m.conf.removed).toEqual([3]);
  expect(b.lastAppliedMs).toBe(a.lastAppliedMs);
  for (const read of [["GET", "s"], ["PTTL", "ttl"], ["LRANGE", "l", "0", "-1"], ["HGETALL", "h"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"], ["SMEMBERS", "ints"], ["SCARD", "big"], ["EXISTS", "junk"], ["OBJECT", "ENCODING", "big"], ["OBJECT", "ENCODING", "ints"]]) {
    expect(runOnEngine(b, read, now + 5, 0)).toBe(runOnEngine(a, read, now + 5, 0));
  }
  // The same log applied to both from here pops the same members.
  for (let i = 0; i < 60; i++) {
    const cmd = i % 4 === 3 ? ["SADD", "big", `p${i}`] : ["SPOP", "big", String(1 + (i % 3))];
    expect(runOnEngine(b, cmd, now + 10, 10_000 + i)).toBe(runOnEngine(a, cmd, now + 10, 10_000 + i));
  }
});
