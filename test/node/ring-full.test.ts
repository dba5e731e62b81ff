// When the command ring to the Raft worker fills, the node stops reading clients until it
// drains (backpressure), and then goes on: nothing is lost, reordered or duplicated.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { showReply } from "../../src/resp/reply-parser.ts";
import { startRaftis, type RunningServer } from "../helpers/processes.ts";

let node: RunningServer;

beforeAll(async () => {
  // A small ring, so a few big writes fill it (and each is split into fragments).
  node = await startRaftis(["--raft.ring-size", "256kb"]);
});

afterAll(async () => {
  await node.stop();
});

function value(client: number, i: number, bytes: number): string {
  return `${client}:${i}:`.padEnd(bytes, String.fromCharCode(97 + ((client * 7 + i) % 26)));
}

test("big pipelined writes fill the command ring; all are applied, in order", async () => {
  const clients = 3;
  const perClient = 40;
  const bytes = 512 * 1024; // 60 MiB in all, through an 8 MiB ring
  const conns = await Promise.all(Array.from({ length: clients }, () => node.client()));
  const replies = await Promise.all(
    conns.map((c, ci) =>
      c.pipeline(
        Array.from({ length: perClient }, (_, i) => (i % 2 === 0 ? ["SET", `big:${ci}:${i}`, value(ci, i, bytes)] : ["APPEND", `log:${ci}`, `${i},`])),
      ),
    ),
  );
  for (const r of replies) for (const [i, v] of r.entries()) expect(i % 2 === 0 ? showReply(v) : v.t).toBe(i % 2 === 0 ? "+OK" : "int");
  const check = await node.client();
  for (let ci = 0; ci < clients; ci++) {
    // Appends applied exactly once, in the order sent.
    const expected = Array.from({ length: perClient / 2 }, (_, k) => `${2 * k + 1},`).join("");
    expect(showReply(await check.call("GET", `log:${ci}`))).toBe(JSON.stringify(expected));
    for (let i = 0; i < perClient; i += 2) {
      const v = await check.call("GET", `big:${ci}:${i}`);
      expect(v.t === "bulk" && v.v === value(ci, i, bytes)).toBe(true);
    }
  }
  const info = await check.call("INFO", "raft");
  const full = Number(/raft_command_ring_full_events:(\d+)/.exec(showReply(info))?.[1]);
  expect(full).toBeGreaterThan(0);
  check.close();
  for (const c of conns) c.close();
}, 120_000);
