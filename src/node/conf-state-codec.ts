// A Raft membership (ConfState) as bytes, for snapshot metadata on disk and between threads.
// msgpack: rare and small, so readability beats speed here.

import { decode, encode } from "@msgpack/msgpack";
import type { ConfState } from "../raft/types.ts";

export function encodeConfState(conf: ConfState): Uint8Array {
  return encode({ v: conf.voters, l: conf.learners, r: conf.removed });
}

export function decodeConfState(bytes: Uint8Array): ConfState {
  const o = decode(bytes) as { v?: unknown; l?: unknown; r?: unknown };
  const ids = (x: unknown): number[] => {
    if (!Array.isArray(x) || !x.every((n) => Number.isInteger(n) && n > 0)) throw new Error("Cannot decode membership: bad id list");
    return x as number[];
  };
  return { voters: ids(o.v), learners: ids(o.l), removed: ids(o.r) };
}
