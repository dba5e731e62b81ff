// One chaos run: start a cluster, run the workloads' clients while the nemesis follows its
// seeded schedule, heal everything, wait for the cluster to recover, read every key once more,
// stop, and check the histories. Returns everything the summary prints; the run directory keeps
// the node logs, the histories and the event log (removed after a clean run unless `keep`).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SimRandom } from "../sim/random.ts";
import { ChaosClient } from "./client.ts";
import { ChaosCluster, infoField, type UnexpectedExit } from "./cluster.ts";
import { ListAppendWorkload } from "./list-append.ts";
import { Nemesis, type FaultRecord } from "./nemesis.ts";
import { NetnsNetwork } from "./netns.ts";
import { ProxyNetwork, type ChaosNetwork } from "./network.ts";
import { RegisterWorkload } from "./register.ts";
import { describeStep, makeSchedule, type FaultStep, type NemesisKind } from "./schedule.ts";
import type { OutcomeCounts, Workload, WorkloadCheck, WorkloadName } from "./workload.ts";

export interface ChaosOptions {
  readonly nodes: number;
  readonly timeMs: number;
  readonly nemeses: readonly NemesisKind[];
  readonly workloads: readonly WorkloadName[];
  readonly seed: number;
  readonly netns: boolean;
  /** Mean time between fault steps. */
  readonly intervalMs: number;
  /** Concurrent clients per workload. */
  readonly clients: number;
  readonly electionTimeoutMs: number;
  /** A client gives up waiting for a reply after this long (the outcome is unknown). */
  readonly clientTimeoutMs: number;
  /** Bound on recovery after the final heal. */
  readonly recoveryMs: number;
  readonly logMaxFileSize: string;
  /** Nodes forward commands to the leader (raft.follower-proxy): clients stay on any node. */
  readonly followerProxy: boolean;
  /** Followers serve reads through ReadIndex (raft.follower-reads). */
  readonly followerReads: boolean;
  /** Run directory; a fresh temporary one when absent. */
  readonly dir?: string;
  /** Keep the run directory after a clean run. */
  readonly keep: boolean;
  /** Print the event log as it happens. */
  readonly verbose: boolean;
}

export const defaultChaosOptions: ChaosOptions = {
  nodes: 3,
  timeMs: 60_000,
  nemeses: ["kill", "pause", "partition", "member", "clock", "disk"],
  workloads: ["register", "list-append"],
  seed: 1,
  netns: false,
  intervalMs: 2500,
  clients: 4,
  electionTimeoutMs: 400,
  clientTimeoutMs: 1500,
  recoveryMs: 30_000,
  logMaxFileSize: "512kb",
  followerProxy: false,
  followerReads: false,
  keep: false,
  verbose: false,
};

export interface ChaosResult {
  readonly options: ChaosOptions;
  readonly dir: string;
  readonly kept: boolean;
  readonly durationMs: number;
  readonly schedule: readonly FaultStep[];
  readonly faults: readonly FaultRecord[];
  readonly ops: Readonly<Record<string, OutcomeCounts>>;
  /** Acknowledged operations after the final heal, per workload (liveness evidence). */
  readonly okAfterHeal: Readonly<Record<string, number>>;
  readonly checks: readonly WorkloadCheck[];
  readonly unexpectedExits: readonly UnexpectedExit[];
  /** Error replies §2 does not name, with counts. */
  readonly oddErrors: Readonly<Record<string, number>>;
  /** Null when the cluster recovered after the heal, else why not. */
  readonly recoveryFailure: string | null;
  /** Everything that makes the run fail: checker anomalies, crashes, no recovery. */
  readonly anomalies: readonly string[];
  /** Proxy counters (connections cut, bytes delayed), when the proxy network was used. */
  readonly network: string;
}

/** Stops every run in progress (the CLI calls it on SIGINT/SIGTERM: namespaces must not leak). */
export const stopRunsInProgress = new Set<() => Promise<void>>();

export async function runChaos(options: ChaosOptions, print: (line: string) => void = () => {}): Promise<ChaosResult> {
  const o = options;
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), "raftis-chaos-"));
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const events: string[] = [];
  const log = (line: string) => {
    const text = `${(now() / 1000).toFixed(2)}s ${line}`;
    events.push(text);
    if (o.verbose) print(text);
  };

  const schedule = makeSchedule({ seed: o.seed, timeMs: o.timeMs, nemeses: o.nemeses, intervalMs: o.intervalMs });
  log(`schedule: ${schedule.map(describeStep).join("; ") || "(no faults)"}`);

  let cluster: ChaosCluster | null = null;
  let network: ChaosNetwork | null = null;
  const oddErrors: Record<string, number> = {};
  const workloads: Workload[] = [];
  let recoveryFailure: string | null = null;
  let nemesis: Nemesis | null = null;
  const okAfterHeal: Record<string, number> = {};
  let networkSummary = "";
  const emergencyStop = async () => {
    await cluster?.stop();
    await network?.close();
  };
  stopRunsInProgress.add(emergencyStop);
  try {
    network = o.netns ? NetnsNetwork.create(log) : new ProxyNetwork((id) => cluster?.byId(id)?.index);
    cluster = new ChaosCluster({ root: dir, network, electionTimeoutMs: o.electionTimeoutMs, logMaxFileSize: o.logMaxFileSize, clock: now, log, args: nodeArgs(o) });
    const c = cluster;
    await c.start(o.nodes);
    log(`cluster up: ${c.nodes.map((n) => `${n.name}=${n.id}@${n.placement.host}:${n.placement.port}`).join(" ")}`);

    for (const name of o.workloads) workloads.push(name === "register" ? new RegisterWorkload({ now }) : new ListAppendWorkload({ now }));
    const clientRng = new SimRandom(o.seed ^ 0x5bd1e995);
    const newClient = () =>
      new ChaosClient({
        addresses: () => c.members().map((n) => `${n.placement.host}:${n.placement.port}`),
        random: () => clientRng.float(),
        timeoutMs: o.clientTimeoutMs,
        onOddError: (m) => void (oddErrors[m] = (oddErrors[m] ?? 0) + 1),
      });
    let stopClients = false;
    const loops: Promise<void>[] = [];
    const clients: ChaosClient[] = [];
    for (const w of workloads) {
      for (let i = 0; i < o.clients; i++) {
        const client = newClient();
        clients.push(client);
        loops.push(w.runClient(loops.length, client, new SimRandom(clientRng.int(0x7fffffff)), () => stopClients));
      }
    }

    nemesis = new Nemesis(c, { clock: now, log, size: o.nodes });
    for (const step of schedule) {
      const wait = step.atMs - now();
      if (wait > 0) await Bun.sleep(wait);
      await nemesis.apply(step);
    }
    const rest = o.timeMs - now();
    if (rest > 0) await Bun.sleep(rest);

    log("healing everything");
    await nemesis.healAll();
    const healedAt = now();
    recoveryFailure = await waitRecovered(c, o.recoveryMs, log);
    // A moment of service after recovery, so "served after the faults" is measured, not assumed.
    await Bun.sleep(1000);
    stopClients = true;
    await Promise.all(loops);
    for (const cl of clients) cl.close();
    for (const w of workloads) okAfterHeal[w.name] = w.okSince(healedAt);

    log("final reads");
    const reader = newClient();
    const deadline = now() + o.recoveryMs;
    for (const w of workloads) await w.finalReads(reader, deadline);
    reader.close();
    if (network instanceof ProxyNetwork) {
      const s = network.stats();
      networkSummary = `proxy: ${s.accepted} connections, ${s.cut} cut, ${s.bytesForwarded} bytes forwarded, ${s.bytesDelayed} delayed`;
    } else networkSummary = "netns";
  } finally {
    stopRunsInProgress.delete(emergencyStop);
    await cluster?.stop();
    await network?.close();
  }

  log("checking");
  const checks = workloads.map((w) => w.check());
  const anomalies: string[] = [];
  for (const ch of checks) anomalies.push(...ch.anomalies);
  for (const e of cluster?.unexpectedExits ?? []) anomalies.push(`${e.node} exited on its own at ${(e.atMs / 1000).toFixed(1)}s (code ${e.code}, signal ${e.signal})`);
  if (recoveryFailure !== null) anomalies.push(`no recovery after healing: ${recoveryFailure}`);

  for (const w of workloads) writeFileSync(join(dir, `history-${w.name}.jsonl`), `${w.historyLines().join("\n")}\n`);
  writeFileSync(join(dir, "events.log"), `${events.join("\n")}\n`);
  const kept = o.keep || anomalies.length > 0 || o.dir !== undefined;
  if (!kept) rmSync(dir, { recursive: true, force: true });

  const ops: Record<string, OutcomeCounts> = {};
  for (const w of workloads) ops[w.name] = { ...w.counts };
  return {
    options: o,
    dir,
    kept,
    durationMs: now(),
    schedule,
    faults: nemesis?.faults ?? [],
    ops,
    okAfterHeal,
    checks,
    unexpectedExits: cluster?.unexpectedExits ?? [],
    oddErrors,
    recoveryFailure,
    anomalies,
    network: networkSummary,
  };
}

function nodeArgs(o: ChaosOptions): string[] {
  const args = ["--raft.join-timeout", "20000"];
  if (o.followerProxy) args.push("--raft.follower-proxy", "yes");
  if (o.followerReads) args.push("--raft.follower-reads", "yes");
  return args;
}

/**
 * After the heal: a leader that serves, and every running member applied as far as the leader
 * had committed. Returns why not, or null.
 */
async function waitRecovered(c: ChaosCluster, timeoutMs: number, log: (line: string) => void): Promise<string | null> {
  const started = performance.now();
  try {
    const leader = await c.waitLeader(timeoutMs);
    const commit = Number(infoField(await c.info(leader), "raft_commit_index"));
    const ids = await c.memberIds(leader);
    // A node removed while it was down (the removal's reply lost) never hears of it: not a member.
    const strays = c.up().filter((n) => n.id !== 0 && !ids.has(n.id));
    if (strays.length > 0) log(`running but not members (removed while down): ${strays.map((n) => n.name).join(",")}`);
    await c.waitFor("every running member to catch up", Math.max(1000, timeoutMs - (performance.now() - started)), async () => {
      for (const n of c.up()) {
        if (n.id === 0 || !ids.has(n.id)) continue;
        const applied = Number(infoField(await c.info(n), "raft_last_applied_index") ?? -1);
        if (applied < commit) return false;
      }
      return true;
    });
    log(`recovered in ${Math.round(performance.now() - started)} ms (leader ${leader.name}, commit ${commit})`);
    return null;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    log(`no recovery: ${why}`);
    return why;
  }
}
