// `bun run bench [suite ...] [--quick]`: raftis beside redis-server in the same run, measured
// with redis-benchmark, printed as a markdown table with ratios. Suites:
//   engine  SET/GET -c 50 at -P 1 and -P 16, single node without Raft vs redis-server
//   types   lpush, rpop, sadd, hset, zadd, zrange (redis-benchmark's own tests / ZRANGE)
//   node    one-node Raft cluster on disk (fsync on) vs redis-server appendfsync always
//   cluster three-node cluster on disk (fsync on) vs redis-server appendfsync always; failover time
//   snapshot longest client-visible pause while a node with 1M keys snapshots
// Benchmarks measure; they never fail on a figure.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TestCluster } from "../test/helpers/cluster.ts";
import { startRaftis, startRedis, type RunningServer } from "../test/helpers/processes.ts";
import { redisBenchmark, type BenchOptions, type BenchResult } from "./lib/redis-benchmark.ts";

interface Row {
  readonly workload: string;
  readonly redis: BenchResult;
  readonly raftis: BenchResult;
}

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const suites = args.filter((a) => !a.startsWith("--"));
const wanted = (name: string): boolean => suites.length === 0 || suites.includes(name);
const runs = quick ? 1 : 3;

/** Median by rps of `runs` interleaved runs, so both servers see the same machine noise. */
async function compare(label: string, a: RunningServer, b: RunningServer, opts: Omit<BenchOptions, "port">): Promise<Row[]> {
  const results: [BenchResult[], BenchResult[]][] = [];
  for (let i = 0; i < runs; i++) {
    const ra = await redisBenchmark({ ...opts, port: a.port });
    const rb = await redisBenchmark({ ...opts, port: b.port });
    results.push([ra, rb]);
  }
  const rows: Row[] = [];
  for (let t = 0; t < results[0][0].length; t++) {
    const median = (side: 0 | 1): BenchResult => {
      const sorted = results.map((r) => r[side][t]).sort((x, y) => x.rps - y.rps);
      return sorted[Math.floor(sorted.length / 2)];
    };
    rows.push({ workload: `${results[0][0][t].test} ${label}`, redis: median(0), raftis: median(1) });
  }
  return rows;
}

function table(title: string, rows: readonly Row[], against = "redis-server"): string {
  const lines = [
    `### ${title}`,
    "",
    `| workload | ${against} req/s | raftis req/s | ratio | ${against} p50 / p99 ms | raftis p50 / p99 ms |`,
    "|---|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.workload} | ${Math.round(r.redis.rps).toLocaleString("en-US")} | ${Math.round(r.raftis.rps).toLocaleString("en-US")} | ${(r.raftis.rps / r.redis.rps).toFixed(2)}× | ${r.redis.p50Ms.toFixed(3)} / ${r.redis.p99Ms.toFixed(3)} | ${r.raftis.p50Ms.toFixed(3)} / ${r.raftis.p99Ms.toFixed(3)} |`,
    );
  }
  return lines.join("\n");
}

async function engineSuite(): Promise<string> {
  const [redis, raftis] = await Promise.all([startRedis(), startRaftis(["--standalone"])]);
  try {
    const n1 = quick ? 50_000 : 200_000;
    const n16 = quick ? 200_000 : 1_000_000;
    const rows = [
      ...(await compare("-c 50 -P 1", redis, raftis, { tests: ["set", "get"], clients: 50, pipeline: 1, requests: n1, keyspace: 100_000 })),
      ...(await compare("-c 50 -P 16", redis, raftis, { tests: ["set", "get"], clients: 50, pipeline: 16, requests: n16, keyspace: 100_000 })),
    ];
    return table("Single-node engine (no Raft) vs redis-server (no persistence)", rows);
  } finally {
    await Promise.all([redis.stop(), raftis.stop()]);
  }
}

async function typesSuite(): Promise<string> {
  const [redis, raftis] = await Promise.all([startRedis(), startRaftis(["--standalone"])]);
  try {
    const n = quick ? 50_000 : 200_000;
    const base = { clients: 50, pipeline: 16, requests: n * 2, keyspace: 100_000 };
    const rows = [...(await compare("-c 50 -P 16", redis, raftis, { ...base, tests: ["lpush", "rpop", "sadd", "hset", "zadd"] }))];
    // Fill a sorted set, then read ranges from it (redis-benchmark has no ZRANGE test).
    for (const server of [redis, raftis]) {
      const c = await server.client();
      const batch: string[][] = [];
      for (let i = 0; i < 1000; i++) batch.push(["ZADD", "bench:z", String(i), `m${i}`]);
      await c.pipeline(batch);
      c.close();
    }
    rows.push(...(await compare("-c 50 -P 16", redis, raftis, { ...base, command: ["ZRANGE", "bench:z", "100", "109", "WITHSCORES"] })));
    return table("Data types (redis-benchmark -t lpush,rpop,sadd,hset,zadd; ZRANGE of 10 on a 1000-member set)", rows);
  } finally {
    await Promise.all([redis.stop(), raftis.stop()]);
  }
}

/** fsyncs and log records so far, from INFO raft. */
async function fsyncFigures(server: RunningServer): Promise<{ fsyncs: number; records: number }> {
  const c = await server.client();
  const info = await c.call("INFO", "raft");
  c.close();
  const text = info.t === "bulk" || info.t === "verbatim" ? info.v : "";
  const field = (name: string): number => Number(new RegExp(`${name}:(\\d+)`).exec(text)?.[1] ?? 0);
  return { fsyncs: field("raft_fsync_count"), records: field("raft_log_records_written") };
}

async function nodeSuite(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "raftis-bench-"));
  const [redis, raftis] = await Promise.all([
    startRedis(["--appendonly", "yes", "--appendfsync", "always", "--dir", dir]),
    startRaftis(["--init", "--raft.storage", "disk", "--raft.log-fsync", "yes"]),
  ]);
  try {
    const n = quick ? 20_000 : 100_000;
    const rows: Row[] = [];
    const fsync: string[] = [];
    const cases: [string, Omit<BenchOptions, "port">][] = [
      ["-c 50 -P 1", { tests: ["set"], clients: 50, pipeline: 1, requests: n, keyspace: 100_000 }],
      ["-c 50 -P 16", { tests: ["set"], clients: 50, pipeline: 16, requests: n * 4, keyspace: 100_000 }],
      ["-c 1 -P 1", { tests: ["set"], clients: 1, pipeline: 1, requests: quick ? 2_000 : 10_000, keyspace: 100_000 }],
      ["-c 50 -P 1", { tests: ["get"], clients: 50, pipeline: 1, requests: n, keyspace: 100_000 }],
    ];
    for (const [label, opts] of cases) {
      const before = await fsyncFigures(raftis);
      const started = performance.now();
      const r = await compare(label, redis, raftis, opts);
      const seconds = (performance.now() - started) / 1000;
      const after = await fsyncFigures(raftis);
      rows.push(...r);
      const fsyncs = after.fsyncs - before.fsyncs;
      const records = after.records - before.records;
      if (fsyncs > 0) fsync.push(`| ${r[0].workload} | ${fsyncs.toLocaleString("en-US")} | ${records.toLocaleString("en-US")} | ${(records / fsyncs).toFixed(1)} | ${Math.round(fsyncs / seconds).toLocaleString("en-US")} (both servers' runs) |`);
    }
    return [
      table("One-node raftis cluster (disk, fsync on) vs redis-server appendonly + appendfsync always", rows, "redis always"),
      "",
      "raftis group commit during those runs:",
      "",
      "| workload | fsyncs | log records | records per fsync | fsyncs/s |",
      "|---|---:|---:|---:|---:|",
      ...fsync,
    ].join("\n");
  } finally {
    await Promise.all([redis.stop(), raftis.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function clusterSuite(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "raftis-bench-"));
  const redis = await startRedis(["--appendonly", "yes", "--appendfsync", "always", "--dir", dir]);
  const cluster = await TestCluster.start(3, { args: ["--raft.election-timeout", "1000"] });
  try {
    const leader = await cluster.waitLeader();
    const server = leader.server as RunningServer;
    const n = quick ? 20_000 : 100_000;
    const rows = [
      ...(await compare("-c 50 -P 1", redis, server, { tests: ["set", "get"], clients: 50, pipeline: 1, requests: n, keyspace: 100_000 })),
      ...(await compare("-c 50 -P 16", redis, server, { tests: ["set", "get"], clients: 50, pipeline: 16, requests: n * 4, keyspace: 100_000 })),
      ...(await compare("-c 1 -P 1", redis, server, { tests: ["set", "get"], clients: 1, pipeline: 1, requests: quick ? 2_000 : 10_000, keyspace: 100_000 })),
    ];
    // Failover: SIGKILL the leader, time until a write is acknowledged by the next one.
    const failovers: number[] = [];
    for (let i = 0; i < (quick ? 1 : 3); i++) {
      const old = await cluster.waitLeader();
      const t0 = performance.now();
      await cluster.crash(old);
      for (;;) {
        const next = await cluster.waitLeader(30_000, cluster.running());
        const r = await cluster.call(next, "SET", "failover", String(i)).catch(() => null);
        if (r !== null && r.t === "simple") break;
      }
      failovers.push(performance.now() - t0);
      await cluster.restart(old);
      await cluster.waitVoters(3);
    }
    return [
      table("Three-node raftis cluster (disk, fsync on; clients on the leader) vs redis-server appendonly + appendfsync always", rows, "redis always"),
      "",
      `Failover (SIGKILL of the leader until the next one acknowledges a write, election timeout 1000 ms): ${failovers.map((f) => `${Math.round(f)} ms`).join(", ")}.`,
    ].join("\n");
  } finally {
    await Promise.all([redis.stop(), cluster.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function snapshotSuite(): Promise<string> {
  const node = await startRaftis(["--init", "--raft.storage", "disk", "--raft.log-fsync", "no", "--raft.log-max-file-size", "100gb"]);
  try {
    const keys = quick ? 200_000 : 1_000_000;
    const c = await node.client();
    for (let i = 0; i < keys; i += 10_000) {
      await c.pipeline(Array.from({ length: 1000 }, (_, j) => ["MSET", ...Array.from({ length: 10 }, (_, k) => [`key:${i + j * 10 + k}`, `value:${i + j * 10 + k}`]).flat()]));
    }
    // A prober measures the gaps clients see while the snapshot is taken.
    const probe = await node.client();
    let stop = false;
    let worst = 0;
    let probes = 0;
    const probing = (async () => {
      while (!stop) {
        const t = performance.now();
        await probe.call("GET", "key:1");
        worst = Math.max(worst, performance.now() - t);
        probes++;
      }
    })();
    const t0 = performance.now();
    await c.call("RAFT.DEBUG", "COMPACT");
    const total = performance.now() - t0;
    stop = true;
    await probing;
    c.close();
    probe.close();
    return [
      `### Snapshot of ${keys.toLocaleString("en-US")} keys (incremental, copy-on-write)`,
      "",
      `RAFT.DEBUG COMPACT took ${Math.round(total)} ms; a client reading meanwhile (${probes} GETs) waited at most ${worst.toFixed(1)} ms for one reply.`,
    ].join("\n");
  } finally {
    await node.stop();
  }
}

const sections: string[] = [];
const started = Date.now();
if (wanted("engine")) sections.push(await engineSuite());
if (wanted("types")) sections.push(await typesSuite());
if (wanted("node")) sections.push(await nodeSuite());
if (wanted("cluster")) sections.push(await clusterSuite());
if (wanted("snapshot")) sections.push(await snapshotSuite());
const cpu = (await Bun.file("/proc/cpuinfo").text().catch(() => "")).match(/model name\s*:\s*(.*)/)?.[1] ?? "unknown CPU";
console.log(`\n## raftis benchmark (${new Date().toISOString().slice(0, 10)}, ${navigator.hardwareConcurrency} cores, ${cpu}, bun ${Bun.version})\n`);
console.log(`Command: \`bun run bench ${args.join(" ")}\`; median of ${runs} interleaved runs; ${((Date.now() - started) / 1000).toFixed(0)} s.\n`);
console.log(sections.join("\n\n"));
