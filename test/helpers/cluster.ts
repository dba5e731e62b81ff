// A real raftis cluster for tests: N `bun src/main.ts` processes on 127.0.0.1, node 1 initialized,
// the others joined, each with its own --dir (kept across restarts) and explicit client and bus
// ports. Kill, pause, resume and restart nodes; find the leader by asking them.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RespClient } from "../../src/client/resp-client.ts";
import { showReply, type RespValue } from "../../src/resp/reply-parser.ts";
import { freePort, startRaftis, type RunningServer } from "./processes.ts";
import { waitFor } from "./wait.ts";

export interface ClusterNode {
  readonly index: number;
  readonly port: number;
  readonly busPort: number;
  readonly dir: string;
  server: RunningServer | null;
  /** Raft node id, known once the node joined. */
  id: number;
  paused: boolean;
}

export interface ClusterOptions {
  readonly storage?: "disk" | "memory";
  /** Extra arguments for every node (e.g. --raft.election-timeout 500). */
  readonly args?: readonly string[];
}

export function text(v: RespValue): string {
  return v.t === "bulk" || v.t === "verbatim" || v.t === "simple" || v.t === "error" ? v.v : showReply(v);
}

export function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*?)\\r?$`, "m").exec(info)?.[1];
}

/** Distinct free ports for a client port and its bus port. */
function portPair(used: Set<number>): [number, number] {
  for (;;) {
    const a = freePort();
    const b = freePort();
    if (a !== b && !used.has(a) && !used.has(b)) {
      used.add(a);
      used.add(b);
      return [a, b];
    }
  }
}

export class TestCluster {
  readonly nodes: ClusterNode[] = [];
  readonly #root: string;
  readonly #opts: ClusterOptions;
  readonly #clients: RespClient[] = [];

  private constructor(root: string, opts: ClusterOptions) {
    this.#root = root;
    this.#opts = opts;
  }

  /** Starts `size` nodes: node 1 with --init, the others with --join, and waits until all are voters. */
  static async start(size: number, opts: ClusterOptions = {}): Promise<TestCluster> {
    const c = new TestCluster(mkdtempSync(join(tmpdir(), "raftis-cluster-")), opts);
    const used = new Set<number>();
    for (let i = 1; i <= size; i++) {
      const [port, busPort] = portPair(used);
      const dir = join(c.#root, `node${i}`);
      c.nodes.push({ index: i, port, busPort, dir, server: null, id: 0, paused: false });
    }
    await c.#spawn(c.nodes[0], ["--init"]);
    await c.waitLeader();
    for (const n of c.nodes.slice(1)) await c.#spawn(n, ["--join", `127.0.0.1:${c.nodes[0].port}`]);
    await c.waitVoters(size);
    return c;
  }

  /** Adds a node that joins through the current nodes (not waiting for its promotion). */
  async addNode(): Promise<ClusterNode> {
    const used = new Set(this.nodes.flatMap((n) => [n.port, n.busPort]));
    const [port, busPort] = portPair(used);
    const n: ClusterNode = { index: this.nodes.length + 1, port, busPort, dir: join(this.#root, `node${this.nodes.length + 1}`), server: null, id: 0, paused: false };
    this.nodes.push(n);
    const others = this.nodes.filter((m) => m !== n && m.server !== null).map((m) => `127.0.0.1:${m.port}`);
    await this.#spawn(n, ["--join", ...others]);
    return n;
  }

  async #spawn(n: ClusterNode, extra: string[]): Promise<void> {
    const storage = this.#opts.storage ?? "disk";
    const args = ["--port", String(n.port), "--raft.bus-port", String(n.busPort), "--dir", n.dir, "--raft.storage", storage, ...(this.#opts.args ?? []), ...extra];
    n.server = await startRaftis(args, { dir: n.dir, cluster: false });
    n.paused = false;
    const info = await this.info(n);
    n.id = Number(infoField(info, "raft_node_id") ?? 0);
  }

  async client(n: ClusterNode): Promise<RespClient> {
    if (n.server === null) throw new Error(`node ${n.index} is not running`);
    const c = await n.server.client();
    this.#clients.push(c);
    return c;
  }

  async call(n: ClusterNode, ...argv: string[]): Promise<RespValue> {
    const c = await this.client(n);
    try {
      return await c.call(...argv);
    } finally {
      c.close();
    }
  }

  async info(n: ClusterNode): Promise<string> {
    return text(await this.call(n, "INFO", "raft"));
  }

  running(): ClusterNode[] {
    return this.nodes.filter((n) => n.server !== null && !n.paused);
  }

  /** The node that leads and serves (its INFO says leader and a SET-free PING works). */
  async waitLeader(timeoutMs = 20000, among: ClusterNode[] = this.running()): Promise<ClusterNode> {
    return waitFor(
      "a leader",
      async () => {
        for (const n of among) {
          if (n.server === null || n.paused) continue;
          const info = await this.info(n).catch(() => "");
          if (infoField(info, "raft_role") === "leader" && infoField(info, "raft_state") === "up") {
            const r = await this.call(n, "DBSIZE").catch(() => null);
            if (r !== null && r.t === "int") return n;
          }
        }
        return undefined;
      },
      timeoutMs,
      50,
    );
  }

  /** Waits until the leader counts `count` voters. */
  async waitVoters(count: number, timeoutMs = 30000): Promise<void> {
    await waitFor(
      `${count} voters`,
      async () => {
        const leader = await this.waitLeader(timeoutMs);
        return Number(infoField(await this.info(leader), "raft_num_voting_nodes")) === count;
      },
      timeoutMs,
      50,
    );
  }

  kill(n: ClusterNode, signal: NodeJS.Signals = "SIGKILL"): void {
    n.server?.kill(signal);
  }

  /** SIGKILL, and forget the process (restart() brings it back on the same --dir). */
  async crash(n: ClusterNode): Promise<void> {
    const s = n.server;
    if (s === null) return;
    s.kill("SIGKILL");
    await s.proc.exited;
    n.server = null;
  }

  async restart(n: ClusterNode): Promise<void> {
    if (n.server !== null) await this.crash(n);
    await this.#spawn(n, []);
  }

  pause(n: ClusterNode): void {
    n.server?.kill("SIGSTOP");
    n.paused = true;
  }

  resume(n: ClusterNode): void {
    n.server?.kill("SIGCONT");
    n.paused = false;
  }

  async stop(): Promise<void> {
    for (const c of this.#clients) c.close();
    for (const n of this.nodes) if (n.paused) this.resume(n);
    await Promise.all(this.nodes.map((n) => n.server?.stop()));
    rmSync(this.#root, { recursive: true, force: true });
  }
}
