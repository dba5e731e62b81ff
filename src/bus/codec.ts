// The bus's message codec: a Raft Message as a msgpack array (positional, so heartbeats stay
// small and decoding is a fixed walk), the only place that knows the wire layout of a message.
//
//   [type, from, to, term, logTerm, index, entries, commit, reject, rejectHint, context, snapshot]
//   entries  = flat [term, index, entryType, data, term, index, entryType, data, ...]
//   snapshot = nil | [index, term, voters, learners, removed, offset, totalBytes, data]
//
// Decoding is strict: every field is checked for type and range, and a message that would be
// refused on decoding is an assertion failure on encoding (the same checks run on both sides).

import { Decoder, Encoder } from "@msgpack/msgpack";
import { busFramePayloadBytesMax, busLargeMessageBytes, raftNodeIdMax } from "../constants.ts";
import { entryTypes, messageTypes, type ConfState, type Entry, type EntryType, type Message, type MessageType, type SnapshotChunk } from "../raft/types.ts";
import { assert } from "../util/assert.ts";

const messageTypeCodes = new Map<MessageType, number>(messageTypes.map((t, i) => [t, i]));
const entryTypeCodes = new Map<EntryType, number>(entryTypes.map((t, i) => [t, i]));

const messageFields = 12;
const entryFields = 4;
const snapshotFields = 8;

// msgpack's worst case per item: array/bin headers 5 bytes, unsigned integers 9, nil/bool 1.
const arrayHeaderMax = 5;
const binHeaderMax = 5;
const uintMax = 9;

/** An upper bound of the encoded size of `m`, computed without encoding it. */
export function messagePayloadBound(m: Message): number {
  let n = arrayHeaderMax + 1 + 7 * uintMax + 1 + binHeaderMax + m.context.length + arrayHeaderMax;
  for (const e of m.entries) n += 2 * uintMax + 1 + binHeaderMax + e.data.length;
  const s = m.snapshot;
  n += 1;
  if (s !== null) {
    const ids = s.meta.conf.voters.length + s.meta.conf.learners.length + s.meta.conf.removed.length;
    n += arrayHeaderMax + 4 * uintMax + 3 * arrayHeaderMax + ids * uintMax + binHeaderMax + s.data.length;
  }
  return n;
}

const smallEncoder = new Encoder({ initialBufferSize: 64 * 1024 });

export interface EncodedMessage {
  readonly bytes: Uint8Array;
  /**
   * True when `bytes` has its own buffer. False: a view of a shared buffer, valid only until
   * the next call (copy what must outlive it).
   */
  readonly owned: boolean;
}

/**
 * Encodes `m` (valid by checkMessage). The caller checked that messagePayloadBound(m) is within
 * busFramePayloadBytesMax; large messages get their own exactly-sized buffer, so no encoder
 * keeps hundreds of megabytes after a big entry went by.
 */
export function encodeMessage(m: Message): EncodedMessage {
  const why = checkMessage(m);
  assert(why === null, `outgoing message is well formed: ${why}`);
  const bound = messagePayloadBound(m);
  assert(bound <= busFramePayloadBytesMax, "outgoing message within the frame limit");
  const tuple = toTuple(m);
  if (bound > busLargeMessageBytes) {
    const bytes = new Encoder({ initialBufferSize: bound }).encodeSharedRef(tuple);
    assert(bytes.length <= bound, "message size bound holds");
    return { bytes, owned: true };
  }
  const bytes = smallEncoder.encodeSharedRef(tuple);
  assert(bytes.length <= bound, "message size bound holds");
  return { bytes, owned: false };
}

function toTuple(m: Message): unknown[] {
  const entries: unknown[] = new Array(m.entries.length * entryFields);
  let i = 0;
  for (const e of m.entries) {
    entries[i++] = e.term;
    entries[i++] = e.index;
    entries[i++] = entryTypeCodes.get(e.type);
    entries[i++] = e.data;
  }
  const s = m.snapshot;
  const snapshot =
    s === null ? null : [s.meta.index, s.meta.term, s.meta.conf.voters, s.meta.conf.learners, s.meta.conf.removed, s.offset, s.totalBytes, s.data];
  return [messageTypeCodes.get(m.type), m.from, m.to, m.term, m.logTerm, m.index, entries, m.commit, m.reject, m.rejectHint, m.context, snapshot];
}

// Messages hold no strings, maps or extensions: the decoder refuses them outright.
const decoder = new Decoder({
  maxStrLength: 0,
  maxMapLength: 0,
  maxExtLength: 0,
  maxBinLength: busFramePayloadBytesMax,
  maxArrayLength: busFramePayloadBytesMax,
});

/**
 * Decodes a message payload. Returns why it is malformed instead of throwing: the bytes come from
 * the network. Binary fields are views of `payload` (not copied).
 */
export function decodeMessage(payload: Uint8Array): Message | string {
  let raw: unknown;
  try {
    raw = decoder.decode(payload);
  } catch (e) {
    return `undecodable message: ${e instanceof Error ? e.message : String(e)}`;
  }
  const m = fromTuple(raw);
  if (typeof m === "string") return m;
  const why = checkMessage(m);
  return why ?? m;
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function isNodeId(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= raftNodeIdMax;
}

function fromTuple(raw: unknown): Message | string {
  if (!Array.isArray(raw) || raw.length !== messageFields) return "a message is an array of 12 fields";
  const [typeCode, from, to, term, logTerm, index, flat, commit, reject, rejectHint, context, snap] = raw as unknown[];
  const type = typeof typeCode === "number" ? messageTypes[typeCode] : undefined;
  if (type === undefined) return `unknown message type ${String(typeCode)}`;
  if (!isNodeId(from) || !isNodeId(to)) return "bad node id";
  if (!isCount(term) || !isCount(logTerm) || !isCount(index) || !isCount(commit) || !isCount(rejectHint)) return "bad counter";
  if (typeof reject !== "boolean") return "bad reject flag";
  if (!(context instanceof Uint8Array)) return "bad context";
  if (!Array.isArray(flat) || flat.length % entryFields !== 0) return "bad entries";
  const entries: Entry[] = new Array(flat.length / entryFields);
  for (let i = 0, j = 0; i < flat.length; i += entryFields, j++) {
    const [eTerm, eIndex, eType, data] = [flat[i], flat[i + 1], flat[i + 2], flat[i + 3]] as unknown[];
    const entryType = typeof eType === "number" ? entryTypes[eType] : undefined;
    if (!isCount(eTerm) || !isCount(eIndex) || entryType === undefined || !(data instanceof Uint8Array)) return `bad entry ${j}`;
    entries[j] = { term: eTerm, index: eIndex, type: entryType, data };
  }
  let snapshot: SnapshotChunk | null = null;
  if (snap !== null) {
    const s = snapshotFromTuple(snap);
    if (typeof s === "string") return s;
    snapshot = s;
  }
  return { type, from, to, term, logTerm, index, entries, commit, reject, rejectHint, context, snapshot };
}

function nodeIds(v: unknown): v is number[] {
  return Array.isArray(v) && v.every(isNodeId);
}

function snapshotFromTuple(raw: unknown): SnapshotChunk | string {
  if (!Array.isArray(raw) || raw.length !== snapshotFields) return "a snapshot chunk is an array of 8 fields";
  const [index, term, voters, learners, removed, offset, totalBytes, data] = raw as unknown[];
  if (!isCount(index) || !isCount(term) || !isCount(offset) || !isCount(totalBytes)) return "bad snapshot counter";
  if (!nodeIds(voters) || !nodeIds(learners) || !nodeIds(removed)) return "bad snapshot membership";
  if (!(data instanceof Uint8Array)) return "bad snapshot data";
  const conf: ConfState = { voters, learners, removed };
  return { meta: { index, term, conf }, offset, totalBytes, data };
}

/**
 * The facts both sides hold about a message: known type, node ids in range, counters safe
 * non-negative integers, binary data as bytes, a chunk that lies inside its snapshot. Returns
 * what is wrong, or null.
 */
export function checkMessage(m: Message): string | null {
  if (!messageTypeCodes.has(m.type)) return `unknown message type ${m.type}`;
  if (!isNodeId(m.from) || !isNodeId(m.to)) return "bad node id";
  if (m.from === m.to) return "a message to its sender";
  if (!isCount(m.term) || !isCount(m.logTerm) || !isCount(m.index) || !isCount(m.commit) || !isCount(m.rejectHint)) return "bad counter";
  if (typeof m.reject !== "boolean" || !(m.context instanceof Uint8Array)) return "bad field";
  for (const e of m.entries) {
    if (!isCount(e.term) || !isCount(e.index) || !entryTypeCodes.has(e.type) || !(e.data instanceof Uint8Array)) return "bad entry";
  }
  const s = m.snapshot;
  if (s !== null) {
    if (!(s.data instanceof Uint8Array) || !isCount(s.offset) || !isCount(s.totalBytes)) return "bad snapshot chunk";
    if (s.offset + s.data.length > s.totalBytes) return "snapshot chunk past the snapshot's end";
    if (!isCount(s.meta.index) || !isCount(s.meta.term)) return "bad snapshot counter";
    const c = s.meta.conf;
    if (!nodeIds(c.voters) || !nodeIds(c.learners) || !nodeIds(c.removed)) return "bad snapshot membership";
  }
  return null;
}
