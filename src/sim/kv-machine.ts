// The reference state machine every simulated node runs: a map of string keys to integer-valued
// strings, changed by the commands in normal log entries. Commands are short text so that traces
// show them as they are: `c3.17 set k1 42`, `c3.18 incr k1 1`, `c2.5 del k0`, `probe 4` (the
// liveness probe, which changes nothing). A snapshot is the whole map plus the index it covers.

import { assert } from "../util/assert.ts";

export type KvCommand =
  | { readonly kind: "set"; readonly tag: string; readonly key: string; readonly value: string }
  | { readonly kind: "incr"; readonly tag: string; readonly key: string; readonly by: number }
  | { readonly kind: "del"; readonly tag: string; readonly key: string }
  | { readonly kind: "probe"; readonly tag: string };

/** set: "OK"; incr: the new value (or an error text when the value is not an integer); del: 0 | 1; probe: null. */
export type KvResult = string | number | null;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeCommand(c: KvCommand): Uint8Array {
  switch (c.kind) {
    case "set":
      return encoder.encode(`${c.tag} set ${c.key} ${c.value}`);
    case "incr":
      return encoder.encode(`${c.tag} incr ${c.key} ${c.by}`);
    case "del":
      return encoder.encode(`${c.tag} del ${c.key}`);
    case "probe":
      return encoder.encode(`probe ${c.tag}`);
  }
}

export function decodeCommand(data: Uint8Array): KvCommand {
  const w = decoder.decode(data).split(" ");
  if (w[0] === "probe") return { kind: "probe", tag: w[1] };
  switch (w[1]) {
    case "set":
      assert(w.length === 4, "set has a key and a value");
      return { kind: "set", tag: w[0], key: w[2], value: w[3] };
    case "incr":
      assert(w.length === 4, "incr has a key and an amount");
      return { kind: "incr", tag: w[0], key: w[2], by: Number(w[3]) };
    case "del":
      assert(w.length === 3, "del has a key");
      return { kind: "del", tag: w[0], key: w[2] };
    default:
      throw new Error(`unknown command in entry: ${w.join(" ")}`);
  }
}

const integerPattern = /^-?(0|[1-9][0-9]*)$/;

export class KvMachine {
  readonly #map: Map<string, string>;
  /** The last index applied (or covered by the loaded snapshot). */
  applied: number;

  constructor(map = new Map<string, string>(), applied = 0) {
    this.#map = map;
    this.applied = applied;
  }

  static fromSnapshot(data: Uint8Array): KvMachine {
    const parsed: unknown = JSON.parse(decoder.decode(data));
    assert(isSnapshotJson(parsed), "snapshot data is a kv snapshot");
    return new KvMachine(new Map(parsed.kv), parsed.applied);
  }

  get(key: string): string | null {
    return this.#map.get(key) ?? null;
  }

  /** Applies the command of entry `index` (the next one) and returns its result. */
  apply(index: number, c: KvCommand): KvResult {
    assert(index === this.applied + 1, `entries are applied in order (${index} after ${this.applied})`);
    this.applied = index;
    switch (c.kind) {
      case "set":
        this.#map.set(c.key, c.value);
        return "OK";
      case "incr": {
        const v = this.#map.get(c.key) ?? "0";
        if (!integerPattern.test(v)) return "ERR value is not an integer or out of range";
        const next = String(BigInt(v) + BigInt(c.by));
        this.#map.set(c.key, next);
        return Number(next);
      }
      case "del":
        return this.#map.delete(c.key) ? 1 : 0;
      case "probe":
        return null;
    }
  }

  /** An entry with no command (noop, conf) was applied. */
  skip(index: number): void {
    assert(index === this.applied + 1, `entries are applied in order (${index} after ${this.applied})`);
    this.applied = index;
  }

  /** The whole state, deterministic bytes (keys sorted): equal states give equal snapshots. */
  snapshot(): Uint8Array {
    const kv = [...this.#map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return encoder.encode(JSON.stringify({ applied: this.applied, kv }));
  }
}

interface SnapshotJson {
  applied: number;
  kv: [string, string][];
}

function isSnapshotJson(v: unknown): v is SnapshotJson {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.applied === "number" && Array.isArray(o.kv) && o.kv.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === "string" && typeof p[1] === "string");
}
