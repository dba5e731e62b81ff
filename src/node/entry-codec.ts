// The payload of a normal Raft log entry: what the state machine applies. Binary and
// length-prefixed rather than msgpack: this is the hot path (BUN-NOTES: encoding, not the
// transport, is the cost), and argv strings are written straight into ring memory.
//
//   u8  version (1)
//   u8  kind            command | multi | expire | meta
//   u32 origin node id  the node whose client waits for the reply (0: none)
//   f64 request id      that node's request number
//   f64 timestamp       leader's clock (ms): the time the state machine runs this entry at
//   u32 count           commands (command and meta: 1, multi: n) or keys (expire)
//   then per command:   u32 argc, argc × (u32 length, bytes); per expire key: u32 length, bytes
//
// A multi carries every queued command, connection commands included (CLIENT SETNAME, PING):
// the state machine skips those, and the proposing node runs them where its client is, so
// the replies keep their order (see Engine.applyMulti).

import { entryArgsMax, entryBytesMax } from "../constants.ts";
import { assert } from "../util/assert.ts";
import { bytesToBinary, writeBinary } from "../util/bytes.ts";

/**
 * command/multi: client commands. expire: active expiry of due keys. meta: the node's own
 * replicated bookkeeping (e.g. a member's addresses), one argv the state machine interprets.
 */
export const EntryKind = { command: 1, multi: 2, expire: 3, meta: 4 } as const;
export type EntryKindCode = (typeof EntryKind)[keyof typeof EntryKind];

const version = 1;
const headerBytes = 1 + 1 + 4 + 8 + 8 + 4;

export interface EntryHeader {
  readonly kind: EntryKindCode;
  readonly origin: number;
  readonly requestId: number;
  readonly timestampMs: number;
}

export interface DecodedEntry extends EntryHeader {
  /** command and meta: one argv; multi: every queued command; expire: empty. */
  readonly commands: string[][];
  /** expire: the keys to remove if expired at timestampMs. */
  readonly keys: string[];
}

export class EntryDecodeError extends Error {
  override name = "EntryDecodeError";
}

/** Bytes needed to encode `commands` (command/multi). */
export function commandsSize(commands: readonly (readonly string[])[]): number {
  let size = headerBytes;
  for (const argv of commands) {
    size += 4;
    for (const a of argv) size += 4 + a.length;
  }
  return size;
}

/** Bytes needed to encode an expire entry for `keys`. */
export function keysSize(keys: readonly string[]): number {
  let size = headerBytes;
  for (const k of keys) size += 4 + k.length;
  return size;
}

function writeHeader(view: DataView, h: EntryHeader, count: number): void {
  view.setUint8(0, version);
  view.setUint8(1, h.kind);
  view.setUint32(2, h.origin, true);
  view.setFloat64(6, h.requestId, true);
  view.setFloat64(14, h.timestampMs, true);
  view.setUint32(22, count, true);
}

/**
 * Encodes a command or multi entry into `out` (at least commandsSize() bytes, e.g. a ring
 * reservation). Returns the bytes written.
 */
export function encodeCommands(out: Uint8Array, h: EntryHeader, commands: readonly (readonly string[])[]): number {
  assert(h.kind !== EntryKind.expire, "command entry kind");
  assert(h.kind === EntryKind.multi || commands.length === 1, "a command or meta entry holds one command");
  const size = commandsSize(commands);
  assert(out.length >= size, "output holds the entry");
  assert(size <= entryBytesMax, "entry within entryBytesMax");
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const buf = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  writeHeader(view, h, commands.length);
  let at = headerBytes;
  for (const argv of commands) {
    assert(argv.length > 0 && argv.length <= entryArgsMax, "argc within limits");
    view.setUint32(at, argv.length, true);
    at += 4;
    for (const a of argv) {
      view.setUint32(at, a.length, true);
      at += 4;
      at += writeBinary(buf, a, at);
    }
  }
  assert(at === size, "encoded size matches commandsSize");
  return at;
}

/** Encodes an active-expiry entry: delete these keys if they are expired at the timestamp. */
export function encodeExpire(out: Uint8Array, h: Omit<EntryHeader, "kind">, keys: readonly string[]): number {
  const size = keysSize(keys);
  assert(out.length >= size, "output holds the entry");
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const buf = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  writeHeader(view, { ...h, kind: EntryKind.expire }, keys.length);
  let at = headerBytes;
  for (const k of keys) {
    view.setUint32(at, k.length, true);
    at += 4;
    at += writeBinary(buf, k, at);
  }
  return at;
}

/** Decodes an entry; throws EntryDecodeError on malformed bytes (a corrupt log is fatal). */
export function decodeEntry(data: Uint8Array): DecodedEntry {
  if (data.length < headerBytes) throw new EntryDecodeError(`entry of ${data.length} bytes is shorter than its header`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (view.getUint8(0) !== version) throw new EntryDecodeError(`unknown entry version ${view.getUint8(0)}`);
  const kind = view.getUint8(1);
  if (kind !== EntryKind.command && kind !== EntryKind.multi && kind !== EntryKind.expire && kind !== EntryKind.meta) {
    throw new EntryDecodeError(`unknown entry kind ${kind}`);
  }
  const header: EntryHeader = {
    kind,
    origin: view.getUint32(2, true),
    requestId: view.getFloat64(6, true),
    timestampMs: view.getFloat64(14, true),
  };
  const count = view.getUint32(22, true);
  let at = headerBytes;
  const need = (n: number): void => {
    if (at + n > data.length) throw new EntryDecodeError(`entry truncated at byte ${at} (needs ${n} more of ${data.length})`);
  };
  const readString = (): string => {
    need(4);
    const len = view.getUint32(at, true);
    at += 4;
    need(len);
    const s = bytesToBinary(data, at, at + len);
    at += len;
    return s;
  };
  const commands: string[][] = [];
  const keys: string[] = [];
  if (kind === EntryKind.expire) {
    for (let i = 0; i < count; i++) keys.push(readString());
  } else {
    if (count === 0 || (kind !== EntryKind.multi && count !== 1)) throw new EntryDecodeError(`bad command count ${count}`);
    for (let i = 0; i < count; i++) {
      need(4);
      const argc = view.getUint32(at, true);
      at += 4;
      if (argc === 0 || argc > entryArgsMax) throw new EntryDecodeError(`bad argc ${argc}`);
      const argv: string[] = new Array(argc);
      for (let j = 0; j < argc; j++) argv[j] = readString();
      commands.push(argv);
    }
  }
  if (at !== data.length) throw new EntryDecodeError(`entry has ${data.length - at} trailing bytes`);
  return { ...header, commands, keys };
}
