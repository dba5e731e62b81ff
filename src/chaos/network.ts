// The chaos cluster's network: where each node listens and what it announces, and the directed
// links between nodes that a nemesis cuts or slows down. Two implementations: ProxyNetwork (a
// fault-injecting proxy in front of every node's bus, any user, 127.0.0.1) and NetnsNetwork
// (src/chaos/netns.ts: a network namespace per node, root only). Links are named by node index
// (n1, n2, ...: the chaos tool's names, which outlive Raft ids across a replacement).

import { BusProxy, passLink, type LinkState } from "./bus-proxy.ts";

export type { LinkState } from "./bus-proxy.ts";

/** Where a node lives on the network. */
export interface Placement {
  /** Client address the chaos clients dial. */
  readonly host: string;
  readonly port: number;
  /** Arguments telling the node where to listen and what to announce. */
  readonly args: readonly string[];
  /** Prefix of the node's command line (e.g. `ip netns exec <ns>`). */
  readonly prefix: readonly string[];
}

export interface ChaosNetwork {
  readonly mode: "proxy" | "netns";
  /** Reserves addresses for node `index` (first start); the same placement serves its restarts. */
  place(index: number): Promise<Placement>;
  /** Sets the link from node `from` to node `to` (by index). */
  setLink(from: number, to: number, state: LinkState): void;
  /** Every link back to pass. */
  healAll(): void;
  /** Stops proxies / removes namespaces: always called, also after errors. */
  close(): Promise<void>;
}

/** Directed link states; links not listed pass. */
export class LinkTable {
  readonly #links = new Map<string, LinkState>();

  get(from: number, to: number): LinkState {
    return this.#links.get(`${from}>${to}`) ?? passLink;
  }

  set(from: number, to: number, state: LinkState): void {
    if (state.kind === "pass") this.#links.delete(`${from}>${to}`);
    else this.#links.set(`${from}>${to}`, state);
  }

  clear(): void {
    this.#links.clear();
  }

  /** Links that are not passing, for the log. */
  describe(): string {
    return [...this.#links].map(([k, s]) => `${k.replace(">", "→")} ${s.kind === "delay" ? `+${s.ms}ms` : s.kind}`).join(", ");
  }
}

/** A port that was free a moment ago (bind 0, read, release). */
export function freePort(host = "127.0.0.1"): number {
  const l = Bun.listen({ hostname: host, port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

/**
 * All nodes on 127.0.0.1. Node n's bus listens on a private port; it announces the port of its
 * proxy, which peers dial. `indexOfId` maps a Raft node id (read from the hello) to a node index.
 */
export class ProxyNetwork implements ChaosNetwork {
  readonly mode = "proxy" as const;
  readonly links = new LinkTable();
  readonly #proxies = new Map<number, BusProxy>();
  readonly #indexOfId: (id: number) => number | undefined;

  constructor(indexOfId: (id: number) => number | undefined) {
    this.#indexOfId = indexOfId;
  }

  async place(index: number): Promise<Placement> {
    const used = new Set<number>();
    const port = distinctFreePort(used);
    const busPort = distinctFreePort(used);
    const proxy = new BusProxy({
      host: "127.0.0.1",
      port: 0,
      upstreamPort: busPort,
      linkFrom: (fromId) => {
        const from = this.#indexOfId(fromId);
        return from === undefined ? passLink : this.links.get(from, index);
      },
    });
    this.#proxies.set(index, proxy);
    return {
      host: "127.0.0.1",
      port,
      args: ["--bind", "127.0.0.1", "--port", String(port), "--raft.bus-port", String(busPort), "--raft.bus-addr", `127.0.0.1:${proxy.port}`],
      prefix: [],
    };
  }

  setLink(from: number, to: number, state: LinkState): void {
    this.links.set(from, to, state);
    this.#proxies.get(to)?.refresh();
  }

  healAll(): void {
    this.links.clear();
  }

  /** Bytes and connections seen by every proxy (the report shows that faults touched traffic). */
  stats(): { accepted: number; cut: number; bytesForwarded: number; bytesDelayed: number } {
    const total = { accepted: 0, cut: 0, bytesForwarded: 0, bytesDelayed: 0 };
    for (const p of this.#proxies.values()) {
      total.accepted += p.stats.accepted;
      total.cut += p.stats.cut;
      total.bytesForwarded += p.stats.bytesForwarded;
      total.bytesDelayed += p.stats.bytesDelayed;
    }
    return total;
  }

  async close(): Promise<void> {
    for (const p of this.#proxies.values()) p.stop();
    this.#proxies.clear();
  }
}

function distinctFreePort(used: Set<number>): number {
  for (;;) {
    const p = freePort();
    if (!used.has(p)) {
      used.add(p);
      return p;
    }
  }
}
