// A fault-injecting TCP proxy in front of one node's bus. The node listens on its real bus port
// and announces the proxy's address (`--raft.bus-addr`), so every peer that dials it comes
// through here. Each node dials each peer for its own outgoing messages (src/bus/handshake.ts),
// so a connection arriving here carries exactly one directed link, source → this node; the
// dialer's first frame (the hello) names the source. Per link the proxy passes the bytes, delays
// them (order kept), or cuts the link: open connections are closed and new ones are closed as
// soon as their hello shows where they come from. Cutting A→B but not B→A is a one-way
// partition.

import type { Socket, TCPSocketListener } from "bun";
import { frameHeaderBytes } from "../bus/frame.ts";
import { decodeHello } from "../bus/handshake.ts";

export type LinkState = { readonly kind: "pass" } | { readonly kind: "cut" } | { readonly kind: "delay"; readonly ms: number };

export const passLink: LinkState = { kind: "pass" };

/** Largest hello the proxy waits for before giving up on reading it (hellos are ~100 bytes). */
const helloBytesMax = 4096;

/** Bytes written to a socket that it has not taken yet, resent on drain (Bun keeps nothing). */
class Outbox {
  readonly #queue: Uint8Array[] = [];
  #socket: Socket<Conn> | null = null;

  attach(socket: Socket<Conn>): void {
    this.#socket = socket;
    this.flush();
  }

  write(bytes: Uint8Array): void {
    if (this.#socket === null || this.#queue.length > 0) {
      this.#queue.push(new Uint8Array(bytes));
      return;
    }
    const n = Math.max(0, this.#socket.write(bytes));
    if (n < bytes.length) this.#queue.push(new Uint8Array(bytes.subarray(n)));
  }

  flush(): void {
    const s = this.#socket;
    if (s === null) return;
    while (this.#queue.length > 0) {
      const head = this.#queue[0];
      const n = Math.max(0, s.write(head));
      if (n < head.length) {
        this.#queue[0] = head.subarray(n);
        return;
      }
      this.#queue.shift();
    }
  }
}

/** One proxied connection: the dialer (downstream) and our connection to the node (upstream). */
class Conn {
  readonly toUpstream = new Outbox();
  readonly toDownstream = new Outbox();
  downstream: Socket<Conn> | null = null;
  upstream: Socket<Conn> | null = null;
  /** Bytes from the dialer before its hello was read whole. */
  head: Uint8Array | null = new Uint8Array(0);
  /** The source node, once the hello was read (0: not yet, or unreadable). */
  fromId = 0;
  /** Delayed chunks waiting for their time, in order. */
  readonly delayed: { due: number; bytes: Uint8Array }[] = [];
  timer: ReturnType<typeof setTimeout> | null = null;
  closed = false;
}

export interface BusProxyOptions {
  readonly host: string;
  /** Where the proxy listens (the node's announced bus port); 0 picks a free port. */
  readonly port: number;
  /** The node's real bus port on `host`. */
  readonly upstreamPort: number;
  /** The state of the link from node `fromId` to this node, asked whenever it may have changed. */
  readonly linkFrom: (fromId: number) => LinkState;
}

export interface BusProxyStats {
  accepted: number;
  /** Connections closed because their link was cut. */
  cut: number;
  bytesForwarded: number;
  bytesDelayed: number;
}

export class BusProxy {
  readonly #opts: BusProxyOptions;
  readonly #listener: TCPSocketListener<Conn>;
  readonly #conns = new Set<Conn>();
  readonly stats: BusProxyStats = { accepted: 0, cut: 0, bytesForwarded: 0, bytesDelayed: 0 };

  constructor(opts: BusProxyOptions) {
    this.#opts = opts;
    this.#listener = Bun.listen<Conn>({
      hostname: opts.host,
      port: opts.port,
      socket: {
        open: (s) => this.#accept(s),
        data: (s, chunk) => this.#fromDownstream(s.data, chunk),
        drain: (s) => s.data.toDownstream.flush(),
        close: (s) => this.#close(s.data),
        error: (s) => this.#close(s.data),
      },
    });
  }

  get port(): number {
    return this.#listener.port;
  }

  /** Applies link changes to open connections (a cut closes them). */
  refresh(): void {
    for (const c of [...this.#conns]) if (c.fromId !== 0 && this.#opts.linkFrom(c.fromId).kind === "cut") this.#cut(c);
  }

  stop(): void {
    for (const c of [...this.#conns]) this.#close(c);
    this.#listener.stop(true);
  }

  #accept(s: Socket<Conn>): void {
    const c = new Conn();
    s.data = c;
    c.downstream = s;
    c.toDownstream.attach(s);
    this.#conns.add(c);
    this.stats.accepted++;
    Bun.connect<Conn>({
      hostname: this.#opts.host,
      port: this.#opts.upstreamPort,
      data: c,
      socket: {
        open: (u) => {
          if (c.closed) {
            u.end();
            return;
          }
          c.upstream = u;
          c.toUpstream.attach(u);
        },
        data: (_u, chunk) => c.toDownstream.write(chunk),
        drain: () => c.toUpstream.flush(),
        close: () => this.#close(c),
        error: () => this.#close(c),
      },
    }).catch(() => this.#close(c));
  }

  #fromDownstream(c: Conn, chunk: Uint8Array): void {
    if (c.closed) return;
    if (c.head !== null) {
      const head = new Uint8Array(c.head.length + chunk.length);
      head.set(c.head);
      head.set(chunk, c.head.length);
      const from = readHelloSource(head);
      if (from === undefined && head.length < helloBytesMax) {
        c.head = head;
        return;
      }
      c.head = null;
      c.fromId = from ?? 0;
      if (c.fromId !== 0 && this.#opts.linkFrom(c.fromId).kind === "cut") {
        this.#cut(c);
        return;
      }
      this.#forward(c, head);
      return;
    }
    this.#forward(c, chunk);
  }

  #forward(c: Conn, bytes: Uint8Array): void {
    const link = c.fromId === 0 ? passLink : this.#opts.linkFrom(c.fromId);
    if (link.kind === "cut") {
      this.#cut(c);
      return;
    }
    const now = performance.now();
    const last = c.delayed.at(-1)?.due ?? 0;
    const due = Math.max(link.kind === "delay" ? now + link.ms : now, last);
    if (due <= now && c.delayed.length === 0) {
      this.stats.bytesForwarded += bytes.length;
      c.toUpstream.write(bytes);
      return;
    }
    // Order is kept: a chunk never overtakes one delayed before it.
    c.delayed.push({ due, bytes: new Uint8Array(bytes) });
    this.stats.bytesDelayed += bytes.length;
    this.#schedule(c);
  }

  #schedule(c: Conn): void {
    if (c.timer !== null || c.delayed.length === 0) return;
    c.timer = setTimeout(() => {
      c.timer = null;
      const now = performance.now();
      while (c.delayed.length > 0 && c.delayed[0].due <= now + 1) {
        const { bytes } = c.delayed.shift() as { bytes: Uint8Array };
        this.stats.bytesForwarded += bytes.length;
        c.toUpstream.write(bytes);
      }
      this.#schedule(c);
    }, Math.max(0, c.delayed[0].due - performance.now()));
  }

  #cut(c: Conn): void {
    this.stats.cut++;
    this.#close(c);
  }

  #close(c: Conn): void {
    if (c.closed) return;
    c.closed = true;
    if (c.timer !== null) clearTimeout(c.timer);
    c.delayed.length = 0;
    this.#conns.delete(c);
    c.downstream?.end();
    c.upstream?.end();
  }
}

/** The hello's source node id: undefined while the frame is incomplete, null when unreadable. */
export function readHelloSource(bytes: Uint8Array): number | null | undefined {
  if (bytes.length < frameHeaderBytes) return undefined;
  const length = new DataView(bytes.buffer, bytes.byteOffset, frameHeaderBytes).getUint32(0);
  if (length === 0 || length > helloBytesMax) return null;
  if (bytes.length < frameHeaderBytes + length) return undefined;
  const hello = decodeHello(bytes.subarray(frameHeaderBytes, frameHeaderBytes + length));
  return typeof hello === "string" ? null : hello.from;
}
