// `bun run chaos [--nodes 3|5] [--time 60] [--nemesis kill,pause,partition,member,clock,disk]
//  [--workload register,list-append] [--seed S] [--netns] ...`: a Jepsen-style run against real
// raftis processes; prints a summary and exits non-zero when the histories show an anomaly.

import { writeFileSync } from "node:fs";
import { netnsUnavailable } from "./netns.ts";
import { formatSummary } from "./report.ts";
import { defaultChaosOptions, runChaos, stopRunsInProgress, type ChaosOptions } from "./run.ts";
import { isNemesisKind, nemesisKinds, type NemesisKind } from "./schedule.ts";
import { workloadNames, type WorkloadName } from "./workload.ts";

const usage = `Usage: bun run chaos [options]
  --nodes N             cluster size (default 3; 3 or 5 are the usual ones)
  --time S              seconds of faults and load (default 60)
  --nemesis LIST        faults, comma separated: ${nemesisKinds.join(",")} (default all; "none" for none)
  --workload LIST       register,list-append (default both)
  --seed S              seeds the fault schedule and the clients (default: random, printed)
  --netns               each node in its own network namespace, links cut with ip/tc (root only)
  --interval MS         mean time between fault steps (default ${defaultChaosOptions.intervalMs})
  --clients N           concurrent clients per workload (default ${defaultChaosOptions.clients})
  --election-timeout MS the nodes' raft.election-timeout (default ${defaultChaosOptions.electionTimeoutMs})
  --follower-proxy      nodes forward commands to the leader (raft.follower-proxy yes)
  --follower-reads      followers serve reads through ReadIndex (raft.follower-reads yes)
  --dir PATH            run directory (kept); default a temporary one, removed after a clean run
  --keep                keep the run directory after a clean run
  --json FILE           also write the result as JSON
  --verbose             print the event log as it happens
Exit status: 0 no anomaly, 1 anomalies found, 2 bad usage or the run could not be made.`;

function fail(message: string): never {
  process.stderr.write(`bun run chaos: ${message}\n${usage}\n`);
  process.exit(2);
}

function list<T extends string>(value: string, valid: (s: string) => s is T, what: string): T[] {
  if (value === "none") return [];
  const items = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const s of items) if (!valid(s)) fail(`unknown ${what} '${s}'`);
  return items as T[];
}

function positive(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) fail(`${name} must be a positive number`);
  return n;
}

export function parseChaosArgs(argv: readonly string[]): { options: ChaosOptions; json: string | null } {
  let o: ChaosOptions = { ...defaultChaosOptions, seed: Math.floor(Math.random() * 0x7fffffff) };
  let json: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case "--nodes": {
        const n = positive(value(), a);
        if (!Number.isInteger(n) || n < 3 || n > 9) fail("--nodes must be between 3 and 9");
        o = { ...o, nodes: n };
        break;
      }
      case "--time":
        o = { ...o, timeMs: positive(value(), a) * 1000 };
        break;
      case "--nemesis":
        o = { ...o, nemeses: list<NemesisKind>(value(), isNemesisKind, "nemesis") };
        break;
      case "--workload": {
        const w = list<WorkloadName>(value(), (s): s is WorkloadName => (workloadNames as readonly string[]).includes(s), "workload");
        if (w.length === 0) fail("at least one workload");
        o = { ...o, workloads: w };
        break;
      }
      case "--seed": {
        const s = Number(value());
        if (!Number.isInteger(s) || s < 0) fail("--seed must be a non-negative integer");
        o = { ...o, seed: s };
        break;
      }
      case "--netns":
        o = { ...o, netns: true };
        break;
      case "--interval":
        o = { ...o, intervalMs: positive(value(), a) };
        break;
      case "--clients":
        o = { ...o, clients: Math.floor(positive(value(), a)) };
        break;
      case "--election-timeout":
        o = { ...o, electionTimeoutMs: Math.floor(positive(value(), a)) };
        break;
      case "--dir":
        o = { ...o, dir: value() };
        break;
      case "--follower-proxy":
        o = { ...o, followerProxy: true };
        break;
      case "--follower-reads":
        o = { ...o, followerReads: true };
        break;
      case "--keep":
        o = { ...o, keep: true };
        break;
      case "--json":
        json = value();
        break;
      case "--verbose":
        o = { ...o, verbose: true };
        break;
      case "-h":
      case "--help":
        process.stdout.write(`${usage}\n`);
        process.exit(0);
        break;
      default:
        fail(`unknown option '${a}'`);
    }
  }
  return { options: o, json };
}

if (import.meta.main) {
  const { options, json } = parseChaosArgs(process.argv.slice(2));
  if (options.netns) {
    const why = netnsUnavailable();
    if (why !== null) {
      process.stdout.write(`bun run chaos --netns: skipped: ${why}\n`);
      process.exit(0);
    }
  }
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      process.stderr.write(`\n${signal}: stopping the nodes${options.netns ? " and removing the namespaces" : ""}\n`);
      void Promise.all([...stopRunsInProgress].map((stop) => stop())).finally(() => process.exit(130));
    });
  }
  process.stdout.write(`raftis chaos: seed ${options.seed}\n`);
  try {
    const result = await runChaos(options, (line) => process.stdout.write(`${line}\n`));
    process.stdout.write(`${formatSummary(result)}\n`);
    if (json !== null) writeFileSync(json, JSON.stringify({ ...result, checks: result.checks.map((c) => ({ ...c })) }, null, 1));
    process.exit(result.anomalies.length === 0 ? 0 : 1);
  } catch (e) {
    process.stderr.write(`bun run chaos: the run could not be made: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  }
}
