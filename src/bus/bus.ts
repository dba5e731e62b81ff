// The Raft bus: carries Raft messages between the nodes of a cluster over TCP. It runs inside the
// Raft worker: the driver hands it messages (`send`, the PeerTransport) and it calls `onMessage`
// for every message a peer sent us.
//
// Each node dials each peer for its own outgoing messages (two connections per pair, as
// RedisRaft); a connection we accepted only ever carries the dialer's messages in. Frames are
// length-prefixed and checksummed (frame.ts), messages msgpack (codec.ts), connections
// authenticated by a handshake (handshake.ts). Messages sent during one event-loop turn to one
// peer leave in one write; a peer's queue is bounded and overflow is dropped (Raft retransmits),
// so a slow follower can neither stall the leader nor grow its memory. `send` never blocks.

import type { TCPSocketListener } from "bun";
import { busFramePayloadBytesMax, busLargeMessageBytes, busPeerQueueBytesMaxDefault, busPendingHandshakesMax, busRefusalLogIntervalMs } from "../constants.ts";
import type { Message, NodeId } from "../raft/types.ts";
import { assert } from "../util/assert.ts";
import type { LogLevel } from "../util/log.ts";
import { encodeMessage, messagePayloadBound } from "./codec.ts";
import { frameHeaderBytes, writeFrameHeader } from "./frame.ts";
import { deriveBusKey } from "./handshake.ts";
import { InboundConn, type InboundContext } from "./inbound.ts";
import { OutgoingLink, type LinkContext, type LinkState } from "./outgoing.ts";
import { callOut, rethrowBug } from "./rethrow.ts";

export interface BusOptions {
  /** This node's id; 0 while unknown (a node about to join): it then dials no one and accepts no one. */
  nodeId: NodeId;
  /** The cluster id (dbid); "" while unknown. */
  clusterId: string;
  /** raft.cluster-password; "" for none. */
  password: string;
  listenHost: string;
  /** 0 picks a free port (start() returns it). */
  listenPort: number;
  /** raft.connection-timeout: bounds a connect plus handshake, both ways. */
  connectionTimeoutMs: number;
  /** raft.response-timeout: queued bytes a peer does not read for this long close the connection. */
  responseTimeoutMs: number;
  /** raft.reconnect-interval: the first reconnect delay; it doubles up to busReconnectBackoffMaxMs. */
  reconnectIntervalMs: number;
  /** Bytes waiting per peer before messages to it are dropped (default busPeerQueueBytesMaxDefault). */
  peerQueueBytesMax?: number;
  /**
   * Every message a peer sent us, checked: from the authenticated sender, addressed to us.
   * An exception it throws is not the peer's fault: it is re-thrown outside the socket handler
   * (an uncaught exception, which ends the worker) instead of closing the connection.
   */
  onMessage(m: Message): void;
  /** Our connection to a peer (the one carrying our messages) came up or went down. */
  onPeerState?(id: NodeId, connected: boolean): void;
  log(level: LogLevel, message: string): void;
}

export interface PeerStats {
  id: NodeId;
  /** The bus address we dial. */
  addr: string;
  /** State of the connection carrying our messages to the peer. */
  state: LinkState;
  /** Milliseconds since the last frame received from the peer; -1 if none yet. */
  lastContactMs: number;
  /** Failed connection attempts and lost connections. */
  connErrors: number;
  /** Successful handshakes. */
  connOks: number;
  /** Unsent bytes to the peer. */
  queuedBytes: number;
  /** Messages to the peer dropped: queue full, no connection, too large (bytes lost with a broken connection are not counted). */
  droppedMessages: number;
}

/** Batches are cut into writes of about this size; messages up to it are encoded into one buffer. */
const batchSegmentBytes = 1024 * 1024;

export class Bus {
  readonly #opts: BusOptions;
  readonly #queueMax: number;
  #nodeId: NodeId;
  #clusterId: string;
  #key: Uint8Array | null;
  #listener: TCPSocketListener<InboundConn | undefined> | null = null;
  readonly #links = new Map<NodeId, OutgoingLink>();
  #acceptUnknown = false;
  /** Authenticated inbound connections, one per peer (a newer one replaces the older). */
  readonly #inbound = new Map<NodeId, InboundConn>();
  /** All inbound connections, authenticated or not. */
  readonly #conns = new Set<InboundConn>();
  #flushScheduled = false;
  /** When each distinct refusal was last logged as a warning. */
  readonly #refusalsLogged = new Map<string, number>();
  readonly #scratch = new Uint8Array(batchSegmentBytes + frameHeaderBytes + busLargeMessageBytes);
  #stopped = false;
  readonly #linkCtx: LinkContext;
  readonly #inboundCtx: InboundContext;

  constructor(opts: BusOptions) {
    assert(opts.connectionTimeoutMs > 0 && opts.responseTimeoutMs > 0 && opts.reconnectIntervalMs > 0, "bus timeouts are positive");
    this.#opts = opts;
    this.#queueMax = opts.peerQueueBytesMax ?? busPeerQueueBytesMaxDefault;
    assert(this.#queueMax > 0, "peer queue limit is positive");
    this.#nodeId = opts.nodeId;
    this.#clusterId = opts.clusterId;
    this.#key = deriveBusKey(opts.password, opts.clusterId);
    const bus = this;
    this.#linkCtx = {
      get nodeId() {
        return bus.#nodeId;
      },
      get clusterId() {
        return bus.#clusterId;
      },
      get key() {
        return bus.#key;
      },
      connectionTimeoutMs: opts.connectionTimeoutMs,
      responseTimeoutMs: opts.responseTimeoutMs,
      reconnectIntervalMs: opts.reconnectIntervalMs,
      log: opts.log,
      linkStateChanged: (id, connected) => callOut(() => opts.onPeerState?.(id, connected)),
    };
    this.#inboundCtx = {
      get nodeId() {
        return bus.#nodeId;
      },
      get clusterId() {
        return bus.#clusterId;
      },
      get key() {
        return bus.#key;
      },
      connectionTimeoutMs: opts.connectionTimeoutMs,
      admits: (id) => this.#acceptUnknown || this.#links.has(id),
      log: opts.log,
      logRefusal: (host, why) => this.#logRefusal(host, why),
      accepted: (conn) => this.#accepted(conn),
      closed: (conn) => this.#closed(conn),
      contact: (id) => {
        const link = this.#links.get(id);
        if (link !== undefined) link.lastContactAt = performance.now();
      },
      deliver: (m) => this.#deliver(m),
    };
  }

  /** Listens for peers; resolves to the bound port. */
  async start(): Promise<number> {
    assert(this.#listener === null && !this.#stopped, "a bus starts once");
    const listener = Bun.listen<InboundConn | undefined>({
      hostname: this.#opts.listenHost,
      port: this.#opts.listenPort,
      data: undefined,
      socket: {
        binaryType: "uint8array",
        open: (s) => {
          if (this.#stopped) {
            s.terminate();
            return;
          }
          if (this.#pendingHandshakes() >= busPendingHandshakesMax) {
            this.#logRefusal(s.remoteAddress, `Bus: refused connection from ${s.remoteAddress}: ${busPendingHandshakesMax} handshakes already pending`);
            s.terminate();
            return;
          }
          const conn = new InboundConn(s, this.#inboundCtx);
          s.data = conn;
          if (!conn.finished) this.#conns.add(conn);
        },
        data: (s, data) => s.data?.onData(data),
        close: (s) => s.data?.onClose(),
        error: (s, err) => {
          rethrowBug(err);
          s.data?.close(`socket error: ${err.message}`);
        },
      },
    });
    this.#listener = listener;
    this.#opts.log("notice", `Bus: listening on ${this.#opts.listenHost}:${listener.port}`);
    return listener.port;
  }

  /**
   * Who we dial (peer id → its announced bus address) and whose connections we accept. Our own
   * id is ignored. `acceptUnknown`: also accept any node presenting our cluster id (a node that
   * just joined and does not know the membership yet).
   */
  setPeers(peers: ReadonlyMap<NodeId, string>, acceptUnknown: boolean): void {
    if (this.#stopped) return;
    this.#acceptUnknown = acceptUnknown;
    for (const [id, link] of this.#links) {
      if (peers.get(id) === link.addr) continue;
      link.close();
      this.#links.delete(id);
    }
    for (const [id, addr] of peers) {
      if (id === this.#nodeId || this.#links.has(id)) continue;
      assert(Number.isInteger(id) && id > 0, "peer ids are positive integers");
      const link = new OutgoingLink(id, addr, this.#linkCtx);
      this.#links.set(id, link);
      link.start();
    }
    if (!acceptUnknown) {
      for (const [id, conn] of this.#inbound) if (!this.#links.has(id)) conn.close(`node ${id} is no longer a peer`, "notice");
    }
  }

  /** A joining node learns its id and the cluster id late; every connection starts over. */
  setIdentity(nodeId: NodeId, clusterId: string): void {
    if (this.#stopped || (nodeId === this.#nodeId && clusterId === this.#clusterId)) return;
    assert(Number.isInteger(nodeId) && nodeId > 0, "a node id is a positive integer");
    assert(clusterId !== "", "a cluster id is not empty");
    if (clusterId !== this.#clusterId) this.#key = deriveBusKey(this.#opts.password, clusterId);
    this.#nodeId = nodeId;
    this.#clusterId = clusterId;
    for (const conn of [...this.#conns]) conn.close(null);
    const self = this.#links.get(nodeId);
    if (self !== undefined) {
      self.close();
      this.#links.delete(nodeId);
    }
    for (const link of this.#links.values()) link.restart();
  }

  /**
   * Queues messages for their peers (the driver's PeerTransport). Never blocks: a message to an
   * unknown or unreachable peer, or past its peer's queue limit, is dropped and counted.
   */
  send(messages: readonly Message[]): void {
    if (this.#stopped) return;
    for (const m of messages) {
      assert(m.from === this.#nodeId, "messages leave from this node");
      const link = this.#links.get(m.to);
      if (link === undefined) {
        this.#opts.log("debug", `Bus: no address for node ${m.to}: dropped a ${m.type}`);
        continue;
      }
      if (link.state === "disconnected") {
        link.droppedMessages++;
        continue;
      }
      const bound = messagePayloadBound(m);
      if (bound > busFramePayloadBytesMax) {
        link.droppedMessages++;
        this.#opts.log("warning", `Bus: dropped a ${m.type} to node ${m.to}: up to ${bound} bytes exceeds the frame limit`);
        continue;
      }
      const frameBytes = frameHeaderBytes + bound;
      // One message always fits an empty queue, however large: a huge entry must get through.
      if (link.queuedBytes > 0 && link.queuedBytes + frameBytes > this.#queueMax) {
        link.droppedMessages++;
        continue;
      }
      link.outbox.push(m);
      link.outboxBytes += frameBytes;
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  peerStats(): PeerStats[] {
    const now = performance.now();
    return [...this.#links.values()].map((l) => ({
      id: l.id,
      addr: l.addr,
      state: l.state,
      lastContactMs: l.lastContactAt < 0 ? -1 : Math.round(now - l.lastContactAt),
      connErrors: l.connErrors,
      connOks: l.connOks,
      queuedBytes: l.queuedBytes,
      droppedMessages: l.droppedMessages,
    }));
  }

  /** Closes every connection and the listener. The bus cannot be started again. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const link of this.#links.values()) link.close();
    this.#links.clear();
    for (const conn of [...this.#conns]) conn.close(null);
    this.#listener?.stop(true);
    this.#listener = null;
  }

  /** End of the turn: encode each peer's outbox into as few writes as possible. */
  #flush(): void {
    this.#flushScheduled = false;
    if (this.#stopped) return;
    for (const link of this.#links.values()) {
      if (link.outbox.length === 0) continue;
      const outbox = link.outbox;
      link.outbox = [];
      link.outboxBytes = 0;
      if (link.state === "disconnected") {
        link.droppedMessages += outbox.length;
        continue;
      }
      this.#encodeInto(link, outbox);
    }
  }

  #encodeInto(link: OutgoingLink, messages: readonly Message[]): void {
    let pos = 0;
    for (const m of messages) {
      // A write may fail the connection (a closed socket): drop the rest of this batch.
      if (link.state === "disconnected") {
        link.droppedMessages++;
        continue;
      }
      const { bytes, owned } = encodeMessage(m);
      if (owned) {
        if (pos > 0) link.write(this.#scratch.subarray(0, pos), false);
        pos = 0;
        const header = new Uint8Array(frameHeaderBytes);
        writeFrameHeader(header, 0, bytes, busFramePayloadBytesMax);
        link.write(header, true);
        link.write(bytes, true);
        continue;
      }
      if (pos > 0 && pos + frameHeaderBytes + bytes.length > batchSegmentBytes) {
        link.write(this.#scratch.subarray(0, pos), false);
        pos = 0;
      }
      assert(pos + frameHeaderBytes + bytes.length <= this.#scratch.length, "a small message fits the batch buffer");
      writeFrameHeader(this.#scratch, pos, bytes, busFramePayloadBytesMax);
      this.#scratch.set(bytes, pos + frameHeaderBytes);
      pos += frameHeaderBytes + bytes.length;
    }
    if (pos > 0 && link.state !== "disconnected") link.write(this.#scratch.subarray(0, pos), false);
  }

  #deliver(m: Message): void {
    callOut(() => this.#opts.onMessage(m));
  }

  #pendingHandshakes(): number {
    let n = 0;
    for (const c of this.#conns) if (!c.open) n++;
    return n;
  }

  #logRefusal(host: string, line: string): void {
    const key = `${host} ${line.replace(/^Bus: refused connection from \S+: /, "")}`;
    const now = performance.now();
    const last = this.#refusalsLogged.get(key);
    const repeated = last !== undefined && now - last < busRefusalLogIntervalMs;
    if (!repeated) {
      if (this.#refusalsLogged.size >= busPendingHandshakesMax) this.#refusalsLogged.clear();
      this.#refusalsLogged.set(key, now);
    }
    this.#opts.log(repeated ? "verbose" : "warning", line);
  }

  #accepted(conn: InboundConn): void {
    const older = this.#inbound.get(conn.peerId);
    this.#inbound.set(conn.peerId, conn);
    if (older !== undefined && older !== conn) older.close(`replaced by a newer connection from node ${conn.peerId}`, "verbose");
  }

  #closed(conn: InboundConn): void {
    this.#conns.delete(conn);
    if (conn.peerId !== 0 && this.#inbound.get(conn.peerId) === conn) this.#inbound.delete(conn.peerId);
  }
}

