// List-append histories for the checker's tests: builders, and a generator of histories that are
// strict serializable by construction.

import type { Rng } from "../../src/engine/rng.ts";
import type { Outcome } from "../../src/check/history.ts";
import type { Element, MicroOp, Txn } from "../../src/check/list-append.ts";

export const append = (key: string, value: Element): MicroOp => ({ f: "append", key, value });
export const read = (key: string, value: readonly Element[] | null): MicroOp => ({ f: "r", key, value });

export function txn(client: number, ops: MicroOp[], invoke: number, complete: number | null, outcome: Outcome = "ok"): Txn {
  return { client, ops, invoke, complete: outcome === "unknown" ? null : complete, outcome };
}

export interface GenerateOptions {
  readonly txns: number;
  readonly clients: number;
  readonly keys: number;
  /** Micro-operations per transaction: 1 .. this. */
  readonly opsMax: number;
  /** How far (in slots) a transaction's interval may reach either side of the moment it takes effect. */
  readonly window: number;
  readonly unknownRate: number;
  readonly failRate: number;
}

/**
 * Runs transactions one at a time against a reference store of lists: transaction j takes
 * effect at 10·(j+1) and its interval is stretched around it (see kv-histories.ts). Unknown
 * transactions took effect half the time; failed ones never did. A final read of every key
 * ends the history, as the chaos tool does once faults heal.
 */
export function generateListAppendHistory(rng: Rng, options: GenerateOptions): Txn[] {
  const lists = new Map<string, number[]>();
  const busyUntil: number[] = Array.from({ length: options.clients }, () => -1);
  const history: Txn[] = [];
  const reach = options.window * 10;
  let nextValue = 1;
  let at = 0;
  for (let j = 0; history.length < options.txns; j++) {
    at = 10 * (j + 1);
    const free = busyUntil.map((until, c) => (until < at ? c : -1)).filter((c) => c >= 0);
    if (free.length === 0) continue;
    const client = free[rng.nextInt(free.length)];
    const count = 1 + rng.nextInt(options.opsMax);
    const roll = rng.nextFloat();
    const outcome: Outcome = roll < options.failRate ? "fail" : roll < options.failRate + options.unknownRate ? "unknown" : "ok";
    const applied = outcome === "ok" || (outcome === "unknown" && rng.nextInt(2) === 0);
    const ops: MicroOp[] = [];
    const scratch = new Map<string, number[]>();
    const view = (key: string) => scratch.get(key) ?? lists.get(key) ?? [];
    for (let i = 0; i < count; i++) {
      const key = `k${rng.nextInt(options.keys)}`;
      if (rng.nextInt(2) === 0) {
        const value = nextValue++;
        scratch.set(key, [...view(key), value]);
        ops.push(append(key, value));
      } else {
        ops.push(read(key, outcome === "ok" ? [...view(key)] : null));
      }
    }
    if (applied) for (const [key, list] of scratch) lists.set(key, list);
    const invoke = Math.max(busyUntil[client] + 1, at - rng.nextInt(reach + 1));
    const complete = at + rng.nextInt(reach + 1);
    history.push(txn(client, ops, invoke, complete, outcome));
    busyUntil[client] = outcome === "unknown" ? at : complete;
  }
  const end = at + 2 * reach + 10;
  for (let k = 0; k < options.keys; k++) history.push(txn(options.clients + k, [read(`k${k}`, [...(lists.get(`k${k}`) ?? [])])], end, end + 1));
  return history;
}
