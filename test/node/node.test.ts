// A node's life cycle (issue 5): uninitialized until RAFT.CLUSTER INIT, restarts on its --dir
// with no flags, --init only at the first start, memory storage forgets everything, INFO raft
// and CONFIG raft.* speak RedisRaft's names, RAFT.DEBUG COMPACT snapshots and compacts.

import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { showReply, type RespValue } from "../../src/resp/reply-parser.ts";
import { startRaftis, type RunningServer } from "../helpers/processes.ts";
import { waitFor } from "../helpers/wait.ts";

const started: RunningServer[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "raftis-node-"));
  dirs.push(d);
  return d;
}

/** Starts a node; `--init` only if `args` say so (never added behind the test's back). */
async function start(args: string[], dir: string): Promise<RunningServer> {
  const s = await startRaftis([...args, "--dir", dir], { dir, cluster: false });
  started.push(s);
  return s;
}

async function stop(s: RunningServer): Promise<void> {
  await s.stop();
  started.splice(started.indexOf(s), 1);
}

function text(v: RespValue): string {
  return v.t === "bulk" || v.t === "verbatim" || v.t === "simple" ? v.v : showReply(v);
}

function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)\\r$`, "m").exec(info)?.[1];
}

describe("initialization", () => {
  test("before INIT data commands answer NOCLUSTER; INIT answers OK <dbid> once", async () => {
    const s = await start(["--raft.storage", "disk"], tempDir());
    const c = await s.client();
    expect(showReply(await c.call("SET", "k", "v"))).toBe("-NOCLUSTER No Raft Cluster");
    expect(showReply(await c.call("GET", "k"))).toBe("-NOCLUSTER No Raft Cluster");
    expect(showReply(await c.call("PING"))).toBe("+PONG");
    expect(infoField(text(await c.call("INFO", "raft")), "raft_state")).toBe("uninitialized");
    const init = await c.call("RAFT.CLUSTER", "INIT");
    expect(showReply(init)).toMatch(/^\+OK [0-9a-f]{32}$/);
    expect(showReply(await c.call("RAFT.CLUSTER", "INIT"))).toBe("-ERR Already cluster member");
    await waitFor("the node to lead", async () => showReply(await c.call("SET", "k", "v")) === "+OK");
    expect(showReply(await c.call("GET", "k"))).toBe('"v"');
    c.close();
  });

  test("INIT with a dbid keeps it; a bad dbid is refused", async () => {
    const s = await start(["--raft.storage", "memory"], tempDir());
    const c = await s.client();
    expect(showReply(await c.call("RAFT.CLUSTER", "INIT", "not a dbid"))).toBe("-ERR invalid dbid: up to 32 letters and digits");
    expect(showReply(await c.call("RAFT.CLUSTER", "INIT", "abcdef0123456789abcdef0123456789"))).toBe("+OK abcdef0123456789abcdef0123456789");
    expect(infoField(text(await c.call("INFO", "raft")), "raft_dbid")).toBe("abcdef0123456789abcdef0123456789");
    c.close();
  });

  test("a restart on the same --dir restores the cluster with no flags; --init is then ignored", async () => {
    const dir = tempDir();
    const first = await start(["--init", "--raft.storage", "disk"], dir);
    let c = await first.client();
    const info1 = text(await c.call("INFO", "raft"));
    expect(showReply(await c.call("SET", "kept", "yes"))).toBe("+OK");
    c.close();
    await stop(first);
    // No flags at all: the node comes back as the same member of the same cluster.
    const second = await start(["--raft.storage", "disk"], dir);
    c = await second.client();
    await waitFor("the restarted node to serve", async () => showReply(await c.call("GET", "kept")) === '"yes"');
    const info2 = text(await c.call("INFO", "raft"));
    expect(infoField(info2, "raft_dbid")).toBe(infoField(info1, "raft_dbid"));
    expect(infoField(info2, "raft_node_id")).toBe(infoField(info1, "raft_node_id"));
    c.close();
    await stop(second);
    // --init on a directory that holds a cluster does nothing new.
    const third = await start(["--init", "--raft.storage", "disk"], dir);
    c = await third.client();
    await waitFor("the node to serve again", async () => showReply(await c.call("GET", "kept")) === '"yes"');
    expect(infoField(text(await c.call("INFO", "raft")), "raft_dbid")).toBe(infoField(info1, "raft_dbid"));
    c.close();
  });

  test("raft.storage memory writes no files and forgets the cluster on restart", async () => {
    const dir = tempDir();
    const first = await start(["--init", "--raft.storage", "memory"], dir);
    let c = await first.client();
    expect(showReply(await c.call("SET", "k", "v"))).toBe("+OK");
    c.close();
    await stop(first);
    expect(readdirSync(dir)).toEqual([]);
    const second = await start(["--raft.storage", "memory"], dir);
    c = await second.client();
    expect(showReply(await c.call("GET", "k"))).toBe("-NOCLUSTER No Raft Cluster");
    c.close();
  });
});

describe("INFO raft, CONFIG raft.*, RAFT.DEBUG COMPACT", () => {
  test("INFO raft has RedisRaft's fields and moving indexes", async () => {
    const s = await start(["--init", "--raft.storage", "disk"], tempDir());
    const c = await s.client();
    for (let i = 0; i < 20; i++) await c.call("SET", `k${i}`, "v");
    const info = text(await c.call("INFO", "raft"));
    for (const field of [
      "raft_node_id",
      "raft_state",
      "raft_role",
      "raft_leader_id",
      "raft_current_term",
      "raft_num_nodes",
      "raft_num_voting_nodes",
      "raft_log_entries",
      "raft_current_index",
      "raft_commit_index",
      "raft_last_applied_index",
      "raft_fsync_count",
      "raft_fsync_avg_microseconds",
      "raft_snapshot_last_idx",
    ]) {
      expect(infoField(info, field)).toBeDefined();
    }
    expect(infoField(info, "raft_state")).toBe("up");
    expect(infoField(info, "raft_role")).toBe("leader");
    expect(infoField(info, "raft_leader_id")).toBe(infoField(info, "raft_node_id"));
    expect(Number(infoField(info, "raft_commit_index"))).toBeGreaterThanOrEqual(22);
    expect(Number(infoField(info, "raft_last_applied_index"))).toBe(Number(infoField(info, "raft_commit_index")));
    expect(Number(infoField(info, "raft_fsync_count"))).toBeGreaterThan(0);
    expect(showReply(await c.call("RAFT.INFO"))).toContain("raft_role:leader");
    c.close();
  });

  test("CONFIG GET raft.* lists RedisRaft's options; SET changes what may change", async () => {
    const s = await start(["--init", "--raft.election-timeout", "1500"], tempDir());
    const c = await s.client();
    const all = await c.call("CONFIG", "GET", "raft.*");
    expect(all.t === "array" || all.t === "map").toBe(true);
    const pairs = showReply(all);
    for (const name of ["raft.election-timeout", "raft.request-timeout", "raft.log-fsync", "raft.quorum-reads", "raft.follower-proxy", "raft.log-max-file-size", "raft.append-req-max-count"]) {
      expect(pairs).toContain(`"${name}"`);
    }
    expect(showReply(await c.call("CONFIG", "GET", "raft.election-timeout"))).toBe('["raft.election-timeout", "1500"]');
    expect(showReply(await c.call("CONFIG", "SET", "raft.quorum-reads", "no"))).toBe("+OK");
    expect(showReply(await c.call("SET", "k", "v"))).toBe("+OK");
    expect(showReply(await c.call("GET", "k"))).toBe('"v"');
    expect(showReply(await c.call("CONFIG", "SET", "raft.storage", "disk"))).toMatch(/^-ERR CONFIG SET failed/);
    c.close();
  });

  test("RAFT.DEBUG COMPACT snapshots, compacts the log, and a restart loads the snapshot", async () => {
    const dir = tempDir();
    const s = await start(["--init", "--raft.storage", "disk"], dir);
    let c = await s.client();
    await c.pipeline(Array.from({ length: 200 }, (_, i) => ["SET", `key:${i}`, `value:${i}`]));
    await c.pipeline([["RPUSH", "list", "a", "b", "c"], ["SADD", "set", "1", "2", "x"], ["HSET", "hash", "f", "v"], ["ZADD", "zset", "1.5", "m"], ["SET", "ttl", "v", "EX", "1000"]]);
    expect(showReply(await c.call("RAFT.DEBUG", "COMPACT"))).toBe("+OK");
    const info = text(await c.call("INFO", "raft"));
    expect(Number(infoField(info, "raft_snapshot_last_idx"))).toBeGreaterThan(200);
    expect(Number(infoField(info, "raft_log_entries"))).toBeLessThan(10);
    c.close();
    await stop(s);
    const again = await start(["--raft.storage", "disk"], dir);
    c = await again.client();
    await waitFor("the node to serve", async () => showReply(await c.call("GET", "key:199")) === '"value:199"');
    expect(showReply(await c.call("LRANGE", "list", "0", "-1"))).toBe('["a", "b", "c"]');
    expect(showReply(await c.call("SCARD", "set"))).toBe(":3");
    expect(showReply(await c.call("HGET", "hash", "f"))).toBe('"v"');
    expect(showReply(await c.call("ZSCORE", "zset", "m"))).toBe('"1.5"');
    const ttl = await c.call("TTL", "ttl");
    expect(ttl.t === "int" && ttl.v > 900n).toBe(true);
    expect(showReply(await c.call("DBSIZE"))).toBe(":205");
    c.close();
  });

  // Found by `bun run bench snapshot`: a COMPACT arriving while a snapshot was being taken
  // answered +OK at once, before any snapshot existed.
  test("RAFT.DEBUG COMPACT during another snapshot answers once a snapshot covers its index", async () => {
    const s = await start(["--init", "--raft.storage", "disk", "--raft.log-fsync", "no"], tempDir());
    const a = await s.client();
    const b = await s.client();
    for (let i = 0; i < 100_000; i += 10_000) {
      await a.pipeline(Array.from({ length: 1000 }, (_, j) => ["MSET", ...Array.from({ length: 10 }, (_, k) => [`key:${i + j * 10 + k}`, "v"]).flat()]));
    }
    const applied = Number(infoField(text(await a.call("INFO", "raft")), "raft_last_applied_index"));
    const first = a.call("RAFT.DEBUG", "COMPACT");
    expect(showReply(await b.call("RAFT.DEBUG", "COMPACT"))).toBe("+OK");
    expect(Number(infoField(text(await b.call("INFO", "raft")), "raft_snapshot_last_idx"))).toBeGreaterThanOrEqual(applied);
    expect(showReply(await first)).toBe("+OK");
    a.close();
    b.close();
  });

  test("RAFT.DEBUG CLOCK shifts this node's clock: TTLs see the jump", async () => {
    const s = await start(["--init", "--raft.storage", "memory"], tempDir());
    const c = await s.client();
    expect(showReply(await c.call("SET", "k", "v", "PX", "100000"))).toBe("+OK");
    expect(showReply(await c.call("RAFT.DEBUG", "CLOCK"))).toBe(":0");
    expect(showReply(await c.call("RAFT.DEBUG", "CLOCK", "200000"))).toBe(":200000");
    expect(showReply(await c.call("GET", "k"))).toBe("(nil bulk)");
    expect(showReply(await c.call("RAFT.DEBUG", "CLOCK", "x"))).toMatch(/^-ERR clock offset/);
    c.close();
  });
});
