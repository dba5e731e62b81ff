// Shared pieces of the bus tests: real buses on 127.0.0.1 that record what they receive and
// log, seeded random Raft messages, and hand-rolled peers (an acceptor that stops reading, a
// dialer that lies) built from the bus's own frame and handshake functions.

import type { Socket } from "bun";
import { Bus, type BusOptions } from "../../src/bus/bus.ts";
import { encodeMessage } from "../../src/bus/codec.ts";
import { encodeFrame, FrameReader } from "../../src/bus/frame.ts";
import {
  busProtocolVersion,
  decodeChallenge,
  decodeHello,
  decodeWelcome,
  deriveBusKey,
  encodeChallenge,
  encodeHello,
  encodeWelcome,
  helloProof,
  newNonce,
  welcomeProof,
  type Welcome,
} from "../../src/bus/handshake.ts";
import { busFramePayloadBytesMax, busHandshakeFrameBytesMax } from "../../src/constants.ts";
import type { Rng } from "../../src/engine/rng.ts";
import { entryTypes, messageTypes, type Entry, type Message, type MessageType, type NodeId } from "../../src/raft/types.ts";
import { waitFor } from "../helpers/wait.ts";

export interface TestBus {
  readonly bus: Bus;
  readonly port: number;
  readonly id: NodeId;
  readonly inbox: Message[];
  readonly logs: string[];
  /** onPeerState calls, as "id:up" / "id:down". */
  readonly states: string[];
  addr(): string;
}

const everyBus: Bus[] = [];

export async function startBus(opts: Partial<BusOptions> & { nodeId: NodeId }): Promise<TestBus> {
  const inbox: Message[] = [];
  const logs: string[] = [];
  const states: string[] = [];
  const bus = new Bus({
    clusterId: "c0ffee",
    password: "",
    listenHost: "127.0.0.1",
    listenPort: 0,
    connectionTimeoutMs: 2000,
    responseTimeoutMs: 30_000,
    reconnectIntervalMs: 20,
    onMessage: (m) => inbox.push(m),
    onPeerState: (id, up) => states.push(`${id}:${up ? "up" : "down"}`),
    log: (level, msg) => {
      logs.push(`${level} ${msg}`);
      if (process.env.BUS_LOG) console.log(`[bus ${opts.nodeId}] ${level} ${msg}`);
    },
    ...opts,
  });
  everyBus.push(bus);
  const port = await bus.start();
  return { bus, port, id: opts.nodeId, inbox, logs, states, addr: () => `127.0.0.1:${port}` };
}

export function stopAllBuses(): void {
  for (const b of everyBus.splice(0)) b.stop();
}

export function peersOf(...buses: TestBus[]): Map<NodeId, string> {
  return new Map(buses.map((b) => [b.id, b.addr()]));
}

export async function waitConnected(from: TestBus, to: NodeId, timeoutMs = 10_000): Promise<void> {
  await waitFor(`node ${from.id} connected to ${to}`, () => from.bus.peerStats().find((p) => p.id === to)?.state === "connected", timeoutMs, 5);
}

export async function waitLog(b: TestBus, needle: string, timeoutMs = 10_000): Promise<string> {
  return waitFor(`node ${b.id} logs "${needle}" (has: ${b.logs.slice(-5).join(" | ")})`, () => b.logs.find((l) => l.includes(needle)), timeoutMs, 5);
}

export function stats(b: TestBus, peer: NodeId) {
  const s = b.bus.peerStats().find((p) => p.id === peer);
  if (s === undefined) throw new Error(`node ${b.id} has no peer ${peer}`);
  return s;
}

/** One event-loop turn: messages sent before it leave in the flush it lets run. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

// ---- random messages ----


export function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.nextInt(256);
  return out;
}

function counter(rng: Rng): number {
  const r = rng.nextInt(10);
  if (r === 0) return 0;
  if (r === 1) return Number.MAX_SAFE_INTEGER - rng.nextInt(1000); // msgpack uint64
  if (r === 2) return 2 ** 32 + rng.nextInt(1000);
  return rng.nextInt(100_000);
}

export function emptyMessage(type: MessageType, from: NodeId, to: NodeId): Message {
  return { type, from, to, term: 0, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, context: new Uint8Array(0), snapshot: null };
}

export function randomMessage(rng: Rng, from: NodeId, to: NodeId): Message {
  const type = messageTypes[rng.nextInt(messageTypes.length)]!;
  const m = emptyMessage(type, from, to);
  m.term = counter(rng);
  m.logTerm = counter(rng);
  m.index = counter(rng);
  m.commit = counter(rng);
  m.rejectHint = counter(rng);
  m.reject = rng.nextInt(2) === 0;
  m.context = randomBytes(rng, rng.nextInt(4) === 0 ? rng.nextInt(32) : 0);
  if (type === "MsgApp") {
    const n = rng.nextInt(6);
    const entries: Entry[] = [];
    for (let i = 0; i < n; i++) {
      const big = rng.nextInt(20) === 0;
      entries.push({ term: counter(rng), index: counter(rng), type: entryTypes[rng.nextInt(3)]!, data: randomBytes(rng, big ? rng.nextInt(20_000) : rng.nextInt(100)) });
    }
    m.entries = entries;
  }
  if (type === "MsgSnap") {
    const data = randomBytes(rng, rng.nextInt(4096));
    const offset = rng.nextInt(10_000);
    const ids = (k: number): number[] => Array.from({ length: k }, () => 1 + rng.nextInt(0xfffffffe));
    m.snapshot = {
      meta: { index: counter(rng), term: counter(rng), conf: { voters: ids(rng.nextInt(6)), learners: ids(rng.nextInt(3)), removed: ids(rng.nextInt(3)) } },
      offset,
      totalBytes: offset + data.length + rng.nextInt(2) * rng.nextInt(100_000),
      data,
    };
  }
  return m;
}

/** Index of the first message that differs between what was sent and what arrived, or -1. */
export function firstMismatch(sent: readonly Message[], got: readonly Message[]): number {
  const n = Math.max(sent.length, got.length);
  for (let i = 0; i < n; i++) {
    const a = sent[i];
    const b = got[i];
    if (a === undefined || b === undefined || !Bun.deepEquals(normalize(a), normalize(b))) return i;
  }
  return -1;
}

/** Typed-array views compare by content whatever buffer they live in. */
function normalize(m: Message): unknown {
  return JSON.parse(JSON.stringify(m, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString("base64") : v)));
}

// ---- hand-rolled peers ----

export interface FakeAcceptor {
  readonly port: number;
  /** Connections that completed the handshake. */
  readonly welcomed: number;
  /** Hello frames received, as sent on the wire (header included). */
  readonly helloFrames: Uint8Array[];
  stop(): void;
}

interface AcceptorConn {
  reader: FrameReader;
  nonce: Uint8Array;
  raw: Uint8Array[];
}

/**
 * An acceptor speaking the handshake as node `nodeId`, accepting any hello, that stops reading
 * (pauses its socket) once the handshake is done when `stopReading` is set; else it reads and
 * discards. `silent`: it never even sends a challenge.
 */
export function fakeAcceptor(opts: { nodeId: NodeId; clusterId: string; password?: string; stopReading?: boolean; silent?: boolean }): FakeAcceptor {
  const key = deriveBusKey(opts.password ?? "", opts.clusterId);
  let welcomed = 0;
  const helloFrames: Uint8Array[] = [];
  const listener = Bun.listen<AcceptorConn | undefined>({
    hostname: "127.0.0.1",
    port: 0,
    data: undefined,
    socket: {
      binaryType: "uint8array",
      open(s) {
        if (opts.silent) {
          s.pause();
          return;
        }
        const conn: AcceptorConn = { reader: new FrameReader(busHandshakeFrameBytesMax), nonce: newNonce(), raw: [] };
        s.data = conn;
        s.write(encodeFrame(encodeChallenge({ version: busProtocolVersion, nonce: conn.nonce }), busHandshakeFrameBytesMax));
      },
      data(s, data) {
        const conn = s.data;
        if (conn === undefined || conn.reader.payloadBytesMax === busFramePayloadBytesMax) return;
        conn.reader.feed(data, (payload) => {
          const hello = decodeHello(payload);
          if (typeof hello === "string") throw new Error(`fake acceptor got a bad hello: ${hello}`);
          helloFrames.push(encodeFrame(payload, busHandshakeFrameBytesMax));
          s.write(encodeFrame(encodeWelcome({ ok: true, reason: "", proof: welcomeProof(key, conn.nonce, hello) }), busHandshakeFrameBytesMax));
          welcomed++;
          conn.reader.payloadBytesMax = busFramePayloadBytesMax;
          if (opts.stopReading) s.pause();
          return false;
        });
      },
      close() {},
      error() {},
    },
  });
  return {
    port: listener.port,
    get welcomed() {
      return welcomed;
    },
    helloFrames,
    stop: () => listener.stop(true),
  };
}

export interface FakeDialer {
  /** The acceptor's answer to our hello (null until it came). */
  welcome: Welcome | null;
  closed: boolean;
  sendMessage(m: Message): void;
  sendRaw(bytes: Uint8Array): void;
  close(): void;
}

/**
 * Dials a bus and runs the dialer's handshake as node `from` (or sends `replay`/`raw` instead
 * of a fresh hello). Resolves once the acceptor answered or closed.
 */
export async function fakeDialer(port: number, opts: { from: NodeId; to: NodeId; clusterId: string; password?: string; replay?: Uint8Array; raw?: Uint8Array }): Promise<FakeDialer> {
  const key = deriveBusKey(opts.password ?? "", opts.clusterId);
  const reader = new FrameReader(busHandshakeFrameBytesMax);
  let socket: Socket<undefined> | null = null;
  const dialer: FakeDialer = {
    welcome: null,
    closed: false,
    sendMessage(m) {
      socket?.write(encodeFrame(encodeMessage(m).bytes, busFramePayloadBytesMax));
    },
    sendRaw(bytes) {
      socket?.write(bytes);
    },
    close() {
      socket?.end();
    },
  };
  socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      binaryType: "uint8array",
      data(s, data) {
        reader.feed(data, (payload) => {
          const c = decodeChallenge(payload);
          if (typeof c !== "string") {
            if (opts.raw !== undefined) s.write(opts.raw);
            else if (opts.replay !== undefined) s.write(opts.replay);
            else {
              const fields = { version: busProtocolVersion, clusterId: opts.clusterId, from: opts.from, to: opts.to, nonce: newNonce() };
              s.write(encodeFrame(encodeHello({ ...fields, proof: helloProof(key, c.nonce, fields) }), busHandshakeFrameBytesMax));
            }
            return true;
          }
          const w = decodeWelcome(payload);
          if (typeof w === "string") throw new Error(`fake dialer got a bad welcome: ${w}`);
          dialer.welcome = w;
          return true;
        });
      },
      close() {
        dialer.closed = true;
      },
      error() {},
    },
  });
  await waitFor("the acceptor answers the fake dialer", () => dialer.welcome !== null || dialer.closed, 10_000, 5);
  return dialer;
}
