// Histories for the linearizability checker's tests: builders for hand-written ones, a generator
// of histories that are linearizable by construction, and a brute-force checker to compare with.

import type { Rng } from "../../src/engine/rng.ts";
import type { Operation } from "../../src/check/history.ts";
import { kvModel, type KvInput, type KvOutput, type KvState } from "../../src/check/kv-model.ts";
import { impossible, type Model } from "../../src/check/model.ts";

export type KvOp = Operation<KvInput, KvOutput>;

export function ok(client: number, input: KvInput, output: KvOutput, invoke: number, complete: number, key = "x"): KvOp {
  return { client, key, input, output, invoke, complete, outcome: "ok" };
}

export function unknown(client: number, input: KvInput, invoke: number, key = "x"): KvOp {
  return { client, key, input, invoke, complete: null, outcome: "unknown" };
}

export function failed(client: number, input: KvInput, invoke: number, complete: number, key = "x"): KvOp {
  return { client, key, input, invoke, complete, outcome: "fail" };
}

export const get: KvInput = { kind: "get" };
export const incr: KvInput = { kind: "incr" };
export const del: KvInput = { kind: "del" };
export const set = (value: string): KvInput => ({ kind: "set", value });
export const setnx = (value: string): KvInput => ({ kind: "setnx", value });

export interface GenerateOptions {
  readonly ops: number;
  /** Clients with one operation in flight each. */
  readonly clients: number;
  readonly keys: number;
  /** How far (in linearization slots) an operation's interval may reach either side of the moment it takes effect. */
  readonly window: number;
  readonly unknownRate: number;
  readonly failRate: number;
}

/**
 * Runs a sequential reference key-value store: operation j takes effect at time 10·(j+1), and
 * its recorded interval is stretched around that moment by up to `window` slots each side,
 * without overlapping the same client's other operations. Linearizable by construction. Even
 * keys are registers (unique values), odd keys counters. Unknown outcomes took effect half the time.
 */
export function generateKvHistory(rng: Rng, options: GenerateOptions): KvOp[] {
  const state = new Map<string, KvState>();
  const busyUntil: number[] = Array.from({ length: options.clients }, () => -1);
  const clientIds: number[] = Array.from({ length: options.clients }, (_, c) => c);
  let nextClientId = options.clients;
  const history: KvOp[] = [];
  const reach = options.window * 10;
  for (let j = 0; history.length < options.ops; j++) {
    const at = 10 * (j + 1);
    const free = busyUntil.map((until, c) => (until < at ? c : -1)).filter((c) => c >= 0);
    if (free.length === 0) continue;
    const slot = free[rng.nextInt(free.length)];
    const keyIndex = rng.nextInt(options.keys);
    const key = `k${keyIndex}`;
    const input = randomInput(rng, keyIndex % 2 === 0, j);
    const invoke = Math.max(busyUntil[slot] + 1, at - rng.nextInt(reach + 1));
    const complete = at + rng.nextInt(reach + 1);
    const roll = rng.nextFloat();
    const client = clientIds[slot];
    if (roll < options.failRate) {
      history.push(failed(client, input, invoke, complete, key));
      busyUntil[slot] = complete;
      continue;
    }
    if (roll < options.failRate + options.unknownRate) {
      if (rng.nextInt(2) === 0) apply(state, key, input);
      history.push(unknown(client, input, invoke, key));
      // That client is gone; a fresh one takes its place.
      clientIds[slot] = nextClientId++;
      busyUntil[slot] = at;
      continue;
    }
    history.push(ok(client, input, apply(state, key, input), invoke, complete, key));
    busyUntil[slot] = complete;
  }
  return history;
}

function randomInput(rng: Rng, register: boolean, j: number): KvInput {
  const r = rng.nextInt(20);
  if (r < 8) return get;
  if (r < 9) return del;
  if (register) return r < 16 ? set(`v${j}`) : setnx(`v${j}`);
  return r < 18 ? incr : { kind: "incr", by: 1 + rng.nextInt(5) };
}

/** Applies `input` to the reference store and returns what the client would see. */
function apply(state: Map<string, KvState>, key: string, input: KvInput): KvOutput {
  const before = state.get(key) ?? null;
  const after = kvModel.step(before, input, undefined);
  if (after === impossible) throw new Error("the reference store refused an unknown-output step");
  state.set(key, after);
  switch (input.kind) {
    case "get":
      return before;
    case "set":
      return "OK";
    case "incr":
      return Number(after);
    case "del":
      return before === null ? 0 : 1;
    case "setnx":
      return before === null ? 1 : 0;
  }
}

/**
 * Tries every subset of unknown operations and every order consistent with real time. Only for
 * a handful of operations on one key.
 */
export function bruteForceLinearizable<S, I, O>(model: Model<S, I, O>, history: readonly Operation<I, O>[]): boolean {
  const ops = history.filter((o) => o.outcome !== "fail");
  const unknownOps = ops.filter((o) => o.outcome === "unknown");
  const knownOps = ops.filter((o) => o.outcome === "ok");
  for (let mask = 0; mask < 1 << unknownOps.length; mask++) {
    const included = [...knownOps, ...unknownOps.filter((_, i) => (mask >> i) & 1)];
    const placed = new Array<boolean>(included.length).fill(false);
    const search = (state: S, count: number): boolean => {
      if (count === included.length) return true;
      for (let i = 0; i < included.length; i++) {
        if (placed[i]) continue;
        const blocked = included.some((a, j) => !placed[j] && j !== i && a.complete !== null && a.complete < included[i].invoke);
        if (blocked) continue;
        const op = included[i];
        const after = model.step(state, op.input, op.outcome === "ok" ? op.output : undefined);
        if (after === impossible) continue;
        placed[i] = true;
        if (search(after, count + 1)) return true;
        placed[i] = false;
      }
      return false;
    };
    if (search(model.init(), 0)) return true;
  }
  return false;
}
