// The bus handshake. Each node dials each peer for its own outgoing messages; the acceptor
// speaks first so that the dialer's proof covers a value the dialer could not have predicted:
//
//   acceptor → dialer   challenge  ["raftis-bus", version, nonceA]
//   dialer → acceptor   hello      [version, clusterId, from, to, nonceD, proof]
//   acceptor → dialer   welcome    [ok, reason, proof']
//
// With raft.cluster-password set, proof = HMAC-SHA256(key, "hello" | nonceA | nonceD | version |
// from | to | clusterId) and proof' is the same over "welcome": each side shows it holds the key
// without sending it, every field of the hello is bound to the proof (a man in the middle
// cannot change the ids), and a recorded hello is useless on a new connection (a new nonceA).
// The key is PBKDF2(password, "raftis-bus:" + clusterId) so a captured handshake does not make
// guessing the password cheap. Without a password both proofs are empty and only the ids are
// checked. After the welcome, the dialer sends Raft messages and the acceptor sends nothing.

import { Decoder, Encoder } from "@msgpack/msgpack";
import { createHmac, pbkdf2Sync, timingSafeEqual } from "node:crypto";
import { busPasswordKdfRounds, raftNodeIdMax } from "../constants.ts";
import type { NodeId } from "../raft/types.ts";

export const busProtocolVersion = 1;
const magic = "raftis-bus";
export const nonceBytes = 32;
const proofBytes = 32;
const clusterIdBytesMax = 128;
const reasonBytesMax = 256;

export interface Challenge {
  readonly version: number;
  readonly nonce: Uint8Array;
}

export interface Hello {
  readonly version: number;
  readonly clusterId: string;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly nonce: Uint8Array;
  /** Empty when the dialer has no password. */
  readonly proof: Uint8Array;
}

export interface Welcome {
  readonly ok: boolean;
  /** Why the acceptor refused (empty when ok). */
  readonly reason: string;
  readonly proof: Uint8Array;
}

export function newNonce(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(nonceBytes));
}

/** The handshake key for `password` in cluster `clusterId`; null when there is no password. */
export function deriveBusKey(password: string, clusterId: string): Uint8Array | null {
  if (password === "") return null;
  return new Uint8Array(pbkdf2Sync(password, `raftis-bus:${clusterId}`, busPasswordKdfRounds, 32, "sha256"));
}

const encoder = new Encoder();
const decoder = new Decoder({
  maxStrLength: Math.max(clusterIdBytesMax, reasonBytesMax),
  maxBinLength: nonceBytes,
  maxArrayLength: 8,
  maxMapLength: 0,
  maxExtLength: 0,
});

function decodeArray(payload: Uint8Array, fields: number, what: string): unknown[] | string {
  let raw: unknown;
  try {
    raw = decoder.decode(payload);
  } catch (e) {
    return `undecodable ${what}: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (!Array.isArray(raw) || raw.length !== fields) return `malformed ${what}`;
  return raw as unknown[];
}

function isBytes(v: unknown, length: number): v is Uint8Array {
  return v instanceof Uint8Array && v.length === length;
}

export function encodeChallenge(c: Challenge): Uint8Array {
  return encoder.encode([magic, c.version, c.nonce]);
}

export function decodeChallenge(payload: Uint8Array): Challenge | string {
  const raw = decodeArray(payload, 3, "challenge");
  if (typeof raw === "string") return raw;
  const [m, version, nonce] = raw;
  if (m !== magic) return "the peer is not a raftis bus";
  if (typeof version !== "number" || !Number.isInteger(version)) return "malformed challenge";
  if (!isBytes(nonce, nonceBytes)) return "malformed challenge nonce";
  return { version, nonce };
}

export function encodeHello(h: Hello): Uint8Array {
  return encoder.encode([h.version, h.clusterId, h.from, h.to, h.nonce, h.proof]);
}

function isNodeId(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= raftNodeIdMax;
}

export function decodeHello(payload: Uint8Array): Hello | string {
  const raw = decodeArray(payload, 6, "hello");
  if (typeof raw === "string") return raw;
  const [version, clusterId, from, to, nonce, proof] = raw;
  if (typeof version !== "number" || !Number.isInteger(version)) return "malformed hello version";
  if (typeof clusterId !== "string" || clusterId.length > clusterIdBytesMax) return "malformed hello cluster id";
  if (!isNodeId(from) || !isNodeId(to)) return "malformed hello node ids";
  if (!isBytes(nonce, nonceBytes)) return "malformed hello nonce";
  if (!(proof instanceof Uint8Array) || (proof.length !== 0 && proof.length !== proofBytes)) return "malformed hello proof";
  return { version, clusterId, from, to, nonce, proof };
}

export function encodeWelcome(w: Welcome): Uint8Array {
  return encoder.encode([w.ok, w.reason.slice(0, reasonBytesMax), w.proof]);
}

export function decodeWelcome(payload: Uint8Array): Welcome | string {
  const raw = decodeArray(payload, 3, "welcome");
  if (typeof raw === "string") return raw;
  const [ok, reason, proof] = raw;
  if (typeof ok !== "boolean" || typeof reason !== "string") return "malformed welcome";
  if (!(proof instanceof Uint8Array) || (proof.length !== 0 && proof.length !== proofBytes)) return "malformed welcome proof";
  return { ok, reason, proof };
}

function proof(key: Uint8Array, label: "hello" | "welcome", nonceA: Uint8Array, h: Hello): Uint8Array {
  const ids = new Uint8Array(12);
  const view = new DataView(ids.buffer);
  view.setUint32(0, h.version);
  view.setUint32(4, h.from);
  view.setUint32(8, h.to);
  return new Uint8Array(
    createHmac("sha256", key).update(label).update(nonceA).update(h.nonce).update(ids).update(h.clusterId).digest(),
  );
}

/** The dialer's proof for its hello (empty without a key). */
export function helloProof(key: Uint8Array | null, nonceA: Uint8Array, h: Omit<Hello, "proof">): Uint8Array {
  return key === null ? new Uint8Array(0) : proof(key, "hello", nonceA, { ...h, proof: new Uint8Array(0) });
}

/** The acceptor's proof in its welcome (empty without a key). */
export function welcomeProof(key: Uint8Array | null, nonceA: Uint8Array, h: Hello): Uint8Array {
  return key === null ? new Uint8Array(0) : proof(key, "welcome", nonceA, h);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function verifyHelloProof(key: Uint8Array, nonceA: Uint8Array, h: Hello): boolean {
  return sameBytes(h.proof, proof(key, "hello", nonceA, h));
}

export function verifyWelcomeProof(key: Uint8Array, nonceA: Uint8Array, h: Hello, w: Welcome): boolean {
  return sameBytes(w.proof, proof(key, "welcome", nonceA, h));
}

/** What the acceptor knows when it judges a hello. */
export interface AcceptorView {
  readonly nodeId: NodeId;
  readonly clusterId: string;
  readonly key: Uint8Array | null;
  readonly nonce: Uint8Array;
  /** Whether a connection from this node id may be accepted (a member, or anyone while joining). */
  readonly admits: (id: NodeId) => boolean;
}

/** Why a hello is refused: `why` for our log, `tell` for the dialer. */
export interface Refusal {
  readonly why: string;
  readonly tell: string;
}

/** Judges a hello; null means accept. The proof is checked before membership is revealed. */
export function judgeHello(h: Hello, a: AcceptorView): Refusal | null {
  if (a.nodeId === 0 || a.clusterId === "") return { why: "this node does not know its identity yet", tell: "node not ready (no identity yet)" };
  if (h.version !== busProtocolVersion) {
    return { why: `protocol version ${h.version} is not supported (we speak ${busProtocolVersion})`, tell: `protocol version ${h.version} not supported` };
  }
  if (h.clusterId !== a.clusterId) return { why: `wrong cluster id ${JSON.stringify(h.clusterId)} (ours is ${a.clusterId})`, tell: "wrong cluster id" };
  if (a.key !== null) {
    if (h.proof.length === 0) return { why: "no password proof (raft.cluster-password is set here)", tell: "authentication required" };
    if (!verifyHelloProof(a.key, a.nonce, h)) return { why: "bad password proof", tell: "authentication failed" };
  }
  if (h.to !== a.nodeId) return { why: `it wants node ${h.to}, this is node ${a.nodeId}`, tell: `this is node ${a.nodeId}, not ${h.to}` };
  if (h.from === a.nodeId) return { why: `it claims this node's own id ${h.from}`, tell: "node id clash" };
  if (!a.admits(h.from)) return { why: "not a member of this cluster", tell: `node ${h.from} is not a member` };
  return null;
}
