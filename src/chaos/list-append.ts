// The list-append workload (Elle's): transactions of RPUSH key <unique value> and LRANGE key 0 -1
// over a few keys, sent as MULTI … EXEC. Checked for strict serializability by src/check's
// list-append checker: every read a prefix of the key's final order, no lost or duplicated
// elements, no dependency cycle, real-time order respected.

import { checkListAppend, formatListAppendResult, type Element, type MicroOp, type Txn } from "../check/index.ts";
import type { Outcome as TxnOutcome } from "../check/history.ts";
import type { RespValue } from "../resp/reply-parser.ts";
import type { SimRandom } from "../sim/random.ts";
import type { ChaosClient, Outcome } from "./client.ts";
import { backoff, KeyWindow, OutcomeTally, type OutcomeCounts, type Workload, type WorkloadCheck } from "./workload.ts";

export interface ListAppendOptions {
  readonly now: () => number;
  readonly keys?: number;
  /** Micro-operations per key before it retires. */
  readonly opsPerKey?: number;
  /** Micro-operations per transaction, at most. */
  readonly txnOpsMax?: number;
}

type Planned = { readonly f: "append"; readonly key: string; readonly value: number } | { readonly f: "r"; readonly key: string };

export class ListAppendWorkload implements Workload {
  readonly name = "list-append" as const;
  readonly #tally = new OutcomeTally();
  readonly #txns: Txn[] = [];
  readonly #keys: KeyWindow;
  readonly #now: () => number;
  readonly #txnOpsMax: number;
  #nextValue = 1;

  constructor(opts: ListAppendOptions) {
    this.#now = opts.now;
    this.#keys = new KeyWindow("la:", opts.keys ?? 4, opts.opsPerKey ?? 200);
    this.#txnOpsMax = opts.txnOpsMax ?? 4;
  }

  get counts(): OutcomeCounts {
    return this.#tally.counts;
  }

  okSince(sinceMs: number): number {
    return this.#tally.okSince(sinceMs);
  }

  async runClient(id: number, client: ChaosClient, rng: SimRandom, stopped: () => boolean): Promise<void> {
    while (!stopped()) {
      if (!(await client.connect())) {
        await backoff(rng);
        continue;
      }
      const plan: Planned[] = [];
      const n = 1 + rng.int(this.#txnOpsMax);
      for (let i = 0; i < n; i++) {
        const key = this.#keys.pick(rng);
        plan.push(rng.chance(0.5) ? { f: "append", key, value: this.#nextValue++ } : { f: "r", key });
      }
      const outcome = await this.#invoke(id, client, plan);
      if (outcome.kind === "fail") await backoff(rng);
    }
  }

  async finalReads(client: ChaosClient, deadlineMs: number): Promise<void> {
    const keys = this.#keys.all;
    for (let i = 0; i < keys.length; i += 10) {
      const plan: Planned[] = keys.slice(i, i + 10).map((key) => ({ f: "r", key }));
      for (;;) {
        if (this.#now() > deadlineMs) return;
        if (!(await client.connect())) {
          await Bun.sleep(20);
          continue;
        }
        if ((await this.#invoke("final", client, plan)).kind === "ok") break;
        await Bun.sleep(20);
      }
    }
  }

  check(): WorkloadCheck {
    const result = checkListAppend(this.#txns);
    const anomalies = result.anomalies.map((a) => `list-append: ${a.kind === "cycle" ? a.name : a.kind}${"key" in a ? ` on ${a.key}` : ""}`);
    return { workload: this.name, valid: result.ok, report: formatListAppendResult(result), anomalies, unchecked: 0 };
  }

  historyLines(): string[] {
    return this.#txns.map((t) => JSON.stringify(t));
  }

  async #invoke(client: number | string, c: ChaosClient, plan: Planned[]): Promise<Outcome> {
    const commands = [["MULTI"], ...plan.map((p) => (p.f === "append" ? ["RPUSH", p.key, String(p.value)] : ["LRANGE", p.key, "0", "-1"])), ["EXEC"]];
    this.#tally.invoked();
    const invoke = this.#now();
    const outcome = await c.run(commands, (replies) => judge(c, replies));
    const complete = this.#now();
    const kind: TxnOutcome = outcome.kind;
    const exec = outcome.kind === "ok" ? outcome.replies[outcome.replies.length - 1] : null;
    const ops: MicroOp[] = plan.map((p, i) => {
      if (p.f === "append") return { f: "append", key: p.key, value: p.value };
      const r = exec !== null && exec.t === "array" ? exec.v[i] : null;
      return { f: "r", key: p.key, value: r !== null && r.t === "array" ? r.v.map(elementOf) : null };
    });
    this.#txns.push({ client, ops, invoke, complete: kind === "unknown" ? null : complete, outcome: kind });
    this.#tally.record(kind, complete);
    return outcome;
  }
}

function elementOf(v: RespValue): Element {
  const s = v.t === "bulk" ? v.v : JSON.stringify(v);
  return /^[0-9]+$/.test(s) ? Number(s) : s;
}

/** The EXEC reply decides: an array of one reply per queued command, or an error. */
function judge(c: ChaosClient, replies: RespValue[]): Outcome {
  const exec = replies[replies.length - 1];
  if (exec.t === "error") return c.errorOutcome(exec.v);
  if (exec.t === "null") return { kind: "fail", why: "EXEC aborted" };
  if (exec.t !== "array" || exec.v.length !== replies.length - 2) return c.errorOutcome(`unexpected EXEC reply ${JSON.stringify(exec)}`);
  for (const r of exec.v) {
    // An error inside EXEC means the other commands ran: not a failure, and not expected here.
    if (r.t === "error") return c.errorOutcome(`error inside EXEC: ${r.v}`);
    if (r.t !== "int" && r.t !== "array") return c.errorOutcome(`unexpected reply inside EXEC ${JSON.stringify(r)}`);
  }
  return { kind: "ok", replies };
}
