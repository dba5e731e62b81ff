// A node restarting on its --dir is still loading its state for a while after its port opens.
// Found by `bun run chaos` (seed 2001): a node joining during a restart of every node was told
// `-NOCLUSTER No Raft Cluster` by a member that was loading, and gave up. While loading, a node
// must answer like Redis (`-LOADING`), report `loading:1`, and refuse RAFT.CLUSTER INIT (which
// would otherwise give a member of a cluster a new identity).

import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RespClient } from "../../src/client/resp-client.ts";
import { showReply, type RespValue } from "../../src/resp/reply-parser.ts";
import { freePort, startRaftis, type RunningServer } from "../helpers/processes.ts";
import { waitFor } from "../helpers/wait.ts";

const repoRoot = join(import.meta.dir, "..", "..");
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function text(v: RespValue): string {
  return v.t === "bulk" || v.t === "simple" || v.t === "error" ? v.v : showReply(v);
}

const keys = 150_000;
const perMset = 1000;

test("a restarting node answers LOADING (never NOCLUSTER) and refuses INIT until its state is loaded", async () => {
  const dir = mkdtempSync(join(tmpdir(), "raftis-loading-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const port = freePort();
  const args = ["--port", String(port), "--dir", dir, "--raft.log-fsync", "no"];
  const first: RunningServer = await startRaftis([...args, "--init"], { dir, cluster: false });
  cleanups.push(() => first.stop());
  const c = await first.client();
  for (let i = 0; i < keys; i += perMset) {
    const argv = ["MSET"];
    for (let k = i; k < i + perMset; k++) argv.push(`key:${k}`, `v${k}`);
    expect(text(await c.call(...argv))).toBe("OK");
  }
  // A snapshot to load and a log tail after it to replay.
  expect(text(await c.call("RAFT.DEBUG", "COMPACT"))).toBe("OK");
  expect(text(await c.call("SET", "last", "written"))).toBe("OK");
  c.close();
  first.kill("SIGKILL");
  await first.proc.exited;

  const out: string[] = [];
  const proc = Bun.spawn(["bun", join(repoRoot, "src/main.ts"), ...args], { cwd: repoRoot, stdout: "pipe", stderr: "pipe" });
  cleanups.push(async () => {
    proc.kill("SIGKILL");
    await proc.exited;
  });
  void (async () => {
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) out.push(new TextDecoder().decode(chunk));
  })();
  void (async () => {
    for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) out.push(new TextDecoder().decode(chunk));
  })();

  // Connect as soon as the port opens and keep asking until the data is there.
  const seen = new Set<string>();
  const client = await waitFor("the restarted node's port", () => {
    if (proc.exitCode !== null) throw new Error(`raftis exited:\n${out.join("")}`);
    return RespClient.connect("127.0.0.1", port, 200).catch(() => undefined);
  }, 30_000, 2);
  cleanups.push(() => client.close());
  await waitFor("the last write after the restart", async () => {
    const [get, init, join, info] = await Promise.all([
      client.call("GET", "last"),
      client.call("RAFT.CLUSTER", "INIT"),
      client.call("RAFT.CLUSTER", "JOIN", "127.0.0.1:1"),
      client.call("INFO", "persistence"),
    ]);
    const loading = /^loading:(\d)/m.exec(text(info))?.[1];
    for (const r of [get, init, join]) seen.add(`${r.t === "error" ? r.v : "value"} (loading:${loading})`);
    expect(init.t === "error" ? init.v : text(init)).toMatch(/^(LOADING|ERR Already cluster member)/);
    expect(join.t === "error" ? join.v : text(join)).toMatch(/^(LOADING|ERR Already cluster member)/);
    if (get.t === "error") expect(get.v).toMatch(/^(LOADING|CLUSTERDOWN)/);
    return get.t === "bulk" && get.v === "written";
  }, 30_000, 1);
  console.log(`replies while restarting: ${[...seen].join(", ")}`);
  for (const s of seen) expect(s).not.toContain("NOCLUSTER");
  expect(text(await client.call("GET", `key:${keys - 1}`))).toBe(`v${keys - 1}`);
  expect(await client.call("DBSIZE")).toEqual({ t: "int", v: BigInt(keys + 1) });
});
