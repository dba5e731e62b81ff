// Byte layouts of the files in the data directory (all integers little-endian; u64 values are
// JS safe integers stored as two u32 halves):
//
// log-<first index, 20 digits>.seg   records back to back:
//   [u32 payload length][u32 CRC32 of the rest][u64 term][u64 index][u8 type][payload]
// hardstate                          [u32 magic][u64 term][u64 vote][u64 node id]
//                                    [u32 n][n bytes cluster id, UTF-8][u32 CRC32 of all before]
// snap-<last index, 20 digits>.snap  [u32 magic][u64 last index][u64 last term][u32 n][n bytes config]
//                                    [u64 m][m bytes data][u32 CRC32 of all before]
// Files being replaced are written as <name>.tmp, fsynced, then renamed over <name>.

import { logRecordPayloadMaxBytes } from "../constants.ts";
import { assert } from "../util/assert.ts";
import type { HardState, LogEntry, SnapshotMeta } from "./types.ts";

export const RECORD_HEADER_BYTES = 25;
export const HARD_STATE_FILE = "hardstate";
export const TMP_SUFFIX = ".tmp";
const HARD_STATE_MAGIC = 0x31534852; // "RHS1"
const SNAPSHOT_MAGIC = 0x314e5352; // "RSN1"
const TWO_32 = 4294967296;

export function setU64(dv: DataView, at: number, value: number): void {
  dv.setUint32(at, value >>> 0, true);
  dv.setUint32(at + 4, Math.floor(value / TWO_32), true);
}

/** A stored u64, or -1 when it is beyond the safe-integer range (only corruption does that). */
export function getU64(dv: DataView, at: number): number {
  const high = dv.getUint32(at + 4, true);
  if (high >= 0x200000) return -1;
  return high * TWO_32 + dv.getUint32(at, true);
}

const pad20 = (n: number): string => String(n).padStart(20, "0");

export function segmentName(firstIndex: number): string {
  return `log-${pad20(firstIndex)}.seg`;
}

/** The first index a segment file name declares, or null if `name` is not a segment. */
export function parseSegmentName(name: string): number | null {
  const m = /^log-(\d{20})\.seg$/.exec(name);
  return m === null ? null : Number(m[1]);
}

export function snapshotName(lastIndex: number): string {
  return `snap-${pad20(lastIndex)}.snap`;
}

export function parseSnapshotName(name: string): number | null {
  const m = /^snap-(\d{20})\.snap$/.exec(name);
  return m === null ? null : Number(m[1]);
}

export function recordBytes(entry: LogEntry): number {
  return RECORD_HEADER_BYTES + entry.data.length;
}

/** Encodes `entry` at `at` (the caller made room); returns the bytes used. */
export function encodeRecord(buf: Uint8Array, dv: DataView, at: number, entry: LogEntry): number {
  const length = entry.data.length;
  if (length > logRecordPayloadMaxBytes) assert(false, `entry ${entry.index} payload ${length} within ${logRecordPayloadMaxBytes}`);
  dv.setUint32(at, length, true);
  setU64(dv, at + 8, entry.term);
  setU64(dv, at + 16, entry.index);
  buf[at + 24] = entry.type;
  buf.set(entry.data, at + RECORD_HEADER_BYTES);
  const end = at + RECORD_HEADER_BYTES + length;
  dv.setUint32(at + 4, Bun.hash.crc32(buf.subarray(at + 8, end)), true);
  return end - at;
}

export type DecodedRecord =
  | { readonly ok: true; readonly entry: LogEntry; readonly size: number }
  /** `incomplete`: the bytes end before the record does (a torn write looks like this). */
  | { readonly ok: false; readonly incomplete: boolean; readonly reason: string };

/** Decodes the record at `at`; `data` of the entry is a view into `buf` (no copy). */
export function decodeRecord(buf: Uint8Array, dv: DataView, at: number, end: number): DecodedRecord {
  if (end - at < RECORD_HEADER_BYTES) return { ok: false, incomplete: true, reason: `${end - at} bytes left, less than a record header` };
  const length = dv.getUint32(at, true);
  if (length > logRecordPayloadMaxBytes) return { ok: false, incomplete: false, reason: `bad length ${length}` };
  const recordEnd = at + RECORD_HEADER_BYTES + length;
  if (recordEnd > end) return { ok: false, incomplete: true, reason: `record of ${length} bytes runs past the end of the file` };
  if (Bun.hash.crc32(buf.subarray(at + 8, recordEnd)) !== dv.getUint32(at + 4, true)) {
    return { ok: false, incomplete: false, reason: "CRC mismatch" };
  }
  const term = getU64(dv, at + 8);
  const index = getU64(dv, at + 16);
  if (term < 1 || index < 1) return { ok: false, incomplete: false, reason: `bad term ${term} or index ${index}` };
  const entry: LogEntry = { index, term, type: buf[at + 24], data: buf.subarray(at + RECORD_HEADER_BYTES, recordEnd) };
  return { ok: true, entry, size: recordEnd - at };
}

export function encodeHardState(state: HardState): Uint8Array {
  const id = new TextEncoder().encode(state.clusterId);
  const bytes = new Uint8Array(4 + 24 + 4 + id.length + 4);
  const dv = new DataView(bytes.buffer);
  dv.setUint32(0, HARD_STATE_MAGIC, true);
  setU64(dv, 4, state.term);
  setU64(dv, 12, state.vote);
  setU64(dv, 20, state.nodeId);
  dv.setUint32(28, id.length, true);
  bytes.set(id, 32);
  dv.setUint32(32 + id.length, Bun.hash.crc32(bytes.subarray(0, 32 + id.length)), true);
  return bytes;
}

/** The hard state in `bytes`, or a reason it is unreadable. */
export function decodeHardState(bytes: Uint8Array): HardState | string {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 36) return `${bytes.length} bytes, too short`;
  if (dv.getUint32(0, true) !== HARD_STATE_MAGIC) return "bad magic";
  const n = dv.getUint32(28, true);
  if (bytes.length !== 36 + n) return `length ${bytes.length} does not match a cluster id of ${n} bytes`;
  if (Bun.hash.crc32(bytes.subarray(0, 32 + n)) !== dv.getUint32(32 + n, true)) return "CRC mismatch";
  const term = getU64(dv, 4);
  const vote = getU64(dv, 12);
  const nodeId = getU64(dv, 20);
  if (term < 0 || vote < 0 || nodeId < 0) return "value out of range";
  return { term, vote, nodeId, clusterId: new TextDecoder().decode(bytes.subarray(32, 32 + n)) };
}

/** Everything of a snapshot file before its data: magic, meta, config, data length. */
export function encodeSnapshotHead(meta: SnapshotMeta, dataBytes: number): Uint8Array {
  const n = meta.config.length;
  const head = new Uint8Array(4 + 16 + 4 + n + 8);
  const dv = new DataView(head.buffer);
  dv.setUint32(0, SNAPSHOT_MAGIC, true);
  setU64(dv, 4, meta.lastIndex);
  setU64(dv, 12, meta.lastTerm);
  dv.setUint32(20, n, true);
  head.set(meta.config, 24);
  setU64(dv, 24 + n, dataBytes);
  return head;
}

/** The CRC trailer of a snapshot file: CRC32 of head and data. */
export function snapshotCrc(head: Uint8Array, data: Uint8Array): Uint8Array {
  const crc = new Uint8Array(4);
  new DataView(crc.buffer).setUint32(0, Bun.hash.crc32(data, Bun.hash.crc32(head)), true);
  return crc;
}

/** Meta and data views of a snapshot file's bytes, or a reason it is unreadable. */
export function decodeSnapshot(bytes: Uint8Array): { meta: SnapshotMeta; data: Uint8Array } | string {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 36) return `${bytes.length} bytes, too short`;
  if (dv.getUint32(0, true) !== SNAPSHOT_MAGIC) return "bad magic";
  const n = dv.getUint32(20, true);
  if (24 + n + 8 + 4 > bytes.length) return `config of ${n} bytes runs past the end`;
  const m = getU64(dv, 24 + n);
  const dataStart = 32 + n;
  if (m < 0 || dataStart + m + 4 !== bytes.length) return `data length ${m} does not match the file`;
  const end = dataStart + m;
  if (Bun.hash.crc32(bytes.subarray(0, end)) !== dv.getUint32(end, true)) return "CRC mismatch";
  const lastIndex = getU64(dv, 4);
  const lastTerm = getU64(dv, 12);
  if (lastIndex < 1 || lastTerm < 1) return `bad last index ${lastIndex} or term ${lastTerm}`;
  return { meta: { lastIndex, lastTerm, config: bytes.subarray(24, 24 + n) }, data: bytes.subarray(dataStart, end) };
}
