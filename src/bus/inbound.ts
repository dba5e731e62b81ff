// One connection a peer dialed to us: it only carries that peer's messages in. We speak first
// (the challenge), judge its hello, answer with a welcome or a refusal and, once it is
// authenticated, decode its frames into Raft messages. Nothing but a small handshake frame is
// read before authentication, so a stranger cannot make us allocate or decode much.

import type { Socket } from "bun";
import { busConnLogLinesMax, busFramePayloadBytesMax, busHandshakeFrameBytesMax } from "../constants.ts";
import type { Message, NodeId } from "../raft/types.ts";
import type { LogLevel } from "../util/log.ts";
import { decodeMessage } from "./codec.ts";
import { encodeFrame, FrameReader } from "./frame.ts";
import { busProtocolVersion, decodeHello, encodeChallenge, encodeWelcome, judgeHello, newNonce, welcomeProof, type Hello } from "./handshake.ts";

/** What an inbound connection needs from its bus. */
export interface InboundContext {
  readonly nodeId: NodeId;
  readonly clusterId: string;
  readonly key: Uint8Array | null;
  readonly connectionTimeoutMs: number;
  /** Whether a connection from this node may be accepted. */
  admits(id: NodeId): boolean;
  log(level: LogLevel, message: string): void;
  /** Logs a refused handshake (the bus keeps a peer that retries every second from flooding the log). */
  logRefusal(remoteHost: string, why: string): void;
  /** The handshake succeeded: the bus records the connection (replacing an older one). */
  accepted(conn: InboundConn): void;
  closed(conn: InboundConn): void;
  /** A frame arrived from this authenticated peer. */
  contact(id: NodeId): void;
  deliver(m: Message): void;
}

type Phase = "hello" | "open" | "closed";

export class InboundConn {
  /** The peer's node id, once authenticated (0 before). */
  peerId: NodeId = 0;
  /** Messages dropped for a `from` or `to` that does not fit this connection. */
  droppedMessages = 0;
  readonly #socket: Socket<InboundConn | undefined>;
  readonly #ctx: InboundContext;
  readonly #nonce = newNonce();
  readonly #reader = new FrameReader(busHandshakeFrameBytesMax);
  readonly #remote: string;
  #phase: Phase = "hello";
  #deadline: ReturnType<typeof setTimeout> | null;
  readonly #logged = new Map<string, number>();

  constructor(socket: Socket<InboundConn | undefined>, ctx: InboundContext) {
    this.#socket = socket;
    this.#ctx = ctx;
    this.#remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.#deadline = setTimeout(() => this.#refuse(`no handshake within ${ctx.connectionTimeoutMs} ms`, null), ctx.connectionTimeoutMs);
    const frame = encodeFrame(encodeChallenge({ version: busProtocolVersion, nonce: this.#nonce }), busHandshakeFrameBytesMax);
    if (socket.write(frame) !== frame.length) this.close("could not write the challenge");
  }

  get open(): boolean {
    return this.#phase === "open";
  }

  /** Closed (refused, failed or ended): the bus forgets it. */
  get finished(): boolean {
    return this.#phase === "closed";
  }

  onData(data: Uint8Array): void {
    if (this.#phase === "closed") return;
    const broken = this.#reader.feed(data, (payload) => this.#onFrame(payload));
    if (broken !== null && !this.finished) {
      if (this.#phase === "hello") this.#refuse(`bad handshake frame: ${broken}`, null);
      else this.close(`bad frame: ${broken}`);
    }
  }

  /** The socket closed under us. */
  onClose(): void {
    if (this.#phase === "closed") return;
    this.#phase = "closed";
    this.#clearDeadline();
    this.#ctx.closed(this);
  }

  /** Closes the connection; `reason` null means quietly (stop, replaced, membership change). */
  close(reason: string | null, level: LogLevel = "warning"): void {
    if (this.#phase === "closed") return;
    if (reason !== null) this.#ctx.log(level, `Bus: closing connection from node ${this.peerId} (${this.#remote}): ${reason}`);
    this.#phase = "closed";
    this.#clearDeadline();
    this.#socket.terminate();
    this.#ctx.closed(this);
  }

  #onFrame(payload: Uint8Array): boolean {
    if (this.#phase === "hello") return this.#onHello(payload);
    if (this.#phase !== "open") return false;
    this.#ctx.contact(this.peerId);
    const m = decodeMessage(payload);
    if (typeof m === "string") {
      this.close(`malformed message: ${m}`);
      return false;
    }
    if (m.from !== this.peerId) return this.#drop("spoofed sender", `a message claiming to be from node ${m.from}`);
    if (m.to !== this.#ctx.nodeId) return this.#drop("wrong recipient", `a message for node ${m.to}`);
    this.#ctx.deliver(m);
    return this.#phase === "open";
  }

  #onHello(payload: Uint8Array): boolean {
    const h = decodeHello(payload);
    if (typeof h === "string") return this.#refuse(h, null);
    const ctx = this.#ctx;
    const refusal = judgeHello(h, {
      nodeId: ctx.nodeId,
      clusterId: ctx.clusterId,
      key: ctx.key,
      nonce: this.#nonce,
      admits: (id) => ctx.admits(id),
    });
    if (refusal !== null) {
      return this.#refuse(`node ${h.from}: ${refusal.why}`, { tell: refusal.tell, hello: h });
    }
    const welcome = encodeFrame(encodeWelcome({ ok: true, reason: "", proof: welcomeProof(ctx.key, this.#nonce, h) }), busHandshakeFrameBytesMax);
    if (this.#socket.write(welcome) !== welcome.length) {
      this.close("could not write the welcome");
      return false;
    }
    this.#clearDeadline();
    this.peerId = h.from;
    this.#phase = "open";
    this.#reader.payloadBytesMax = busFramePayloadBytesMax;
    ctx.log("verbose", `Bus: accepted connection from node ${h.from} (${this.#remote})`);
    ctx.accepted(this);
    ctx.contact(h.from);
    return true;
  }

  /** Refuses the handshake: logs why, tells the dialer when it got as far as a hello, closes. */
  #refuse(why: string, answer: { tell: string; hello: Hello } | null): false {
    if (this.#phase !== "hello") return false;
    this.#ctx.logRefusal(this.#socket.remoteAddress, `Bus: refused connection from ${this.#remote}: ${why}`);
    this.#phase = "closed";
    this.#clearDeadline();
    if (answer !== null) {
      // The refusal carries no proof: a dialer never needs one to give up.
      this.#socket.write(encodeFrame(encodeWelcome({ ok: false, reason: answer.tell, proof: new Uint8Array(0) }), busHandshakeFrameBytesMax));
      this.#socket.end();
      // A dialer that never closes its side would keep the socket half open: not for long.
      const socket = this.#socket;
      setTimeout(() => socket.terminate(), this.#ctx.connectionTimeoutMs);
    } else {
      this.#socket.terminate();
    }
    this.#ctx.closed(this);
    return false;
  }

  /** Drops one message, logging the first few per reason and counting all. */
  #drop(reason: string, detail: string): boolean {
    this.droppedMessages++;
    const n = (this.#logged.get(reason) ?? 0) + 1;
    this.#logged.set(reason, n);
    if (n <= busConnLogLinesMax) {
      this.#ctx.log("warning", `Bus: dropped ${detail} on the connection from node ${this.peerId} (${reason}${n === busConnLogLinesMax ? "; further ones are only counted" : ""})`);
    }
    return true;
  }

  #clearDeadline(): void {
    if (this.#deadline !== null) clearTimeout(this.#deadline);
    this.#deadline = null;
  }
}
