// Records encoded by hand decode to exactly what the generic msgpack encoder made of the same
// record (the snapshot format did not change), at every msgpack length and integer boundary.

import { decode, encode } from "@msgpack/msgpack";
import { expect, test } from "bun:test";
import { HashValue } from "../../src/engine/types/hash.ts";
import { ListValue } from "../../src/engine/types/list.ts";
import { SetValue } from "../../src/engine/types/set.ts";
import { ZSetValue } from "../../src/engine/types/zset.ts";
import type { Value } from "../../src/engine/value.ts";
import { SnapshotRecordEncoder, snapshotTypeTag as T } from "../../src/node/snapshot-record.ts";
import { binaryToBytes } from "../../src/util/bytes.ts";

/** The record as an object, built the way the format describes it (the reference). */
function reference(key: string, v: Value, expireAt: number): unknown[] {
  const b = binaryToBytes;
  let rest: [number, unknown, number];
  if (typeof v === "string") rest = [T.string, b(v), 0];
  else if (v.type === "hash") rest = [T.hash, [...v.entries()].flatMap(([f, x]) => [b(f), b(x)]), v.isListpack ? 1 : 0];
  else if (v.type === "list") rest = [T.list, v.toArray().map(b), 0];
  else if (v.type === "set") {
    const layout = v.layout();
    rest = layout === null ? [T.set, [...v.members()].map(b), 1] : [T.set, [layout.slots.map((m) => (m === null ? null : b(m))), layout.free], 0];
  } else rest = [T.zset, [...v.entries()].flatMap(([m, s]) => [b(m), s]), v.isListpack ? 1 : 0];
  return [b(key), rest[0], rest[1], expireAt, rest[2]];
}

const made = new Map<number, string>();
/** A binary string of length n using every byte value. */
function bytes(n: number): string {
  let s = made.get(n);
  if (s === undefined) {
    s = String.fromCharCode(...Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff));
    made.set(n, s);
  }
  return s;
}

const lengths = [0, 1, 15, 16, 31, 32, 33, 255, 256, 65535, 65536, 70000];
// Array lengths around 16 and 65536 (hashes and zsets hold twice their size).
const counts = [0, 1, 7, 8, 15, 16, 100, 32768, 65536];

function cases(): [string, Value, number][] {
  const out: [string, Value, number][] = [];
  const expiries = [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 1_800_000_000_123];
  lengths.forEach((n, i) => out.push([bytes(n), bytes(lengths[(i + 3) % lengths.length]), expiries[i % expiries.length]]));
  for (const n of counts) {
    if (n === 65536) {
      const list = new ListValue();
      for (let i = 0; i < n; i++) list.pushBack("x");
      out.push(["biglist", list, 0]);
      continue;
    }
    const list = new ListValue();
    for (let i = 0; i < n; i++) list.pushBack(bytes(i % 40));
    out.push([`list${n}`, list, 0]);
    out.push([`hash${n}`, HashValue.restore(n < 100, Array.from({ length: n }, (_, i) => [`f${i}`, bytes(i % 300)] as const)), 0]);
    out.push([`intset${n}`, SetValue.restore(true, Array.from({ length: n }, (_, i) => String(i * 3 - 50))), 0]);
    const slots = Array.from({ length: n }, (_, i) => (i % 5 === 2 ? null : `m${i}`));
    const free = slots.flatMap((m, i) => (m === null ? [i] : [])).reverse();
    out.push([`set${n}`, SetValue.restoreLayout(slots, free), 0]);
  }
  const scores = [0, 1, -1, 127, 128, -32, -33, -128, -129, 2 ** 31 - 1, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32, 2 ** 53, 1.5, -0.25, 1e308, Infinity, -Infinity];
  out.push(["zset", ZSetValue.restore(false, scores.map((s, i) => [`z${i}`, s] as const)), 42]);
  out.push(["zsetlp", ZSetValue.restore(true, scores.slice(0, 8).map((s, i) => [`z${i}`, s] as const)), 0]);
  return out;
}

test("hand-encoded records decode as the generic encoder's", () => {
  const enc = new SnapshotRecordEncoder();
  for (const [key, value, expireAt] of cases()) {
    const mine = decode(enc.encode(key, value, expireAt === 0 ? undefined : expireAt));
    expect(mine).toEqual(decode(encode(reference(key, value, expireAt))));
  }
});

test("a score of -0 keeps its sign", () => {
  const enc = new SnapshotRecordEncoder();
  const record = decode(enc.encode("z", ZSetValue.restore(true, [["a", -0]]), undefined)) as unknown[];
  expect(Object.is((record[2] as unknown[])[1], -0)).toBe(true);
});
