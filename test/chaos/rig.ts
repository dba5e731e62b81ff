// A chaos cluster for the regression tests: real nodes behind bus proxies (so links can be cut),
// a scratch directory, and a stop() that always ends every process and proxy.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChaosClient } from "../../src/chaos/client.ts";
import { RespClient } from "../../src/client/resp-client.ts";
import { ChaosCluster, infoField, replyText, type ChaosNode } from "../../src/chaos/cluster.ts";
import { ProxyNetwork } from "../../src/chaos/network.ts";
import type { RespValue } from "../../src/resp/reply-parser.ts";

export interface Rig {
  readonly cluster: ChaosCluster;
  readonly net: ProxyNetwork;
  /** Milliseconds since the rig started (history timestamps). */
  readonly now: () => number;
  readonly events: string[];
  client(timeoutMs?: number): ChaosClient;
  /** Calls on the current leader (found by asking), retrying refusals until `timeoutMs`. */
  onLeader(argv: readonly string[], timeoutMs?: number): Promise<RespValue>;
  /** Sends `commands` in one pipeline to the leader; retries the whole batch on a refusal. */
  pipelineOnLeader(commands: readonly (readonly string[])[], timeoutMs?: number): Promise<RespValue[]>;
  /** Cuts every link between `a` and the others, both ways. */
  isolate(a: ChaosNode): void;
  /** Waits until every running member applied what the leader committed. */
  settle(timeoutMs?: number): Promise<ChaosNode>;
  stop(): Promise<void>;
}

export async function startRig(size: number, opts: { electionTimeoutMs?: number; logMaxFileSize?: string; args?: string[] } = {}): Promise<Rig> {
  const root = mkdtempSync(join(tmpdir(), "raftis-regress-"));
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const events: string[] = [];
  let cluster: ChaosCluster | null = null;
  const net = new ProxyNetwork((id) => cluster?.byId(id)?.index);
  const c = new ChaosCluster({
    root,
    network: net,
    electionTimeoutMs: opts.electionTimeoutMs ?? 400,
    logMaxFileSize: opts.logMaxFileSize ?? "64mb",
    args: opts.args,
    clock: now,
    log: (l) => void events.push(`${(now() / 1000).toFixed(2)}s ${l}`),
  });
  cluster = c;
  const stop = async () => {
    await c.stop();
    await net.close();
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await c.start(size);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    cluster: c,
    net,
    now,
    events,
    client: (timeoutMs = 1500) =>
      new ChaosClient({
        addresses: () => c.members().map((n) => `${n.placement.host}:${n.placement.port}`),
        random: Math.random,
        timeoutMs,
        onOddError: (m) => void events.push(`odd error: ${m}`),
      }),
    async onLeader(argv, timeoutMs = 15_000) {
      return c.waitFor(`${argv[0]} on the leader`, timeoutMs, async () => {
        const leader = await c.leader();
        if (leader === null) return null;
        const r = await c.call(leader, argv, 3000);
        return r.t === "error" && /^(MOVED|CLUSTERDOWN|TRYAGAIN)/.test(r.v) ? null : r;
      });
    },
    async pipelineOnLeader(commands, timeoutMs = 20_000) {
      return c.waitFor("a pipeline on the leader", timeoutMs, async () => {
        const leader = await c.leader();
        if (leader === null) return null;
        const conn = await RespClient.connect(leader.placement.host, leader.placement.port);
        try {
          const replies = await conn.pipeline(commands);
          return replies.some((r) => r.t === "error" && /^(MOVED|CLUSTERDOWN|TRYAGAIN)/.test(r.v)) ? null : replies;
        } finally {
          conn.close();
        }
      });
    },
    isolate(a) {
      for (const n of c.members()) {
        if (n === a) continue;
        net.setLink(a.index, n.index, { kind: "cut" });
        net.setLink(n.index, a.index, { kind: "cut" });
      }
    },
    async settle(timeoutMs = 20_000) {
      const leader = await c.waitLeader(timeoutMs);
      const commit = Number(infoField(await c.info(leader), "raft_commit_index"));
      await c.waitFor("every member to apply", timeoutMs, async () => {
        for (const n of c.up()) if (Number(infoField(await c.info(n), "raft_last_applied_index")) < commit) return false;
        return true;
      });
      return leader;
    },
    stop,
  };
}

export { replyText };
