// `bun run cluster [--nodes 3] [--base-port 5001] [--dir ./data/cluster] [--memory] [--raft.<name> v ...]`
//
// Starts a local raftis cluster: node 1 initializes it, the others join it, a table shows who
// leads, a node that crashes is restarted (with --memory, a crashed node lost its state: it is
// removed and a fresh one joins in its place), and Ctrl-C stops everything cleanly.

import type { Subprocess } from "bun";
import { mkdirSync, openSync } from "node:fs";
import { join, resolve } from "node:path";
import { RespClient } from "../client/resp-client.ts";
import { showReply } from "../resp/reply-parser.ts";

interface Options {
  nodes: number;
  basePort: number;
  dir: string;
  memory: boolean;
  extra: string[];
}

function parse(argv: string[]): Options {
  const o: Options = { nodes: 3, basePort: 5001, dir: "./data/cluster", memory: false, extra: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    if (a === "--nodes") o.nodes = Number(value());
    else if (a === "--base-port") o.basePort = Number(value());
    else if (a === "--dir") o.dir = value();
    else if (a === "--memory") o.memory = true;
    else if (a.startsWith("--raft.")) o.extra.push(a, value());
    else if (a === "-h" || a === "--help") {
      process.stdout.write("Usage: bun run cluster [--nodes 3] [--base-port 5001] [--dir ./data/cluster] [--memory] [--raft.<name> value ...]\n");
      process.exit(0);
    } else fail(`unknown option '${a}'`);
  }
  if (!Number.isInteger(o.nodes) || o.nodes < 1 || o.nodes > 15) fail("--nodes must be between 1 and 15");
  if (!Number.isInteger(o.basePort) || o.basePort < 1 || o.basePort + o.nodes > 55535) fail("--base-port out of range");
  return o;
}

function fail(message: string): never {
  process.stderr.write(`bun run cluster: ${message}\n`);
  process.exit(1);
}

const opts = parse(process.argv.slice(2));
const root = resolve(opts.dir);
const mainTs = join(import.meta.dir, "..", "main.ts");

interface NodeProc {
  readonly index: number;
  readonly port: number;
  proc: Subprocess | null;
  restarts: number;
}

const nodes: NodeProc[] = Array.from({ length: opts.nodes }, (_, i) => ({ index: i + 1, port: opts.basePort + i, proc: null, restarts: 0 }));
let stopping = false;

function spawnNode(n: NodeProc, mode: "init" | "join" | "restart"): void {
  const dir = join(root, `node${n.index}`);
  mkdirSync(dir, { recursive: true });
  const log = openSync(join(root, `node${n.index}.log`), "a");
  const args = ["bun", mainTs, "--port", String(n.port), "--bind", "127.0.0.1", "--dir", dir, ...opts.extra];
  if (opts.memory) args.push("--raft.storage", "memory");
  // --init and --join only act at a node's first start: with state in --dir they are ignored.
  if (mode === "init") args.push("--init");
  if (mode === "join" || (mode === "restart" && opts.memory)) args.push("--join", ...nodes.filter((m) => m !== n).map((m) => `127.0.0.1:${m.port}`));
  n.proc = Bun.spawn(args, { stdout: log, stderr: log });
  const proc = n.proc;
  void proc.exited.then((code) => {
    if (stopping || n.proc !== proc) return;
    n.proc = null;
    process.stdout.write(`node ${n.index} (port ${n.port}) exited with ${code ?? proc.signalCode}; restarting it\n`);
    void restart(n);
  });
}

async function restart(n: NodeProc): Promise<void> {
  n.restarts++;
  if (opts.memory) await removeDeadMember(n);
  spawnNode(n, "restart");
}

/** With memory storage a restarted node is a new member: the old id must go first. */
async function removeDeadMember(n: NodeProc): Promise<void> {
  const myId = await ask(n.port, ["CLUSTER", "MYID"]).catch(() => null);
  for (const other of nodes) {
    if (other === n) continue;
    const nodesText = await ask(other.port, ["CLUSTER", "NODES"]).catch(() => null);
    if (nodesText === null) continue;
    for (const line of nodesText.split("\n")) {
      const [hexId, address] = line.split(" ");
      if (address?.startsWith(`127.0.0.1:${n.port}@`) && hexId !== myId) {
        const id = String(parseInt(hexId, 16));
        const r = await ask(other.port, ["RAFT.NODE", "REMOVE", id]).catch((e: Error) => e.message);
        process.stdout.write(`removed lost node ${id}: ${r}\n`);
        return;
      }
    }
  }
}

async function ask(port: number, argv: string[]): Promise<string> {
  const c = await RespClient.connect("127.0.0.1", port, 1000);
  try {
    const r = await Promise.race([c.call(...argv), Bun.sleep(2000).then(() => null)]);
    if (r === null) throw new Error("no reply");
    return r.t === "bulk" || r.t === "simple" || r.t === "verbatim" ? r.v : showReply(r);
  } finally {
    c.close();
  }
}

function field(info: string, name: string): string {
  return new RegExp(`^${name}:(.*?)\\r?$`, "m").exec(info)?.[1] ?? "?";
}

async function table(): Promise<string> {
  const rows = await Promise.all(
    nodes.map(async (n) => {
      const info = await ask(n.port, ["INFO", "raft"]).catch(() => "");
      return info === ""
        ? `| ${n.index} | 127.0.0.1:${n.port} | - | down | - | - |`
        : `| ${n.index} | 127.0.0.1:${n.port} | ${field(info, "raft_node_id")} | ${field(info, "raft_role")} | ${field(info, "raft_current_term")} | ${field(info, "raft_commit_index")} |`;
    }),
  );
  return ["| node | address | id | role | term | commit |", "|---|---|---|---|---|---|", ...rows].join("\n");
}

async function waitServing(n: NodeProc, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const info = await ask(n.port, ["INFO", "raft"]).catch(() => "");
    if (info !== "" && field(info, "raft_state") === "up" && field(info, "raft_leader_id") !== "0") return true;
    await Bun.sleep(100);
  }
  return false;
}

async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stdout.write("\nstopping the cluster...\n");
  for (const n of nodes) n.proc?.kill("SIGTERM");
  await Promise.race([Promise.all(nodes.map((n) => n.proc?.exited)), Bun.sleep(5000)]);
  for (const n of nodes) if (n.proc !== null && n.proc.exitCode === null) n.proc.kill("SIGKILL");
  process.exit(0);
}

process.on("SIGINT", () => void shutdown());
process.on("SIGTERM", () => void shutdown());

mkdirSync(root, { recursive: true });
spawnNode(nodes[0], "init");
if (!(await waitServing(nodes[0], 20000))) {
  process.stderr.write(`node 1 did not come up; see ${join(root, "node1.log")}\n`);
  await shutdown();
}
for (const n of nodes.slice(1)) {
  spawnNode(n, "join");
  if (!(await waitServing(n, 30000))) process.stderr.write(`node ${n.index} is not up yet; see ${join(root, `node${n.index}.log`)}\n`);
}
process.stdout.write(`raftis cluster of ${opts.nodes} in ${root} (logs: node<N>.log). Try: redis-cli -p ${opts.basePort} -c\n`);
let last = "";
for (;;) {
  const t = await table();
  // Reprint when roles or terms change, not for every new commit.
  const shape = t.replace(/\| [\d?-]+ \|$/gm, "|");
  if (shape !== last) {
    process.stdout.write(`\n${new Date().toISOString()}\n${t}\n`);
    last = shape;
  }
  await Bun.sleep(2000);
}
