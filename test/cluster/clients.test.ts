// Cluster-aware clients follow the leader by themselves (issue 6): ioredis Cluster and node-redis
// createCluster run a workload across leader changes with no special code, because CLUSTER
// SLOTS/SHARDS name the leader and followers answer -MOVED. Also raft.follower-proxy (any node
// answers) and raft.follower-reads (followers serve linearizable reads).

import { afterEach, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { createCluster } from "redis";
import { showReply } from "../../src/resp/reply-parser.ts";
import { TestCluster, text, type ClusterNode } from "../helpers/cluster.ts";
import { waitFor } from "../helpers/wait.ts";

const args = ["--raft.election-timeout", "500"];
let cluster: TestCluster | null = null;

afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});

/** Moves leadership to another node and waits until it serves. */
async function changeLeader(c: TestCluster): Promise<ClusterNode> {
  const leader = await c.waitLeader();
  const target = c.nodes.find((n) => n !== leader && n.server !== null) as ClusterNode;
  expect(showReply(await c.call(leader, "RAFT.TRANSFER_LEADER", String(target.id)))).toBe("+OK");
  return waitFor("the new leader", async () => ((await c.waitLeader()) === target ? target : undefined));
}

describe("cluster clients", () => {
  test("ioredis Cluster keeps working across leader changes", async () => {
    cluster = await TestCluster.start(3, { args, storage: "memory" });
    const c = cluster;
    const client = new Redis.Cluster(
      c.nodes.map((n) => ({ host: "127.0.0.1", port: n.port })),
      { retryDelayOnClusterDown: 100, retryDelayOnTryAgain: 100, retryDelayOnMoved: 20, maxRedirections: 64, slotsRefreshTimeout: 2000 },
    );
    try {
      let written = 0;
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 100; i++, written++) expect(await client.set(`io:${written}`, String(written))).toBe("OK");
        expect(await client.incr("io:counter")).toBe(round + 1);
        await changeLeader(c);
      }
      for (let i = 0; i < written; i += 37) expect(await client.get(`io:${i}`)).toBe(String(i));
      const tx = await client.multi().set("io:tx", "1").incr("io:tx").exec();
      expect(tx).toEqual([[null, "OK"], [null, 2]]);
    } finally {
      client.disconnect();
    }
  }, 90_000);

  test("node-redis createCluster keeps working across leader changes", async () => {
    cluster = await TestCluster.start(3, { args, storage: "memory" });
    const c = cluster;
    const client = createCluster({ rootNodes: c.nodes.map((n) => ({ url: `redis://127.0.0.1:${n.port}` })), maxCommandRedirections: 64 });
    client.on("error", () => {});
    await client.connect();
    try {
      let written = 0;
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 100; i++, written++) {
          // After a leader change node-redis may see -CLUSTERDOWN until it rediscovers: retry that.
          await waitFor("a SET", async () => (await client.set(`nr:${written}`, String(written)).catch(() => null)) === "OK", 20000, 50);
        }
        await changeLeader(c);
      }
      for (let i = 0; i < written; i += 37) expect(await client.get(`nr:${i}`)).toBe(String(i));
    } finally {
      await client.close().catch(() => {});
    }
  }, 90_000);
});

describe("follower options", () => {
  test("raft.follower-proxy yes: followers forward commands and MULTI bundles to the leader", async () => {
    cluster = await TestCluster.start(3, { args: [...args, "--raft.follower-proxy", "yes"], storage: "memory" });
    const c = cluster;
    const leader = await c.waitLeader();
    const follower = c.nodes.find((n) => n !== leader) as ClusterNode;
    const f = await c.client(follower);
    expect(showReply(await f.call("SET", "p", "1"))).toBe("+OK");
    expect(showReply(await f.call("INCR", "p"))).toBe(":2");
    expect(showReply(await f.pipeline([["MULTI"], ["INCR", "p"], ["GET", "p"], ["EXEC"]]).then((r) => r[3]))).toBe('[:3, "3"]');
    expect(text(await c.call(leader, "GET", "p"))).toBe("3");
    // RESP3 replies are relayed in the client's protocol.
    await f.call("HELLO", "3");
    expect(showReply(await f.call("HGETALL", "nohash"))).toBe("{}");
  }, 60_000);

  test("raft.follower-reads yes: a follower serves reads that see every acknowledged write", async () => {
    cluster = await TestCluster.start(3, { args: [...args, "--raft.follower-reads", "yes"], storage: "memory" });
    const c = cluster;
    const leader = await c.waitLeader();
    const follower = c.nodes.find((n) => n !== leader) as ClusterNode;
    const w = await c.client(leader);
    const r = await c.client(follower);
    for (let i = 0; i < 200; i++) {
      expect(showReply(await w.call("SET", "fr", String(i)))).toBe("+OK");
      // Linearizable: the read follows the acknowledged write, so it must see it (or later).
      expect(text(await r.call("GET", "fr"))).toBe(String(i));
    }
    expect(showReply(await r.call("SET", "fr", "x"))).toBe(`-MOVED 0 127.0.0.1:${leader.port}`);
  }, 60_000);

  test("raft.cluster-password: nodes sharing the password form a cluster (wrong passwords: test/bus/security)", async () => {
    cluster = await TestCluster.start(2, { args: [...args, "--raft.cluster-password", "s3cret"], storage: "memory" });
    const c = cluster;
    await c.waitVoters(2);
    const leader = await c.waitLeader();
    expect(showReply(await c.call(leader, "SET", "k", "v"))).toBe("+OK");
  }, 60_000);
});
