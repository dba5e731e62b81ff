// Expiry: lazy (an expired key reads as absent; reads never delete, writes do), active (keys
// nobody touches are removed in the background), TTL values (checked with a tolerance, never
// exact timing), and which commands keep, move or drop a TTL, compared with redis-server.

import { afterAll, beforeAll, expect, test } from "bun:test";
import type { RespClient } from "../src/client/resp-client.ts";
import { showReply, type RespValue } from "../src/resp/reply-parser.ts";
import { startRaftis, startRedis, type RunningServer } from "./helpers/processes.ts";
import { waitFor } from "./helpers/wait.ts";

let raftis: RunningServer;
let redis: RunningServer;
let c: RespClient;
let oracle: RespClient;

beforeAll(async () => {
  [raftis, redis] = await Promise.all([startRaftis(), startRedis()]);
  [c, oracle] = await Promise.all([raftis.client(), redis.client()]);
});

afterAll(async () => {
  c?.close();
  oracle?.close();
  await Promise.all([raftis?.stop(), redis?.stop()]);
});

function int(v: RespValue): number {
  if (v.t !== "int") throw new Error(`expected an integer reply, got ${JSON.stringify(v)}`);
  return Number(v.v);
}

const nil: RespValue = { t: "null", v: "bulk" };

test("lazy expiry: an expired key reads as absent, stays stored until a write removes it", async () => {
  await c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
  try {
    await c.call("FLUSHALL");
    await c.call("SET", "lazy", "v", "PX", "100");
    await waitFor("lazy to read as absent", async () => (await c.call("GET", "lazy")).t === "null", 5000);
    expect(await c.call("EXISTS", "lazy")).toEqual({ t: "int", v: 0n });
    expect(await c.call("TTL", "lazy")).toEqual({ t: "int", v: -2n });
    expect(await c.call("TYPE", "lazy")).toEqual({ t: "simple", v: "none" });
    expect(await c.call("KEYS", "*")).toEqual({ t: "array", v: [] });
    expect(await c.call("SCAN", "0")).toEqual({ t: "array", v: [{ t: "bulk", v: "0" }, { t: "array", v: [] }] });
    expect(await c.call("RANDOMKEY")).toEqual(nil);
    // Reads never delete (so replicas agree), and nothing runs in the background now.
    expect(await c.call("DBSIZE")).toEqual({ t: "int", v: 1n });
    // A write looks the key up for writing, which removes it first: INCR starts from 0.
    expect(await c.call("INCR", "lazy")).toEqual({ t: "int", v: 1n });
    expect(await c.call("TTL", "lazy")).toEqual({ t: "int", v: -1n });
    expect(await c.call("DBSIZE")).toEqual({ t: "int", v: 1n });
  } finally {
    await c.call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
  }
});

test("active expiry removes keys nobody touches", async () => {
  await c.call("FLUSHALL");
  const cmds: string[][] = [];
  for (let i = 0; i < 3000; i++) cmds.push(["SET", `active:${i}`, "v", "PX", String(50 + (i % 100))]);
  for (let i = 0; i < 10; i++) cmds.push(["SET", `stays:${i}`, "v"]);
  await c.pipeline(cmds);
  await waitFor("only the keys without TTL to remain", async () => int(await c.call("DBSIZE")) === 10, 10000);
  expect(int(await c.call("EXISTS", "stays:0", "stays:9"))).toBe(2);
});

test("TTL, PTTL, EXPIRETIME and PEXPIRETIME report the expiry", async () => {
  await c.call("FLUSHALL");
  const before = Date.now();
  await c.call("SET", "t", "v", "EX", "100");
  const ttl = int(await c.call("TTL", "t"));
  const pttl = int(await c.call("PTTL", "t"));
  expect(ttl).toBeGreaterThanOrEqual(99);
  expect(ttl).toBeLessThanOrEqual(100);
  expect(pttl).toBeGreaterThan(90000);
  expect(pttl).toBeLessThanOrEqual(100000);
  const at = int(await c.call("PEXPIRETIME", "t"));
  expect(at).toBeGreaterThanOrEqual(before + 100000 - 1000); // the server's clock may lag ours a little
  expect(at).toBeLessThanOrEqual(Date.now() + 100000 + 1000);
  expect(int(await c.call("EXPIRETIME", "t"))).toBe(Math.floor((at + 500) / 1000));

  expect(int(await c.call("PEXPIREAT", "t", "4102444800123"))).toBe(1);
  expect(int(await c.call("PEXPIRETIME", "t"))).toBe(4102444800123);
  expect(int(await c.call("EXPIRETIME", "t"))).toBe(4102444800);
  expect(int(await c.call("EXPIREAT", "t", "4102444801"))).toBe(1);
  expect(int(await c.call("PEXPIRETIME", "t"))).toBe(4102444801000);

  expect(int(await c.call("PEXPIRE", "t", "5000"))).toBe(1);
  const p = int(await c.call("PTTL", "t"));
  expect(p).toBeGreaterThan(0);
  expect(p).toBeLessThanOrEqual(5000);
  expect(int(await c.call("TTL", "nokey"))).toBe(-2);
  expect(int(await c.call("PTTL", "nokey"))).toBe(-2);
  await c.call("SET", "plain", "v");
  expect(int(await c.call("TTL", "plain"))).toBe(-1);
  expect(int(await c.call("EXPIRETIME", "plain"))).toBe(-1);
});

test("a time in the past deletes the key at once", async () => {
  await c.pipeline([["SET", "p1", "v"], ["SET", "p2", "v"], ["SET", "p3", "v"]]);
  expect(int(await c.call("EXPIRE", "p1", "-1"))).toBe(1);
  expect(int(await c.call("PEXPIREAT", "p2", "1"))).toBe(1);
  expect(await c.call("GETEX", "p3", "EXAT", "1")).toEqual({ t: "bulk", v: "v" });
  expect(int(await c.call("EXISTS", "p1", "p2", "p3"))).toBe(0);
});

test("SET KEEPTTL keeps the TTL, plain SET drops it, PERSIST removes it", async () => {
  await c.call("SET", "keep", "v1", "EX", "1000");
  await c.call("SET", "keep", "v2", "KEEPTTL");
  expect(int(await c.call("TTL", "keep"))).toBeGreaterThan(990);
  expect(await c.call("GET", "keep")).toEqual({ t: "bulk", v: "v2" });
  await c.call("SET", "keep", "v3");
  expect(int(await c.call("TTL", "keep"))).toBe(-1);
  await c.call("EXPIRE", "keep", "1000");
  expect(int(await c.call("PERSIST", "keep"))).toBe(1);
  expect(int(await c.call("PERSIST", "keep"))).toBe(0);
  expect(int(await c.call("PERSIST", "nokey"))).toBe(0);
  expect(int(await c.call("TTL", "keep"))).toBe(-1);
});

test("the TTL travels with RENAME and COPY, and the copies expire", async () => {
  await c.call("FLUSHALL");
  await c.call("SET", "orig", "v", "PX", "300");
  await c.call("COPY", "orig", "copied");
  await c.call("RENAME", "orig", "moved");
  expect(int(await c.call("PTTL", "moved"))).toBeGreaterThan(0);
  expect(int(await c.call("PTTL", "copied"))).toBeGreaterThan(0);
  expect(int(await c.call("PEXPIRETIME", "moved"))).toBe(int(await c.call("PEXPIRETIME", "copied")));
  await waitFor("the renamed and the copied key to expire", async () => (await c.call("EXISTS", "moved", "copied")).v === 0n, 5000);
  await waitFor("active expiry to remove them", async () => int(await c.call("DBSIZE")) === 0, 5000);
});

/** Whether a key has a TTL, in a form that does not depend on timing. */
function ttlShape(v: RespValue): string {
  const n = int(v);
  return n >= 0 ? "has ttl" : String(n);
}

test("which commands keep, move or drop a TTL, as redis-server", async () => {
  const cases: string[][][] = [
    [["INCR", "x"]],
    [["INCRBY", "x", "5"]],
    [["DECR", "x"]],
    [["INCRBYFLOAT", "x", "1.5"]],
    [["APPEND", "x", "1"]],
    [["SETRANGE", "x", "0", "9"]],
    [["SETBIT", "x", "3", "1"]],
    [["GETSET", "x", "1"]],
    [["SET", "x", "1"]],
    [["SET", "x", "1", "KEEPTTL"]],
    [["SET", "x", "1", "GET"]],
    [["MSET", "x", "1"]],
    [["GETEX", "x"]],
    [["GETEX", "x", "PERSIST"]],
    [["GETDEL", "x"]],
    [["EXPIRE", "x", "100", "NX"]],
    [["EXPIRE", "x", "100", "GT"]],
    [["EXPIRE", "x", "100000", "GT"]],
    [["EXPIRE", "x", "100", "LT"]],
    [["SET", "y", "7"], ["BITOP", "OR", "x", "y"]],
    [["SET", "y", "7", "EX", "500"], ["RENAME", "y", "x"]],
    [["SET", "y", "7"], ["RENAME", "y", "x"]],
    [["SET", "y", "7"], ["COPY", "y", "x", "REPLACE"]],
    [["SET", "y", "7", "EX", "500"], ["COPY", "y", "x", "REPLACE"]],
    [["RENAME", "x", "y"]],
    [["COPY", "x", "y"]],
  ];
  for (const steps of cases) {
    const script = [["FLUSHALL"], ["SET", "x", "10", "EX", "1000"], ...steps, ["TTL", "x"], ["TTL", "y"]];
    const [expected, actual] = await Promise.all([oracle.pipeline(script), c.pipeline(script)]);
    const n = script.length;
    const describe = (r: RespValue[]): string[] => [...r.slice(2, n - 2).map(showReply), ttlShape(r[n - 2]), ttlShape(r[n - 1])];
    expect({ steps, replies: describe(actual) }).toEqual({ steps, replies: describe(expected) });
  }
});
