// The chaos tool's cluster: real `bun src/main.ts` processes (disk storage, fsync on), started,
// killed, paused, restarted, added and removed by the nemesis. Node n1 initializes the cluster,
// the others join it. Each node keeps its --dir and its network placement across restarts; a
// node added later gets a fresh index, dir and placement (Raft ids are never reused). Every exit
// the tool did not cause is recorded: a node that dies on its own is a finding.

import type { Subprocess } from "bun";
import { mkdirSync, openSync, closeSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { RespClient } from "../client/resp-client.ts";
import { waitFor } from "../util/wait.ts";
import type { RespValue } from "../resp/reply-parser.ts";
import type { ChaosNetwork, Placement } from "./network.ts";

const mainTs = join(import.meta.dir, "..", "main.ts");

export type NodeState = "up" | "paused" | "down" | "removed";

export interface ChaosNode {
  readonly index: number;
  readonly name: string;
  readonly dir: string;
  readonly logPath: string;
  readonly placement: Placement;
  /** Raft id, once known (0 before the node joined). */
  id: number;
  state: NodeState;
  proc: Subprocess | null;
  /** The tool caused (or expects) the current process's end: a kill, a disk crash, a removal. */
  expectExit: boolean;
  /** How the node first started: --init (n1) or --join. */
  readonly startArgs: readonly string[];
}

export interface UnexpectedExit {
  readonly node: string;
  readonly atMs: number;
  readonly code: number | null;
  readonly signal: string | null;
  /** The last lines the node logged. */
  readonly tail: string;
}

export interface ClusterOptions {
  readonly root: string;
  readonly network: ChaosNetwork;
  readonly electionTimeoutMs: number;
  /** raft.log-max-file-size: small, so snapshots and compaction happen during a run. */
  readonly logMaxFileSize: string;
  /** Extra node arguments. */
  readonly args?: readonly string[];
  /** Milliseconds since the run started (for event times). */
  readonly clock: () => number;
  readonly log: (line: string) => void;
}

/** Calls one command on a fresh connection, with a bound; throws on connect failure or timeout. */
export async function callNode(host: string, port: number, argv: readonly string[], timeoutMs = 2000): Promise<RespValue> {
  const c = await RespClient.connect(host, port, timeoutMs);
  try {
    return await withTimeout(c.call(...argv), timeoutMs, `${argv[0]} on ${host}:${port}`);
  } finally {
    c.close();
  }
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms)))]);
  } finally {
    if (timer !== null) clearTimeout(timer);
  }
}

export function replyText(v: RespValue): string {
  return v.t === "bulk" || v.t === "simple" || v.t === "error" || v.t === "verbatim" ? v.v : v.t === "int" ? String(v.v) : JSON.stringify(v);
}

export function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*?)\\r?$`, "m").exec(info)?.[1];
}

export class ChaosCluster {
  readonly nodes: ChaosNode[] = [];
  readonly unexpectedExits: UnexpectedExit[] = [];
  readonly #opts: ClusterOptions;
  #stopping = false;

  constructor(opts: ClusterOptions) {
    this.#opts = opts;
    mkdirSync(opts.root, { recursive: true });
  }

  get network(): ChaosNetwork {
    return this.#opts.network;
  }

  /** n1 initializes, the others join; resolves once the leader counts `size` voters. */
  async start(size: number, timeoutMs = 30_000): Promise<void> {
    const first = await this.#create(["--init"]);
    await this.#spawn(first);
    await this.waitLeader(timeoutMs);
    for (let i = 1; i < size; i++) {
      const n = await this.#create(this.#joinArgs());
      await this.#spawn(n);
    }
    await this.waitFor(`${size} voters`, timeoutMs, async () => {
      const leader = await this.leader();
      return leader !== null && Number(infoField(await this.info(leader), "raft_num_voting_nodes")) === size;
    });
  }

  /** Nodes that are members as far as the tool knows (not removed), running or not. */
  members(): ChaosNode[] {
    return this.nodes.filter((n) => n.state !== "removed");
  }

  up(): ChaosNode[] {
    return this.nodes.filter((n) => n.state === "up");
  }

  byId(id: number): ChaosNode | undefined {
    return this.nodes.find((n) => n.id === id && id !== 0);
  }

  async call(n: ChaosNode, argv: readonly string[], timeoutMs = 2000): Promise<RespValue> {
    return callNode(n.placement.host, n.placement.port, argv, timeoutMs);
  }

  async info(n: ChaosNode): Promise<string> {
    return replyText(await this.call(n, ["INFO", "raft"], 1000));
  }

  /** The node that says it leads and serves a read right now, or null. */
  async leader(): Promise<ChaosNode | null> {
    const found = await Promise.all(
      this.up().map(async (n) => {
        try {
          const info = await this.info(n);
          if (infoField(info, "raft_role") !== "leader") return null;
          const r = await this.call(n, ["DBSIZE"], 1000);
          return r.t === "int" ? { n, term: Number(infoField(info, "raft_current_term")) } : null;
        } catch {
          return null;
        }
      }),
    );
    let best: { n: ChaosNode; term: number } | null = null;
    for (const f of found) if (f !== null && (best === null || f.term > best.term)) best = f;
    return best?.n ?? null;
  }

  async waitLeader(timeoutMs: number): Promise<ChaosNode> {
    return this.waitFor("a leader", timeoutMs, () => this.leader());
  }

  waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | undefined | false>, intervalMs = 50): Promise<T> {
    return waitFor(what, probe, timeoutMs, intervalMs);
  }

  // ---- faults ----

  /** SIGKILL; the node stays down until restart(). */
  async kill(n: ChaosNode): Promise<void> {
    const proc = n.proc;
    if (proc === null) return;
    n.expectExit = true;
    if (n.state === "paused") proc.kill("SIGCONT");
    proc.kill("SIGKILL");
    await proc.exited;
  }

  pause(n: ChaosNode): void {
    if (n.state !== "up" || n.proc === null) return;
    n.proc.kill("SIGSTOP");
    n.state = "paused";
  }

  resume(n: ChaosNode): void {
    if (n.state !== "paused" || n.proc === null) return;
    n.proc.kill("SIGCONT");
    n.state = "up";
  }

  /** Starts a node that is down, on its own dir; resolves once it answers. */
  async restart(n: ChaosNode): Promise<void> {
    if (n.state !== "down") return;
    await this.#spawn(n);
  }

  /** A new node that joins through the current members (RAFT.CLUSTER JOIN at start). */
  async addNode(): Promise<ChaosNode> {
    const n = await this.#create(this.#joinArgs());
    await this.#spawn(n);
    return n;
  }

  /** Raft ids in the configuration `leader` reports (itself and its peers). */
  async memberIds(leader: ChaosNode): Promise<Set<number>> {
    const info = await this.info(leader);
    const ids = new Set<number>([Number(infoField(info, "raft_node_id"))]);
    for (const m of info.matchAll(/^raft_node\d+:id=(\d+),/gm)) ids.add(Number(m[1]));
    return ids;
  }

  /** A node removed while it was down: the tool never restarts it (an operator would not). */
  forget(n: ChaosNode): void {
    if (n.state === "down") n.state = "removed";
  }

  /** The node will exit on its own (a disk crash it was told to have, or its removal). */
  expectExit(n: ChaosNode): void {
    n.expectExit = true;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      this.nodes.map(async (n) => {
        const proc = n.proc;
        if (proc === null) return;
        proc.kill("SIGCONT");
        proc.kill("SIGKILL");
        await proc.exited;
      }),
    );
  }

  /** The last `lines` lines a node logged. */
  tail(n: ChaosNode, lines = 20): string {
    try {
      return readFileSync(n.logPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  }

  // ---- processes ----

  #joinArgs(): string[] {
    const addrs = this.members().map((m) => `${m.placement.host}:${m.placement.port}`);
    return ["--join", ...addrs];
  }

  async #create(startArgs: string[]): Promise<ChaosNode> {
    const index = this.nodes.length + 1;
    const name = `n${index}`;
    const dir = join(this.#opts.root, name);
    mkdirSync(dir, { recursive: true });
    const placement = await this.#opts.network.place(index);
    const n: ChaosNode = { index, name, dir, logPath: join(dir, "node.log"), placement, id: 0, state: "down", proc: null, expectExit: false, startArgs };
    this.nodes.push(n);
    return n;
  }

  async #spawn(n: ChaosNode): Promise<void> {
    const o = this.#opts;
    const args = [
      ...n.placement.args,
      "--dir", n.dir,
      "--raft.storage", "disk",
      "--raft.log-fsync", "yes",
      "--raft.election-timeout", String(o.electionTimeoutMs),
      "--raft.log-max-file-size", o.logMaxFileSize,
      ...(o.args ?? []),
      ...n.startArgs,
    ];
    const fd = openSync(n.logPath, "a");
    let proc: Subprocess;
    try {
      proc = Bun.spawn([...n.placement.prefix, "bun", mainTs, ...args], { stdin: "ignore", stdout: fd, stderr: fd });
    } finally {
      closeSync(fd);
    }
    n.proc = proc;
    n.state = "up";
    n.expectExit = false;
    void proc.exited.then(() => this.#exited(n, proc));
    // Up once it answers INFO (a restarting node answers while it recovers; a joining one before it joined).
    await this.waitFor(`${n.name} to answer`, 20_000, async () => {
      if (n.proc !== proc) throw new Error(`${n.name} exited while starting:\n${this.tail(n)}`);
      const info = await this.info(n);
      const id = Number(infoField(info, "raft_node_id") ?? 0);
      if (id !== 0) n.id = id;
      return true;
    });
    if (n.id === 0) void this.#learnId(n, proc);
  }

  /** A joining node learns its id once the leader added it. */
  async #learnId(n: ChaosNode, proc: Subprocess): Promise<void> {
    while (n.id === 0 && n.proc === proc && !this.#stopping) {
      try {
        n.id = Number(infoField(await this.info(n), "raft_node_id") ?? 0);
      } catch {
        // Paused or busy: ask again.
      }
      await Bun.sleep(50);
    }
  }

  #exited(n: ChaosNode, proc: Subprocess): void {
    if (n.proc !== proc) return;
    n.proc = null;
    const tail = this.tail(n, 30);
    if (/was removed from the cluster/.test(tail)) {
      n.state = "removed";
      this.#opts.log(`${n.name} (id ${n.id}) was removed and exited`);
      return;
    }
    if (/failed to connect to cluster for join/.test(tail)) {
      // Never became a member (the join timed out during a fault): not a finding.
      n.state = "removed";
      this.#opts.log(`${n.name} could not join and exited`);
      return;
    }
    n.state = "down";
    if (n.expectExit || this.#stopping) return;
    const exit: UnexpectedExit = { node: n.name, atMs: this.#opts.clock(), code: proc.exitCode, signal: proc.signalCode === null ? null : String(proc.signalCode), tail };
    this.unexpectedExits.push(exit);
    this.#opts.log(`${n.name} exited on its own (code ${exit.code}, signal ${exit.signal})`);
  }
}
