// What the chaos tool's workloads share: the interface the runner drives, the rotating window of
// keys (a key gets a bounded number of operations, so each key's history stays small enough for
// the checkers), and outcome counters.

import type { SimRandom } from "../sim/random.ts";
import type { ChaosClient } from "./client.ts";

export type WorkloadName = "register" | "list-append";
export const workloadNames: readonly WorkloadName[] = ["register", "list-append"];

export interface OutcomeCounts {
  invoked: number;
  ok: number;
  fail: number;
  unknown: number;
}

/** A workload's outcome counters, and when each acknowledged operation completed (okSince). */
export class OutcomeTally {
  readonly counts: OutcomeCounts = { invoked: 0, ok: 0, fail: 0, unknown: 0 };
  readonly #okTimes: number[] = [];

  invoked(): void {
    this.counts.invoked++;
  }

  record(kind: "ok" | "fail" | "unknown", atMs: number): void {
    this.counts[kind]++;
    if (kind === "ok") this.#okTimes.push(atMs);
  }

  okSince(sinceMs: number): number {
    return this.#okTimes.filter((t) => t >= sinceMs).length;
  }
}

export interface WorkloadCheck {
  readonly workload: WorkloadName;
  /** True when the history shows no anomaly. */
  readonly valid: boolean;
  /** The checker's summary, and its explanation of every anomaly. */
  readonly report: string;
  /** One line per anomaly. */
  readonly anomalies: readonly string[];
  /** Keys the checker could neither prove nor refute within its budget. */
  readonly unchecked: number;
}

export interface Workload {
  readonly name: WorkloadName;
  readonly counts: OutcomeCounts;
  /** Operations acknowledged (ok) since `sinceMs`: evidence the cluster served after the faults. */
  okSince(sinceMs: number): number;
  /** One client's loop: invoke, wait, record, until `stopped()` says so. */
  runClient(id: number, client: ChaosClient, rng: SimRandom, stopped: () => boolean): Promise<void>;
  /** After healing: read every key used, retrying until `deadlineMs` (run time). */
  finalReads(client: ChaosClient, deadlineMs: number): Promise<void>;
  check(): WorkloadCheck;
  /** The history, for the run directory (JSON lines). */
  historyLines(): string[];
}

/**
 * `width` keys in use at a time; a key retires after `uses` operations and a fresh one takes its
 * place. Every key ever handed out is remembered for the final reads.
 */
export class KeyWindow {
  readonly #prefix: string;
  readonly #uses: number;
  readonly #active: { key: string; used: number }[] = [];
  readonly all: string[] = [];
  #next = 0;

  constructor(prefix: string, width: number, uses: number) {
    this.#prefix = prefix;
    this.#uses = uses;
    for (let i = 0; i < width; i++) this.#active.push(this.#fresh());
  }

  pick(rng: SimRandom): string {
    const i = rng.int(this.#active.length);
    const slot = this.#active[i];
    slot.used++;
    if (slot.used >= this.#uses) this.#active[i] = this.#fresh();
    return slot.key;
  }

  #fresh(): { key: string; used: number } {
    const key = `${this.#prefix}${this.#next++}`;
    this.all.push(key);
    return { key, used: 0 };
  }
}

/** Sleeps a little after a refusal, so a client does not spin against a cluster with no leader. */
export async function backoff(rng: SimRandom): Promise<void> {
  await Bun.sleep(10 + rng.int(40));
}
