// A client history: what each client asked, when, and what came back. The simulator (logical
// time) and the chaos tool (milliseconds) both record one; the checkers read it. Pure data, no I/O.

import { assert } from "../util/assert.ts";

/**
 * ok: the operation happened, with this output. fail: it certainly did not happen (-TRYAGAIN,
 * -MOVED, a refused proposal); checkers drop it. unknown: timed out or the connection was lost;
 * it may have taken effect at any time after its invocation, or never.
 */
export type Outcome = "ok" | "fail" | "unknown";

export interface Operation<I, O> {
  /** The client (process) that issued it; used in explanations only. */
  readonly client: number | string;
  /** Checkers partition histories by key: operations on different keys never constrain each other. */
  readonly key: string;
  /** What was asked (for the key-value model: `{ kind: "set", value }`, ...). */
  readonly input: I;
  /** What came back; read only when `outcome` is "ok". */
  readonly output?: O;
  /** When the client sent it. */
  readonly invoke: number;
  /**
   * When the reply arrived; null when the outcome is unknown. invoke <= complete. An operation
   * precedes another only if it completed strictly before the other's invocation: equal
   * timestamps count as concurrent, because millisecond clocks cannot order them.
   */
  readonly complete: number | null;
  readonly outcome: Outcome;
}

/** Throws on a malformed history: a recorder bug, not an anomaly of the system under test. */
export function validateOperation<I, O>(op: Operation<I, O>): void {
  assert(Number.isFinite(op.invoke), `operation invoke time is a finite number: ${op.invoke}`);
  if (op.outcome === "unknown") {
    assert(op.complete === null, "an operation with an unknown outcome has no completion time");
  } else {
    assert(op.complete !== null, `a completed (${op.outcome}) operation has a completion time`);
    assert(Number.isFinite(op.complete), `operation complete time is a finite number: ${op.complete}`);
    assert(op.invoke <= op.complete, `operation completes (${op.complete}) after its invocation (${op.invoke})`);
  }
}

/** Handle for an invoked operation, returned by `HistoryRecorder.invoke`. */
export type PendingOp = number;

/**
 * Records a history as it happens: `invoke` when a request leaves, then `ok`, `fail` or
 * `unknown` once. Operations still pending at `history()` are reported as unknown.
 */
export class HistoryRecorder<I, O> {
  #ops: ({ client: number | string; key: string; input: I; invoke: number } & Partial<{
    output: O;
    complete: number | null;
    outcome: Outcome;
  }>)[] = [];

  invoke(client: number | string, key: string, input: I, time: number): PendingOp {
    this.#ops.push({ client, key, input, invoke: time });
    return this.#ops.length - 1;
  }

  ok(op: PendingOp, output: O, time: number): void {
    this.#finish(op, "ok", time).output = output;
  }

  fail(op: PendingOp, time: number): void {
    this.#finish(op, "fail", time);
  }

  unknown(op: PendingOp): void {
    const entry = this.#ops[op];
    assert(entry !== undefined && entry.outcome === undefined, "an operation is finished once");
    entry.outcome = "unknown";
    entry.complete = null;
  }

  get size(): number {
    return this.#ops.length;
  }

  history(): Operation<I, O>[] {
    return this.#ops.map((e) => {
      const outcome = e.outcome ?? "unknown";
      const op: Operation<I, O> =
        outcome === "ok"
          ? { client: e.client, key: e.key, input: e.input, output: e.output, invoke: e.invoke, complete: e.complete ?? null, outcome }
          : { client: e.client, key: e.key, input: e.input, invoke: e.invoke, complete: outcome === "unknown" ? null : (e.complete ?? null), outcome };
      return op;
    });
  }

  #finish(op: PendingOp, outcome: Outcome, time: number) {
    const entry = this.#ops[op];
    assert(entry !== undefined && entry.outcome === undefined, "an operation is finished once");
    assert(time >= entry.invoke, "an operation completes after its invocation");
    entry.outcome = outcome;
    entry.complete = time;
    return entry;
  }
}
