// Linearizability of a whole history: split per key (a history is linearizable exactly when each
// key's sub-history is, for single-key operations), search each key with its own step budget,
// and explain every key that fails.

import { checkExplainRelaxStepsMax, checkExplainRunsMax, checkKeyStepsMaxDefault } from "../constants.ts";
import { explainKey, type Explanation, type NumberedOp } from "./explain.ts";
import { validateOperation, type Operation } from "./history.ts";
import type { Model } from "./model.ts";
import { searchLinearization, type SearchResult } from "./wgl.ts";

export interface LinearizabilityOptions {
  /** Search steps per key before that key's result is "unknown". */
  readonly stepsMax?: number;
  /** Explain failing keys (default true). */
  readonly explain?: boolean;
  /** Searches the explanation of one key may run. */
  readonly explainRunsMax?: number;
}

export interface KeyStats {
  readonly key: string;
  /** Operations checked (failed ones are not counted). */
  readonly ops: number;
  readonly unknownOps: number;
  readonly result: SearchResult;
  readonly steps: number;
  readonly configurations: number;
}

export interface NonLinearizable<S, I, O> {
  readonly kind: "not-linearizable";
  readonly key: string;
  /** Null when the explanation was turned off or ran out of budget. */
  readonly explanation: Explanation<S, I, O> | null;
}

export interface LinearizabilityResult<S, I, O> {
  /** True when every key is linearizable. */
  readonly ok: boolean;
  /** "fail" if some key is not linearizable, else "unknown" if some key ran out of budget, else "ok". */
  readonly result: SearchResult;
  readonly anomalies: readonly NonLinearizable<S, I, O>[];
  /** Keys whose search ran out of budget: neither proved nor refuted. */
  readonly unknownKeys: readonly string[];
  readonly perKey: readonly KeyStats[];
  readonly model: Model<S, I, O>;
}

export function checkLinearizability<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options: LinearizabilityOptions = {},
): LinearizabilityResult<S, I, O> {
  const stepsMax = options.stepsMax ?? checkKeyStepsMaxDefault;
  const byKey = new Map<string, NumberedOp<I, O>[]>();
  history.forEach((op, index) => {
    validateOperation(op);
    if (op.outcome === "fail") return;
    let list = byKey.get(op.key);
    if (list === undefined) byKey.set(op.key, (list = []));
    list.push({ index, op });
  });

  const perKey: KeyStats[] = [];
  const anomalies: NonLinearizable<S, I, O>[] = [];
  const unknownKeys: string[] = [];
  for (const [key, ops] of [...byKey].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const found = searchLinearization(model, ops.map((o) => o.op), { stepsMax });
    perKey.push({
      key,
      ops: ops.length,
      unknownOps: ops.filter((o) => o.op.outcome === "unknown").length,
      result: found.result,
      steps: found.steps,
      configurations: found.configurations,
    });
    if (found.result === "unknown") unknownKeys.push(key);
    if (found.result !== "fail") continue;
    const explanation =
      options.explain === false ? null : explainKey(model, key, ops, {
            // Sub-histories rarely need more than the whole did; this bounds the total effort.
            stepsMax: Math.min(stepsMax, 4 * found.steps + explainStepsSlack),
            relaxStepsMax: Math.min(stepsMax, checkExplainRelaxStepsMax),
            runsMax: options.explainRunsMax ?? checkExplainRunsMax,
          });
    anomalies.push({ kind: "not-linearizable", key, explanation });
  }
  const result: SearchResult = anomalies.length > 0 ? "fail" : unknownKeys.length > 0 ? "unknown" : "ok";
  return { ok: result === "ok", result, anomalies, unknownKeys, perKey, model };
}

/** A report for people: one line of totals, then each anomaly's witness. */
export function formatLinearizabilityResult<S, I, O>(result: LinearizabilityResult<S, I, O>): string {
  const ops = result.perKey.reduce((sum, k) => sum + k.ops, 0);
  const lines = [
    `${result.model.name}: ${plural(result.perKey.length, "key")}, ${plural(ops, "operation")}: ` +
      (result.result === "ok" ? "linearizable" : result.result === "fail" ? `NOT linearizable (${plural(result.anomalies.length, "key")})` : "unknown"),
  ];
  if (result.unknownKeys.length > 0) {
    lines.push(`  search budget exhausted (result unknown) for keys: ${result.unknownKeys.map((k) => JSON.stringify(k)).join(", ")}`);
  }
  for (const anomaly of result.anomalies) {
    lines.push(...formatNonLinearizable(result.model, anomaly));
  }
  return lines.join("\n");
}

export function formatNonLinearizable<S, I, O>(model: Model<S, I, O>, anomaly: NonLinearizable<S, I, O>): string[] {
  const e = anomaly.explanation;
  if (e === null) return [`key ${JSON.stringify(anomaly.key)}: not linearizable (no explanation)`];
  const name = (o: NumberedOp<I, O>) => `op ${o.index}`;
  const describe = (o: NumberedOp<I, O>) => model.describeOp(o.op.input, o.op.outcome === "ok" ? o.op.output : undefined);
  const width = Math.max(...[...e.context, ...e.witness].map((o) => name(o).length));
  const lines = [
    `key ${JSON.stringify(e.key)}: not linearizable. ${name(e.culprit)} (client ${e.culprit.op.client}: ${describe(e.culprit)}) ` +
      `completes at ${e.culprit.op.complete}, and from then on no order of the operations fits their results and real-time order.`,
  ];
  const row = (o: NumberedOp<I, O>, mark: string) => {
    const span = `[${o.op.invoke}, ${o.op.complete ?? "?"}]`;
    return `    ${name(o).padEnd(width)}  client ${String(o.op.client).padEnd(4)} ${span.padEnd(18)} ${describe(o)}${mark}`;
  };
  const relaxed = new Set(e.relaxed);
  const shown = e.witness.filter((o) => !relaxed.has(o.index));
  const states = e.initialStates.length === 1 ? model.describeState(e.initialStates[0]) : `one of ${e.initialStates.map((s) => model.describeState(s)).join(", ")}`;
  if (e.before === 0) {
    lines.push(`  smallest failing history (${plural(shown.length, "operation")}, from the initial state ${states}):`);
  } else {
    lines.push(`  ${plural(e.before, "earlier operation")}, all completed before ${e.cutTime}, leave the key ${states}; the last of them:`);
    for (const o of e.context) lines.push(row(o, ""));
    lines.push(`  then the smallest failing history (${plural(shown.length, "operation")}):`);
  }
  // Long-pending unknown operations pile up in real runs; name the ones nearest the culprit.
  const pending = shown.filter((o) => o.op.outcome === "unknown" && !e.runningAtEnd.includes(o.index));
  const folded = new Set(pending.slice(0, Math.max(0, pending.length - unknownShownMax)));
  if (folded.size > 0) {
    lines.push(`    ${plural(folded.size, "earlier operation")} with unknown outcomes (${[...folded].map((o) => `op ${o.index}`).slice(0, relaxedNamesMax).join(", ")}${folded.size > relaxedNamesMax ? ", ..." : ""}), then:`);
  }
  for (const o of shown) {
    if (folded.has(o)) continue;
    const note =
      o === e.culprit
        ? "   <- culprit"
        : e.runningAtEnd.includes(o.index)
          ? "   (still running when the culprit completed)"
          : o.op.outcome === "unknown"
            ? "   (outcome unknown: may or may not take effect)"
            : "";
    lines.push(row(o, note));
  }
  if (relaxed.size > 0) {
    const names = e.relaxed.slice(0, relaxedNamesMax).map((i) => `op ${i}`).join(", ");
    lines.push(
      `  and ${plural(relaxed.size, "more operation")} that make no difference (it fails even if each took effect at any time ` +
        `after its invocation, or never): ${names}${relaxed.size > relaxedNamesMax ? ", ..." : ""}`,
    );
  }
  if (e.longest !== null) {
    const order = e.longest.order.filter((o) => !relaxed.has(o.index));
    const text = order.length === 0 ? "(none)" : order.map((o) => `${name(o)} ${describe(o)}`).join(", then ");
    lines.push(`  longest valid order${relaxed.size > 0 ? " (of those shown)" : ""}: ${text}; leaves the key ${model.describeState(e.longest.state)}`);
    const next = e.candidates
      .filter((c) => c.op.op.outcome === "ok")
      .map((c) =>
        c.why === "output"
          ? `${name(c.op)} ${describe(c.op)} cannot follow ${model.describeState(e.longest?.state ?? model.init())}`
          : `${name(c.op)} fits, but no order works after it`,
      );
    if (next.length > 0) lines.push(`  next, nothing fits: ${next.join("; ")}`);
  }
  return lines;
}

/** Steps an explanation's searches may take beyond four times what the key's own search took. */
const explainStepsSlack = 100_000;

/** Operations that make no difference are named up to this many. */
const relaxedNamesMax = 12;
/** Unknown-outcome operations of a witness shown one per line; earlier ones are folded. */
const unknownShownMax = 8;

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
