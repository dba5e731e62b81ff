// The data of a `conf` log entry: the change (null for the bootstrap entry) and the whole
// configuration after it. Carrying the whole configuration lets a node that joins, or that
// restores a log without older conf entries, know every voter; and rolling back a truncated
// change is just "the newest conf entry still in the log".
//
// Layout, big-endian: u8 version=1, u8 change (0 none, 1 addLearner, 2 promote, 3 remove),
// u32 nodeId, u32 contextLength, context, then voters, learners, removed: each u32 count + u32 ids.

import { assert } from "../util/assert.ts";
import type { ConfChange, ConfChangeType, ConfState } from "./types.ts";

export interface ConfEntry {
  change: ConfChange | null;
  conf: ConfState;
}

const version = 1;
const changeCodes: Record<ConfChangeType, number> = { addLearner: 1, promote: 2, remove: 3 };
const changeTypes: (ConfChangeType | null)[] = [null, "addLearner", "promote", "remove"];

export function encodeConfEntry(entry: ConfEntry): Uint8Array {
  const context = entry.change?.context ?? new Uint8Array(0);
  const { voters, learners, removed } = entry.conf;
  const size = 2 + 4 + 4 + context.length + 4 * (3 + voters.length + learners.length + removed.length);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  view.setUint8(at++, version);
  view.setUint8(at++, entry.change === null ? 0 : changeCodes[entry.change.type]);
  view.setUint32(at, entry.change?.nodeId ?? 0);
  at += 4;
  view.setUint32(at, context.length);
  at += 4;
  out.set(context, at);
  at += context.length;
  for (const ids of [voters, learners, removed]) {
    view.setUint32(at, ids.length);
    at += 4;
    for (const id of ids) {
      view.setUint32(at, id);
      at += 4;
    }
  }
  assert(at === size, "conf entry size");
  return out;
}

export function decodeConfEntry(data: Uint8Array): ConfEntry {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  assert(data.length >= 10, "conf entry header");
  assert(view.getUint8(0) === version, "conf entry version");
  const code = view.getUint8(1);
  assert(code < changeTypes.length, "conf entry change code");
  const nodeId = view.getUint32(2);
  const contextLength = view.getUint32(6);
  let at = 10;
  assert(at + contextLength <= data.length, "conf entry context length");
  const context = data.slice(at, at + contextLength);
  at += contextLength;
  const lists: number[][] = [];
  for (let i = 0; i < 3; i++) {
    assert(at + 4 <= data.length, "conf entry list count");
    const n = view.getUint32(at);
    at += 4;
    assert(at + 4 * n <= data.length, "conf entry list length");
    const ids: number[] = [];
    for (let j = 0; j < n; j++, at += 4) ids.push(view.getUint32(at));
    lists.push(ids);
  }
  assert(at === data.length, "conf entry has no trailing bytes");
  const type = changeTypes[code];
  return {
    change: type === null ? null : { type, nodeId, context },
    conf: { voters: lists[0], learners: lists[1], removed: lists[2] },
  };
}
