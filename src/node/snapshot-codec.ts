// A node snapshot: the state machine at an applied index — every key with its value and expiry,
// the log's time (Engine.lastAppliedMs) and the members' addresses — as one byte string that a
// restarted node, or a follower behind the compacted log, loads instead of the entries it covers.
//
// Layout: msgpack header {v, appliedMs, members, keys}, then one msgpack record per key:
// [key, type, payload, expireAt (0 = none), encoding flag]. Strings travel as bytes (bin);
// snapshot-record.ts encodes records (and details each type's payload).
// Records may come in any order. encodeNodeSnapshot writes them all at once; the incremental
// writer (snapshot-writer.ts) writes the same header and records over many slices.

import { Decoder, Encoder } from "@msgpack/msgpack";
import { snapshotChunkBytes } from "../constants.ts";
import type { Engine } from "../engine/engine.ts";
import { HashValue } from "../engine/types/hash.ts";
import { ListValue } from "../engine/types/list.ts";
import { SetValue } from "../engine/types/set.ts";
import { ZSetValue } from "../engine/types/zset.ts";
import type { Value } from "../engine/value.ts";
import { bytesToBinary, concatBytes } from "../util/bytes.ts";
import { ChunkBuilder } from "./chunk-builder.ts";
import { SnapshotRecordEncoder, snapshotTypeTag } from "./snapshot-record.ts";
import { Members } from "./members.ts";

const version = 1;
const T = snapshotTypeTag;

export class SnapshotDecodeError extends Error {
  override name = "SnapshotDecodeError";
}

type Record = [Uint8Array, number, unknown, number, number];

/** The snapshot's first item; `keys` is the number of records that follow. */
export function encodeSnapshotHeader(appliedMs: number, members: Uint8Array, keys: number): Uint8Array {
  return new Encoder().encode({ v: version, appliedMs, members, keys });
}

/**
 * Serializes the engine's keyspace and the members in one go: the whole keyspace in one pause
 * (see SnapshotWriter for the incremental way).
 */
export function encodeNodeSnapshot(engine: Engine, members: Members): Uint8Array {
  const enc = new SnapshotRecordEncoder();
  const db = engine.db;
  const out = new ChunkBuilder(snapshotChunkBytes);
  out.append(encodeSnapshotHeader(engine.lastAppliedMs, members.toBytes(), db.size));
  const withTtl = db.expiresCount > 0;
  // Slot order through scan: a generator over every entry would cost more than the encoding.
  const visit = (key: string, value: Value): void => enc.encodeInto(out, key, value, withTtl ? db.getExpire(key) : undefined);
  let cursor = 0;
  do cursor = db.scan(cursor, 1024, visit);
  while (cursor !== 0);
  return concatBytes(out.finish());
}

function bytes(x: unknown): string {
  if (!(x instanceof Uint8Array)) throw new SnapshotDecodeError("expected bytes");
  return bytesToBinary(x);
}

function decodeValue(type: number, payload: unknown, flag: number): Value {
  if (type === T.string) return bytes(payload);
  if (!Array.isArray(payload)) throw new SnapshotDecodeError(`value of type ${type} is not a list`);
  switch (type) {
    case T.hash: {
      const entries: [string, string][] = [];
      for (let i = 0; i + 1 < payload.length; i += 2) entries.push([bytes(payload[i]), bytes(payload[i + 1])]);
      // The encoding it had, not one derived again: it decides order and OBJECT ENCODING.
      return HashValue.restore(flag === 1, entries);
    }
    case T.list: {
      const l = new ListValue();
      for (const x of payload) l.pushBack(bytes(x));
      return l;
    }
    case T.set: {
      if (flag === 1) return SetValue.restore(true, payload.map(bytes));
      // A hash table set comes back with the leader's exact slot layout (SPOP's picks).
      const [slots, free] = payload as [unknown, unknown];
      if (!Array.isArray(slots) || !Array.isArray(free)) throw new SnapshotDecodeError("bad set layout");
      return SetValue.restoreLayout(
        slots.map((m) => (m === null ? null : bytes(m))),
        free.map((n) => Number(n)),
      );
    }
    case T.zset: {
      const entries: [string, number][] = [];
      for (let i = 0; i + 1 < payload.length; i += 2) entries.push([bytes(payload[i]), Number(payload[i + 1])]);
      return ZSetValue.restore(flag === 1, entries);
    }
    default:
      throw new SnapshotDecodeError(`unknown value type ${type}`);
  }
}

/** Replaces the engine's keyspace with the snapshot's; returns the members it holds. */
export function decodeNodeSnapshot(data: Uint8Array, engine: Engine): Members {
  const dec = new Decoder();
  const stream = dec.decodeMulti(data);
  const first = stream.next();
  if (first.done) throw new SnapshotDecodeError("empty snapshot");
  const header = first.value as { v?: number; appliedMs?: number; members?: Uint8Array; keys?: number };
  if (header.v !== version || !(header.members instanceof Uint8Array)) throw new SnapshotDecodeError(`unknown snapshot version ${String(header.v)}`);
  const db = engine.db;
  db.flush();
  engine.lastAppliedMs = header.appliedMs ?? 0;
  let count = 0;
  for (const item of stream) {
    if (!Array.isArray(item) || item.length !== 5) throw new SnapshotDecodeError(`bad record #${count}`);
    const [key, type, payload, expireAt, flag] = item as Record;
    const k = bytes(key);
    db.set(k, decodeValue(type, payload, flag));
    if (expireAt > 0) db.setExpire(k, expireAt);
    count++;
  }
  if (count !== header.keys) throw new SnapshotDecodeError(`snapshot holds ${count} keys, header says ${header.keys}`);
  return Members.fromBytes(header.members);
}
