// The command rows of the list and sorted-set families describe each command as Redis 7.0
// does: COMMAND INFO's name, arity, flags and first/last/step key positions, COMMAND GETKEYS for
// commands with numkeys, and COMMAND DOCS's summary, since, group and complexity.

import { afterAll, beforeAll, expect, test } from "bun:test";
import type { RespClient } from "../src/client/resp-client.ts";
import { listCommands } from "../src/commands/lists.ts";
import { zsetCommands } from "../src/commands/zsets.ts";
import { showReply, type RespValue } from "../src/resp/reply-parser.ts";
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

const names = [...listCommands, ...zsetCommands].map((c) => c.name);

function items(v: RespValue): RespValue[] {
  if (v.t !== "array" && v.t !== "set") throw new Error(`expected an array, got ${showReply(v)}`);
  return v.v;
}

test("COMMAND INFO: arity, flags and key positions", async () => {
  const [ra, rb] = await Promise.all([a.call("COMMAND", "INFO", ...names), b.call("COMMAND", "INFO", ...names)]);
  const ia = items(ra);
  const ib = items(rb);
  expect(ib.length).toBe(names.length);
  for (let i = 0; i < names.length; i++) {
    // name, arity, flags, first key, last key, step (key specs come from the shared table code).
    const head = (v: RespValue) => items(v).slice(0, 6).map(showReply).join(" ");
    expect(head(ib[i]), names[i]).toBe(head(ia[i]));
  }
});

test("COMMAND DOCS: summary, since, group and complexity", async () => {
  for (const name of names) {
    const [ra, rb] = await Promise.all([a.call("COMMAND", "DOCS", name), b.call("COMMAND", "DOCS", name)]);
    const fields = (v: RespValue): Record<string, string> => {
      const doc = items(v)[1];
      const flat: [RespValue, RespValue][] = doc.t === "map" ? doc.v : [];
      if (doc.t === "array") for (let i = 0; i + 1 < doc.v.length; i += 2) flat.push([doc.v[i], doc.v[i + 1]]);
      const out: Record<string, string> = {};
      for (const [k, val] of flat) {
        const key = showReply(k);
        if (["\"summary\"", "\"since\"", "\"group\"", "\"complexity\""].includes(key)) out[key] = showReply(val);
      }
      return out;
    };
    expect(fields(rb), name).toEqual(fields(ra));
  }
});

test("COMMAND GETKEYS for the numkeys commands", async () => {
  const cases = [
    ["LMPOP", "2", "a", "b", "LEFT", "COUNT", "3"],
    ["ZMPOP", "3", "a", "b", "c", "MIN"],
    ["ZUNIONSTORE", "dst", "2", "a", "b", "WEIGHTS", "1", "2"],
    ["ZINTERSTORE", "dst", "1", "a"],
    ["ZDIFFSTORE", "dst", "2", "a", "b"],
    ["ZUNION", "2", "a", "b", "WITHSCORES"],
    ["ZINTER", "1", "a"],
    ["ZDIFF", "3", "a", "b", "c"],
    ["ZINTERCARD", "2", "a", "b", "LIMIT", "1"],
    ["LMOVE", "a", "b", "LEFT", "RIGHT"],
    ["ZRANGESTORE", "dst", "src", "0", "-1"],
  ];
  for (const argv of cases) {
    const [ra, rb] = await Promise.all([a.call("COMMAND", "GETKEYS", ...argv), b.call("COMMAND", "GETKEYS", ...argv)]);
    expect(showReply(rb), argv.join(" ")).toBe(showReply(ra));
  }
});
