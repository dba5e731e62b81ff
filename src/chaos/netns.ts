// The chaos cluster in Linux network namespaces (`bun run chaos --netns`, root only): each node
// runs in its own namespace with one veth interface on a bridge this module creates, at its own
// address 10.213.K.(index+1) (clients on the host dial it through the bridge at 10.213.K.1).
// Faults are real packet loss and delay on a link:
//
//   cut A→B     a blackhole route to B's address inside A's namespace: A's packets to B are
//               dropped. At the IP level this also breaks TCP connections B opened to A (their
//               acknowledgements from A are dropped), so a one-way cut here isolates the pair
//               at the transport level; the proxy network gives message-level one-way cuts.
//   delay A→B   `tc` on A's interface: an htb class per destination, chosen by a u32 filter on
//               the destination address, with a netem delay qdisc under it. Kernels without
//               sch_netem get a slow link instead (the class capped at netnsSlowLinkRate).
//
// Everything created is named after this run (rchK...) and removed by close(), which the chaos
// tool calls in a finally block and on SIGINT/SIGTERM.

import { existsSync } from "node:fs";
import { LinkTable, type ChaosNetwork, type LinkState, type Placement } from "./network.ts";

/** Rate of a "delayed" link when the kernel has no netem: slow enough to delay heartbeats behind appends. */
export const netnsSlowLinkRate = "256kbit";
const clientPort = 6379;

/** Why namespaces cannot be used here, or null when they can. */
export function netnsUnavailable(): string | null {
  if (process.platform !== "linux") return "network namespaces are Linux only";
  if (typeof process.getuid === "function" && process.getuid() !== 0) return "network namespaces need root (run as root, or drop --netns to use the proxy network)";
  if (Bun.which("ip") === null) return "the `ip` command (iproute2) is not installed";
  if (Bun.which("tc") === null) return "the `tc` command (iproute2) is not installed";
  return null;
}

function run(argv: string[], allowFail = false): { ok: boolean; out: string } {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  const out = `${r.stdout.toString()}${r.stderr.toString()}`.trim();
  if (!r.success && !allowFail) throw new Error(`${argv.join(" ")} failed: ${out}`);
  return { ok: r.success, out };
}

export class NetnsNetwork implements ChaosNetwork {
  readonly mode = "netns" as const;
  readonly links = new LinkTable();
  readonly #k: number;
  readonly #bridge: string;
  readonly #namespaces = new Map<number, string>();
  readonly #log: (line: string) => void;
  /** Per source node: destinations that have a tc class (delay) installed. */
  readonly #shaped = new Map<number, Set<number>>();
  #netem: boolean | null = null;

  private constructor(k: number, log: (line: string) => void) {
    this.#k = k;
    this.#bridge = `rch${k}br`;
    this.#log = log;
  }

  /** Creates the bridge on a subnet nobody uses. */
  static create(log: (line: string) => void): NetnsNetwork {
    const why = netnsUnavailable();
    if (why !== null) throw new Error(why);
    const routes = run(["ip", "-o", "addr"]).out;
    for (let attempt = 0; attempt < 200; attempt++) {
      const k = 20 + ((process.pid + attempt) % 200);
      if (routes.includes(`10.213.${k}.`) || existsSync(`/sys/class/net/rch${k}br`)) continue;
      const net = new NetnsNetwork(k, log);
      run(["ip", "link", "add", net.#bridge, "type", "bridge"]);
      try {
        run(["ip", "addr", "add", `10.213.${k}.1/24`, "dev", net.#bridge]);
        run(["ip", "link", "set", net.#bridge, "up"]);
      } catch (e) {
        run(["ip", "link", "del", net.#bridge], true);
        throw e;
      }
      log(`netns: bridge ${net.#bridge} on 10.213.${k}.0/24`);
      return net;
    }
    throw new Error("no free 10.213.K.0/24 subnet for the chaos bridge");
  }

  #ip(index: number): string {
    return `10.213.${this.#k}.${index + 1}`;
  }

  async place(index: number): Promise<Placement> {
    if (index + 1 > 254) throw new Error("netns: at most 253 nodes");
    const ns = `rch${this.#k}n${index}`;
    const host = `rch${this.#k}v${index}`;
    const peer = `rch${this.#k}p${index}`;
    run(["ip", "netns", "add", ns]);
    this.#namespaces.set(index, ns);
    run(["ip", "link", "add", host, "type", "veth", "peer", "name", peer]);
    run(["ip", "link", "set", peer, "netns", ns]);
    run(["ip", "-n", ns, "link", "set", peer, "name", "eth0"]);
    run(["ip", "-n", ns, "addr", "add", `${this.#ip(index)}/24`, "dev", "eth0"]);
    run(["ip", "-n", ns, "link", "set", "eth0", "up"]);
    run(["ip", "-n", ns, "link", "set", "lo", "up"]);
    run(["ip", "link", "set", host, "master", this.#bridge]);
    run(["ip", "link", "set", host, "up"]);
    const ip = this.#ip(index);
    return { host: ip, port: clientPort, args: ["--bind", ip, "--port", String(clientPort)], prefix: ["ip", "netns", "exec", ns] };
  }

  setLink(from: number, to: number, state: LinkState): void {
    const ns = this.#namespaces.get(from);
    if (ns === undefined || !this.#namespaces.has(to)) return;
    const before = this.links.get(from, to);
    this.links.set(from, to, state);
    const dst = `${this.#ip(to)}/32`;
    if (before.kind === "cut" && state.kind !== "cut") run(["ip", "-n", ns, "route", "del", "blackhole", dst], true);
    if (state.kind === "cut") run(["ip", "-n", ns, "route", "replace", "blackhole", dst]);
    if (before.kind === "delay") this.#unshape(from, to);
    if (state.kind === "delay") this.#shape(from, to, state.ms);
  }

  healAll(): void {
    for (const [from, ns] of this.#namespaces) {
      for (const to of this.#namespaces.keys()) {
        if (this.links.get(from, to).kind === "cut") run(["ip", "-n", ns, "route", "del", "blackhole", `${this.#ip(to)}/32`], true);
      }
      if (this.#shaped.has(from)) run(["tc", "-n", ns, "qdisc", "del", "dev", "eth0", "root"], true);
    }
    this.#shaped.clear();
    this.links.clear();
  }

  async close(): Promise<void> {
    for (const ns of this.#namespaces.values()) run(["ip", "netns", "del", ns], true);
    this.#namespaces.clear();
    run(["ip", "link", "del", this.#bridge], true);
    this.#log(`netns: removed ${this.#bridge} and the namespaces`);
  }

  #hasNetem(ns: string): boolean {
    if (this.#netem === null) {
      const probe = run(["tc", "-n", ns, "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"], true);
      if (probe.ok) run(["tc", "-n", ns, "qdisc", "del", "dev", "lo", "root"], true);
      this.#netem = probe.ok;
      if (!probe.ok) this.#log(`netns: no netem in this kernel; delayed links become ${netnsSlowLinkRate} links`);
    }
    return this.#netem;
  }

  #shape(from: number, to: number, ms: number): void {
    const ns = this.#namespaces.get(from) as string;
    let shaped = this.#shaped.get(from);
    if (shaped === undefined) {
      run(["tc", "-n", ns, "qdisc", "replace", "dev", "eth0", "root", "handle", "1:", "htb", "default", "1"]);
      run(["tc", "-n", ns, "class", "add", "dev", "eth0", "parent", "1:", "classid", "1:1", "htb", "rate", "10gbit"]);
      this.#shaped.set(from, (shaped = new Set()));
    }
    const classid = `1:${100 + to}`;
    const netem = this.#hasNetem(ns);
    const rate = netem ? "10gbit" : netnsSlowLinkRate;
    run(["tc", "-n", ns, "class", "replace", "dev", "eth0", "parent", "1:", "classid", classid, "htb", "rate", rate, "ceil", rate]);
    if (netem) run(["tc", "-n", ns, "qdisc", "replace", "dev", "eth0", "parent", classid, "handle", `${100 + to}:`, "netem", "delay", `${ms}ms`]);
    if (!shaped.has(to)) {
      run(["tc", "-n", ns, "filter", "add", "dev", "eth0", "parent", "1:", "protocol", "ip", "prio", String(100 + to), "u32", "match", "ip", "dst", `${this.#ip(to)}/32`, "flowid", classid]);
      shaped.add(to);
    }
  }

  #unshape(from: number, to: number): void {
    const ns = this.#namespaces.get(from) as string;
    const shaped = this.#shaped.get(from);
    if (shaped === undefined || !shaped.has(to)) return;
    // The filter steers packets away from the class: remove it first, then the class.
    run(["tc", "-n", ns, "filter", "del", "dev", "eth0", "parent", "1:", "prio", String(100 + to)], true);
    run(["tc", "-n", ns, "class", "del", "dev", "eth0", "classid", `1:${100 + to}`], true);
    shaped.delete(to);
  }
}
