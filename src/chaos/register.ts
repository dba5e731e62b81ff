// The register workload: GET, SET (a value never written before) and INCR on a few keys at a
// time, each against the node the client believes leads. The history is checked for
// linearizability per key (src/check: Wing–Gong/Lowe search with the key-value model).

import { checkLinearizability, formatLinearizabilityResult, HistoryRecorder, kvModel, type KvInput, type KvOutput, type PendingOp } from "../check/index.ts";
import type { RespValue } from "../resp/reply-parser.ts";
import type { SimRandom } from "../sim/random.ts";
import type { ChaosClient, Outcome } from "./client.ts";
import { backoff, KeyWindow, OutcomeTally, type OutcomeCounts, type Workload, type WorkloadCheck } from "./workload.ts";

export interface RegisterOptions {
  readonly now: () => number;
  /** Keys in use at a time. */
  readonly keys?: number;
  /** Operations per key before it retires. */
  readonly opsPerKey?: number;
  /** Search steps per key for the checker. */
  readonly stepsMax?: number;
}

export class RegisterWorkload implements Workload {
  readonly name = "register" as const;
  readonly #tally = new OutcomeTally();
  readonly #history = new HistoryRecorder<KvInput, KvOutput>();
  readonly #keys: KeyWindow;
  readonly #now: () => number;
  readonly #stepsMax: number;
  #nextValue = 1;

  constructor(opts: RegisterOptions) {
    this.#now = opts.now;
    this.#keys = new KeyWindow("reg:", opts.keys ?? 4, opts.opsPerKey ?? 150);
    this.#stepsMax = opts.stepsMax ?? 2_000_000;
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
      const key = this.#keys.pick(rng);
      const r = rng.float();
      const input: KvInput = r < 0.5 ? { kind: "get" } : r < 0.8 ? { kind: "set", value: String(this.#nextValue++ * 1000) } : { kind: "incr" };
      const outcome = await this.#invoke(id, client, key, input);
      if (outcome.kind === "fail") await backoff(rng);
    }
  }

  async finalReads(client: ChaosClient, deadlineMs: number): Promise<void> {
    for (const key of this.#keys.all) {
      for (;;) {
        if (this.#now() > deadlineMs) return;
        if (!(await client.connect())) {
          await Bun.sleep(20);
          continue;
        }
        if ((await this.#invoke("final", client, key, { kind: "get" })).kind === "ok") break;
        await Bun.sleep(20);
      }
    }
  }

  check(): WorkloadCheck {
    const history = this.#history.history();
    const result = checkLinearizability(kvModel, history, { stepsMax: this.#stepsMax });
    return {
      workload: this.name,
      valid: result.result !== "fail",
      report: formatLinearizabilityResult(result),
      anomalies: result.anomalies.map((a) => `register: key ${a.key} is not linearizable`),
      unchecked: result.unknownKeys.length,
    };
  }

  historyLines(): string[] {
    return this.#history.history().map((op) => JSON.stringify(op));
  }

  async #invoke(client: number | string, c: ChaosClient, key: string, input: KvInput): Promise<Outcome> {
    const argv = input.kind === "get" ? ["GET", key] : input.kind === "set" ? ["SET", key, input.value] : ["INCR", key];
    this.#tally.invoked();
    const op: PendingOp = this.#history.invoke(client, key, input, this.#now());
    const outcome = await c.run([argv], ([reply]) => judge(c, input, reply));
    const t = this.#now();
    if (outcome.kind === "ok") {
      this.#history.ok(op, outputOf(outcome.replies[0]), t);
    } else if (outcome.kind === "fail") {
      this.#history.fail(op, t);
    } else {
      this.#history.unknown(op);
    }
    this.#tally.record(outcome.kind, t);
    return outcome;
  }
}

function judge(c: ChaosClient, input: KvInput, reply: RespValue): Outcome {
  if (reply.t === "error") return c.errorOutcome(reply.v);
  const fits =
    input.kind === "get" ? reply.t === "bulk" || reply.t === "null" : input.kind === "set" ? reply.t === "simple" && reply.v === "OK" : reply.t === "int";
  return fits ? { kind: "ok", replies: [reply] } : c.errorOutcome(`unexpected reply ${JSON.stringify(reply)}`);
}

function outputOf(reply: RespValue): KvOutput {
  if (reply.t === "bulk" || reply.t === "simple") return reply.v;
  if (reply.t === "int") return Number(reply.v);
  return null;
}
