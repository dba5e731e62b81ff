// One peer as seen by the sender: the TCP connection this node dials to carry its messages to
// that peer (messages in the other direction arrive on the connection the peer dials). It
// connects, runs the dialer's half of the handshake, writes queued frames as the socket drains,
// and on any failure drops the connection and dials again after an exponential backoff.
//
// Timers: `connectionTimeoutMs` bounds connect + handshake; `responseTimeoutMs` bounds how long
// queued bytes may wait without the peer reading any (a stuck peer): past it the connection is
// closed and dialed again, so a frozen follower does not hold a connection full of stale data.

import type { Socket } from "bun";
import { busHandshakeFrameBytesMax, busReconnectBackoffMaxMs } from "../constants.ts";
import type { Message, NodeId } from "../raft/types.ts";
import { assert } from "../util/assert.ts";
import type { LogLevel } from "../util/log.ts";
import { parseHostPort, type HostPort } from "./address.ts";
import { encodeFrame, FrameReader } from "./frame.ts";
import {
  busProtocolVersion,
  decodeChallenge,
  decodeWelcome,
  encodeHello,
  helloProof,
  newNonce,
  verifyWelcomeProof,
  type Hello,
} from "./handshake.ts";
import { OutQueue } from "./out-queue.ts";
import { rethrowBug } from "./rethrow.ts";

export type LinkState = "disconnected" | "connecting" | "connected";

/** What a link needs from its bus; identity is read at each dial (a joining node learns it late). */
export interface LinkContext {
  readonly nodeId: NodeId;
  readonly clusterId: string;
  readonly key: Uint8Array | null;
  readonly connectionTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly reconnectIntervalMs: number;
  log(level: LogLevel, message: string): void;
  linkStateChanged(id: NodeId, connected: boolean): void;
}

type Phase = "challenge" | "welcome" | "open";

export class OutgoingLink {
  readonly id: NodeId;
  readonly addr: string;
  readonly #target: HostPort | null;
  readonly #ctx: LinkContext;
  state: LinkState = "disconnected";
  connErrors = 0;
  connOks = 0;
  droppedMessages = 0;
  /** performance.now() of the last frame received from this peer on either connection; -1: never. */
  lastContactAt = -1;
  /** Messages accepted by send() this turn, encoded at the end of it (one write per peer). */
  outbox: Message[] = [];
  /** Upper bound of the outbox's encoded bytes. */
  outboxBytes = 0;
  readonly queue = new OutQueue();

  #socket: Socket<undefined> | null = null;
  /** Bumped whenever a connection is dropped: callbacks of older connections are ignored. */
  #attempt = 0;
  #closed = false;
  #phase: Phase = "challenge";
  #reader = new FrameReader(busHandshakeFrameBytesMax);
  #hello: Hello | null = null;
  #challengeNonce: Uint8Array | null = null;
  #backoffMs: number;
  #reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  #deadlineTimer: ReturnType<typeof setTimeout> | null = null;
  #stallTimer: ReturnType<typeof setTimeout> | null = null;
  /** When queued bytes last moved (or started waiting). */
  #lastProgressAt = 0;
  #lastFailure = "";

  constructor(id: NodeId, addr: string, ctx: LinkContext) {
    this.id = id;
    this.addr = addr;
    this.#ctx = ctx;
    this.#target = parseHostPort(addr);
    this.#backoffMs = ctx.reconnectIntervalMs;
    if (this.#target === null) ctx.log("warning", `Bus: node ${id} has an unusable address ${JSON.stringify(addr)}: not dialing it`);
  }

  /** Unsent bytes to this peer: not yet encoded plus encoded and not yet written. */
  get queuedBytes(): number {
    return this.outboxBytes + this.queue.bytes;
  }

  /** Dials now if not already connecting or connected. */
  start(): void {
    if (this.state === "disconnected" && this.#reconnectTimer === null) this.#dial();
  }

  /** Drops the connection on purpose (the identity changed) and dials again at once. */
  restart(): void {
    if (this.#closed) return;
    this.#drop(false);
    this.#clearReconnect();
    this.#backoffMs = this.#ctx.reconnectIntervalMs;
    this.#dial();
  }

  /** Closes for good (the peer left the membership, or the bus stops). */
  close(): void {
    if (this.#closed) return;
    this.#drop(false);
    this.#clearReconnect();
    this.#closed = true;
    this.droppedMessages += this.outbox.length;
    this.outbox = [];
    this.outboxBytes = 0;
  }

  /** Queues encoded frames; written at once when connected and nothing waits before them. */
  write(bytes: Uint8Array, owned: boolean): void {
    // The connection may have failed under an earlier write of this batch: the rest is lost with it.
    if (this.#closed || this.state === "disconnected") return;
    const before = this.queue.bytes;
    const sink = this.state === "connected" ? this.#socket : null;
    const n = this.queue.push(bytes, owned, sink);
    if (n > 0 || (before === 0 && this.queue.bytes > 0)) this.#lastProgressAt = performance.now();
    this.#armStall();
  }

  #dial(): void {
    const ctx = this.#ctx;
    if (this.#closed || this.#target === null || ctx.nodeId === 0 || ctx.clusterId === "") return;
    assert(this.state === "disconnected" && this.#socket === null, "one connection per link");
    const attempt = ++this.#attempt;
    this.state = "connecting";
    this.#phase = "challenge";
    this.#reader = new FrameReader(busHandshakeFrameBytesMax);
    this.#deadlineTimer = setTimeout(
      () => this.#fail(attempt, `no connection and handshake within ${ctx.connectionTimeoutMs} ms`),
      ctx.connectionTimeoutMs,
    );
    const current = (): boolean => attempt === this.#attempt;
    Bun.connect({
      hostname: this.#target.host,
      port: this.#target.port,
      socket: {
        binaryType: "uint8array",
        open: (s) => {
          if (current()) this.#socket = s;
          else s.terminate();
        },
        data: (_s, data) => {
          if (current()) this.#onData(attempt, data);
        },
        drain: () => {
          if (current()) this.#onDrain();
        },
        close: (_s, err) => {
          if (current()) this.#fail(attempt, err ? `connection lost: ${err.message}` : "connection closed by the peer");
        },
        error: (_s, err) => {
          rethrowBug(err);
          if (current()) this.#fail(attempt, `socket error: ${err.message}`);
        },
        connectError: (_s, err) => {
          if (current()) this.#fail(attempt, `cannot connect: ${err.message}`);
        },
      },
    }).catch(() => {
      // connectError reported it.
    });
  }

  #onData(attempt: number, data: Uint8Array): void {
    const broken = this.#reader.feed(data, (payload) => this.#onFrame(attempt, payload));
    if (broken !== null) this.#fail(attempt, `bad frame from the peer: ${broken}`);
  }

  /** Returns false once the connection is gone (stop reading). */
  #onFrame(attempt: number, payload: Uint8Array): boolean {
    if (attempt !== this.#attempt) return false;
    this.lastContactAt = performance.now();
    const ctx = this.#ctx;
    if (this.#phase === "challenge") {
      const c = decodeChallenge(payload);
      if (typeof c === "string") return this.#fail(attempt, c);
      if (c.version !== busProtocolVersion) return this.#fail(attempt, `the peer speaks bus protocol ${c.version}, we speak ${busProtocolVersion}`);
      const fields = { version: busProtocolVersion, clusterId: ctx.clusterId, from: ctx.nodeId, to: this.id, nonce: newNonce() };
      const hello: Hello = { ...fields, proof: helloProof(ctx.key, c.nonce, fields) };
      const frame = encodeFrame(encodeHello(hello), busHandshakeFrameBytesMax);
      // A fresh connection's send buffer is empty: a short write here means it is already gone.
      const socket = this.#socket;
      if (socket === null || socket.write(frame) !== frame.length) return this.#fail(attempt, "could not write the handshake");
      this.#hello = hello;
      this.#challengeNonce = c.nonce;
      this.#phase = "welcome";
      return true;
    }
    if (this.#phase === "welcome") {
      const w = decodeWelcome(payload);
      if (typeof w === "string") return this.#fail(attempt, w);
      if (!w.ok) return this.#fail(attempt, `refused by the peer: ${w.reason}`);
      const hello = this.#hello;
      const nonce = this.#challengeNonce;
      assert(hello !== null && nonce !== null, "a welcome follows our hello");
      if (ctx.key !== null && !verifyWelcomeProof(ctx.key, nonce, hello, w)) {
        return this.#fail(attempt, "the peer could not prove it knows raft.cluster-password");
      }
      this.#connected();
      return true;
    }
    return this.#fail(attempt, "the acceptor sent data after the handshake");
  }

  #connected(): void {
    if (this.#deadlineTimer !== null) clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = null;
    this.#phase = "open";
    this.state = "connected";
    this.connOks++;
    this.#backoffMs = this.#ctx.reconnectIntervalMs;
    this.#lastFailure = "";
    this.#ctx.log("notice", `Bus: connected to node ${this.id} at ${this.addr}`);
    this.#ctx.linkStateChanged(this.id, true);
    this.#lastProgressAt = performance.now();
    this.#onDrain();
  }

  #onDrain(): void {
    const socket = this.#socket;
    if (this.state !== "connected" || socket === null) return;
    if (this.queue.pump(socket) > 0) this.#lastProgressAt = performance.now();
    this.#armStall();
  }

  #armStall(): void {
    if (this.#stallTimer !== null || this.state !== "connected" || this.queue.bytes === 0) return;
    const attempt = this.#attempt;
    const check = (): void => {
      this.#stallTimer = null;
      if (attempt !== this.#attempt || this.state !== "connected" || this.queue.bytes === 0) return;
      const idle = performance.now() - this.#lastProgressAt;
      const limit = this.#ctx.responseTimeoutMs;
      if (idle >= limit) {
        this.#fail(attempt, `the peer read nothing for ${Math.round(idle)} ms with ${this.queue.bytes} bytes waiting`);
      } else {
        this.#stallTimer = setTimeout(check, limit - idle);
      }
    };
    this.#stallTimer = setTimeout(check, this.#ctx.responseTimeoutMs);
  }

  /** Drops the current connection because it failed, and schedules the next dial. */
  #fail(attempt: number, reason: string): false {
    if (attempt !== this.#attempt || this.#closed) return false;
    const wasConnected = this.state === "connected";
    this.#drop(true);
    this.connErrors++;
    const ctx = this.#ctx;
    if (wasConnected) ctx.log("warning", `Bus: lost connection to node ${this.id} at ${this.addr}: ${reason}`);
    else ctx.log(reason === this.#lastFailure ? "verbose" : "warning", `Bus: cannot reach node ${this.id} at ${this.addr}: ${reason}`);
    this.#lastFailure = reason;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, Math.max(busReconnectBackoffMaxMs, ctx.reconnectIntervalMs));
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      this.#dial();
    }, delay);
    return false;
  }

  /**
   * Ends the current connection (if any): later callbacks from it are ignored, queued bytes are
   * discarded (Raft retransmits what matters) and the state becomes disconnected.
   */
  #drop(failed: boolean): void {
    this.#attempt++;
    const wasConnected = this.state === "connected";
    const socket = this.#socket;
    this.#socket = null;
    if (socket !== null) {
      // A failed connection may sit on a full send buffer: reset it rather than wait for it.
      if (failed) socket.terminate();
      else socket.end();
    }
    for (const t of [this.#deadlineTimer, this.#stallTimer]) if (t !== null) clearTimeout(t);
    this.#deadlineTimer = null;
    this.#stallTimer = null;
    this.queue.clear();
    this.#hello = null;
    this.#challengeNonce = null;
    this.state = "disconnected";
    if (wasConnected) this.#ctx.linkStateChanged(this.id, false);
  }

  #clearReconnect(): void {
    if (this.#reconnectTimer !== null) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
  }
}
