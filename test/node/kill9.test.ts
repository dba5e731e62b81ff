// A one-node cluster on disk survives kill -9: every write it acknowledged is there after a
// restart, round after round, whatever moment the kill hit (issue 5's acceptance test).

import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConnectionClosedError, type RespClient } from "../../src/client/resp-client.ts";
import { Rng } from "../../src/engine/rng.ts";
import { showReply } from "../../src/resp/reply-parser.ts";
import { testSeed } from "../helpers/diff.ts";
import { startRaftis, type RunningServer } from "../helpers/processes.ts";
import { waitFor } from "../helpers/wait.ts";

const dir = mkdtempSync(join(tmpdir(), "raftis-kill9-"));
let node: RunningServer | null = null;

afterAll(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const rounds = 6;
const writers = 4;

/** What the writers saw acknowledged, across all rounds. */
const acked = new Map<string, string>();
const ackedIncrs = new Map<string, number>();

async function writer(c: RespClient, id: string, round: number, stop: () => boolean): Promise<void> {
  for (let seq = 0; !stop(); seq++) {
    // A small pipeline: each write is acknowledged on its own reply.
    const key = `w${id}:r${round}:${seq}`;
    const value = `${round}.${seq}.${"x".repeat(seq % 50)}`;
    try {
      const [set, incr] = await c.pipeline([
        ["SET", key, value],
        ["INCR", `counter:${id}`],
      ]);
      if (showReply(set) === "+OK") acked.set(key, value);
      if (incr.t === "int") ackedIncrs.set(id, Math.max(ackedIncrs.get(id) ?? 0, Number(incr.v)));
    } catch (e) {
      if (e instanceof ConnectionClosedError) return;
      throw e;
    }
  }
}

async function start(): Promise<RunningServer> {
  // Disk storage with fsync: the default a user gets. --init only matters at the first start.
  return startRaftis(["--init", "--dir", dir, "--raft.storage", "disk", "--raft.log-fsync", "yes"], { dir });
}

test("every acknowledged write survives SIGKILL and restart", async () => {
  const seed = testSeed();
  const rng = new Rng(seed);
  for (let round = 0; round < rounds; round++) {
    node = await start();
    const server = node;
    const clients = await Promise.all(Array.from({ length: writers }, () => server.client()));
    // Everything acknowledged in earlier rounds is back.
    const check = await server.client();
    const keys = [...acked.keys()];
    for (let i = 0; i < keys.length; i += 500) {
      const chunk = keys.slice(i, i + 500);
      const values = await check.call("MGET", ...chunk);
      if (values.t !== "array") throw new Error(`MGET failed: ${showReply(values)} (seed ${seed})`);
      chunk.forEach((k, j) => {
        const v = values.v[j];
        if (v.t !== "bulk" || v.v !== acked.get(k)) throw new Error(`round ${round}: acknowledged ${k}=${acked.get(k)} is ${showReply(v)} after restart (seed ${seed})`);
      });
    }
    for (const [id, n] of ackedIncrs) {
      const v = await check.call("GET", `counter:${id}`);
      // Unacknowledged increments may or may not have happened; acknowledged ones did.
      expect(v.t === "bulk" && Number(v.v) >= n).toBe(true);
    }
    check.close();
    // Write, then kill at a seeded moment: between a few and a few hundred acknowledgements in.
    let killed = false;
    const before = acked.size;
    const target = before + 5 + rng.nextInt(400);
    const running = clients.map((c, i) => writer(c, String(i), round, () => killed));
    await waitFor("writes to be acknowledged before the kill", () => acked.size >= target, 30000, 1);
    server.kill("SIGKILL");
    killed = true;
    await server.proc.exited;
    await Promise.all(running);
    for (const c of clients) c.close();
  }
  // One last restart to check the final round's writes too.
  node = await start();
  const c = await node.client();
  const sample = [...acked.keys()].slice(-2000);
  const values = await c.call("MGET", ...sample);
  expect(values.t).toBe("array");
  if (values.t === "array") sample.forEach((k, j) => expect(showReply(values.v[j])).toBe(JSON.stringify(acked.get(k))));
  c.close();
  expect(acked.size).toBeGreaterThan(rounds * 5);
}, 180_000);
