// Real three- and five-node clusters (issue 6): they form by INIT/JOIN, followers answer -MOVED to
// the leader, CLUSTER SLOTS names the leader, and losing the leader (SIGKILL under write load, or
// SIGSTOP) loses no acknowledged write, elects a new leader that takes writes, and lets the old
// one catch up; a paused old leader never serves a stale read.

import { afterEach, describe, expect, test } from "bun:test";
import { ConnectionClosedError } from "../../src/client/resp-client.ts";
import { showReply } from "../../src/resp/reply-parser.ts";
import { TestCluster, infoField, text, type ClusterNode } from "../helpers/cluster.ts";
import { waitFor } from "../helpers/wait.ts";

const electionTimeout = 500;
const args = ["--raft.election-timeout", String(electionTimeout)];
let cluster: TestCluster | null = null;

afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});

/** Writers SET unique keys against whatever node leads; records what was acknowledged. */
function startWriters(c: TestCluster, count: number): { acked: Map<string, string>; stop: () => Promise<void> } {
  const acked = new Map<string, string>();
  let stopped = false;
  const loops = Array.from({ length: count }, async (_, w) => {
    for (let seq = 0; !stopped; seq++) {
      let target: ClusterNode;
      try {
        target = await c.waitLeader(20000);
      } catch {
        continue;
      }
      const key = `w${w}:${seq}`;
      try {
        const r = await c.call(target, "SET", key, String(seq));
        if (showReply(r) === "+OK") acked.set(key, String(seq));
      } catch (e) {
        if (!(e instanceof ConnectionClosedError) && !/connect|ECONNREFUSED|timed out/i.test(String(e))) throw e;
      }
    }
  });
  return {
    acked,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

async function expectAll(c: TestCluster, node: ClusterNode, acked: Map<string, string>): Promise<void> {
  const keys = [...acked.keys()];
  for (let i = 0; i < keys.length; i += 500) {
    const chunk = keys.slice(i, i + 500);
    const r = await c.call(node, "MGET", ...chunk);
    expect(r.t).toBe("array");
    if (r.t !== "array") return;
    chunk.forEach((k, j) => {
      if (showReply(r.v[j]) !== JSON.stringify(acked.get(k))) throw new Error(`acknowledged ${k}=${acked.get(k)} reads ${showReply(r.v[j])} on node ${node.index}`);
    });
  }
}

describe("formation", () => {
  test("three nodes: writes on the leader, MOVED from followers, CLUSTER SLOTS names the leader", async () => {
    cluster = await TestCluster.start(3, { args });
    const c = cluster;
    const leader = await c.waitLeader();
    expect(showReply(await c.call(leader, "SET", "k", "v"))).toBe("+OK");
    for (const n of c.nodes) {
      if (n === leader) continue;
      expect(showReply(await c.call(n, "GET", "k"))).toBe(`-MOVED 0 127.0.0.1:${leader.port}`);
      expect(showReply(await c.call(n, "SET", "k", "w"))).toBe(`-MOVED 0 127.0.0.1:${leader.port}`);
      const slots = showReply(await c.call(n, "CLUSTER", "SLOTS"));
      expect(slots).toStartWith(`[[:0, :16383, ["127.0.0.1", :${leader.port}, "${leader.id.toString(16).padStart(40, "0")}"`);
    }
    // Every node applied the write.
    for (const n of c.nodes) {
      await waitFor(`node ${n.index} to apply`, async () => Number(infoField(await c.info(n), "raft_last_applied_index")) >= Number(infoField(await c.info(leader), "raft_commit_index")));
    }
    expect(infoField(await c.info(leader), "raft_num_voting_nodes")).toBe("3");
  }, 60_000);

  test("five nodes form and replicate", async () => {
    cluster = await TestCluster.start(5, { args, storage: "memory" });
    const c = cluster;
    const leader = await c.waitLeader();
    const cl = await c.client(leader);
    await cl.pipeline(Array.from({ length: 100 }, (_, i) => ["SET", `k${i}`, String(i)]));
    const commit = Number(infoField(await c.info(leader), "raft_commit_index"));
    for (const n of c.nodes) {
      await waitFor(`node ${n.index} to apply ${commit}`, async () => Number(infoField(await c.info(n), "raft_last_applied_index")) >= commit);
    }
  }, 60_000);
});

describe("failover", () => {
  test("SIGKILL of the leader under write load: no acknowledged write lost, new leader, old one catches up", async () => {
    cluster = await TestCluster.start(3, { args });
    const c = cluster;
    const writers = startWriters(c, 4);
    await waitFor("some writes", () => writers.acked.size > 200, 30000, 5);
    const old = await c.waitLeader();
    const killedAt = performance.now();
    await c.crash(old);
    const next = await c.waitLeader(20000, c.running());
    await waitFor("a write on the new leader", async () => showReply(await c.call(next, "SET", "probe", "1")) === "+OK", 20000, 10);
    const failoverMs = performance.now() - killedAt;
    console.log(`failover: a write was acknowledged ${failoverMs.toFixed(0)} ms after SIGKILL (election timeout ${electionTimeout} ms)`);
    const before = writers.acked.size;
    await waitFor("writes on the new leader", () => writers.acked.size > before + 100, 30000, 5);
    await writers.stop();
    expect(next).not.toBe(old);
    await expectAll(c, next, writers.acked);
    // The old leader comes back as a follower and catches up.
    await c.restart(old);
    const commit = Number(infoField(await c.info(next), "raft_commit_index"));
    await waitFor("the old leader to catch up", async () => Number(infoField(await c.info(old), "raft_last_applied_index")) >= commit, 30000);
    expect(infoField(await c.info(old), "raft_role")).toBe("follower");
  }, 120_000);

  test("SIGSTOP of the leader: a new leader takes over; the paused one never serves a stale read", async () => {
    cluster = await TestCluster.start(3, { args, storage: "memory" });
    const c = cluster;
    const old = await c.waitLeader();
    expect(showReply(await c.call(old, "SET", "x", "before"))).toBe("+OK");
    // A client connected to the old leader before it freezes.
    const stale = await c.client(old);
    c.pause(old);
    const next = await c.waitLeader(20000, c.running().filter((n) => n !== old));
    expect(showReply(await c.call(next, "SET", "x", "after"))).toBe("+OK");
    // A read queued on the frozen leader runs only once it thaws; it must not see "before".
    const read = stale.call("GET", "x");
    c.resume(old);
    const r = showReply(await read);
    expect(r === '"after"' || r.startsWith("-MOVED") || r.startsWith("-CLUSTERDOWN") || r.startsWith("-TRYAGAIN")).toBe(true);
    expect(r).not.toBe('"before"');
    await waitFor("the old leader to follow", async () => infoField(await c.info(old), "raft_role") === "follower");
  }, 60_000);
});

describe("leadership transfer", () => {
  test("RAFT.TRANSFER_LEADER moves leadership to the named node", async () => {
    cluster = await TestCluster.start(3, { args, storage: "memory" });
    const c = cluster;
    const leader = await c.waitLeader();
    const target = c.nodes.find((n) => n !== leader) as ClusterNode;
    expect(showReply(await c.call(leader, "RAFT.TRANSFER_LEADER", String(target.id)))).toBe("+OK");
    await waitFor("the target to lead", async () => infoField(await c.info(target), "raft_role") === "leader");
    expect(showReply(await c.call(await c.waitLeader(), "SET", "after-transfer", "1"))).toBe("+OK");
    expect(text(await c.call(target, "GET", "after-transfer"))).toBe("1");
  }, 60_000);
});
