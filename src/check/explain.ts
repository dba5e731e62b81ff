// Shrinks a non-linearizable key history to a small witness a person can read, using only cuts
// that keep it non-linearizable *and* imply the full history is not:
//   1. the shortest failing prefix in time (operations still running at its end become unknown):
//      its last event is the completion of the culprit, the first operation that cannot fit;
//   2. leave out reads other than the culprit (a read changes nothing, so removing reads can
//      only make a history easier to linearize);
//   3. start at the latest quiescent point before the culprit (every earlier operation had
//      completed): the earlier operations are replaced by the states they can leave the key in.
// Then the witness is searched once more for its longest valid order, and the operations that
// could come next are listed with why none fits.

import type { Operation } from "./history.ts";
import { impossible, type Model } from "./model.ts";
import { searchLinearization, type SearchResult } from "./wgl.ts";

export interface NumberedOp<I, O> {
  /** Position in the history given to the checker. */
  readonly index: number;
  readonly op: Operation<I, O>;
}

export interface Candidate<I, O> {
  readonly op: NumberedOp<I, O>;
  /** "output": its recorded output cannot follow the state; "dead-end": it fits, but nothing works after it. */
  readonly why: "output" | "dead-end";
}

export interface Explanation<S, I, O> {
  readonly key: string;
  /** The first operation whose completion leaves no valid order. */
  readonly culprit: NumberedOp<I, O>;
  /** A small sub-history that cannot be linearized (by invocation); unknown ops may be running ones the prefix cut. */
  readonly witness: readonly NumberedOp<I, O>[];
  /** Witness operations that completed only after the culprit did: the witness treats them as unknown. */
  readonly runningAtEnd: readonly number[];
  /** Witness operations that completed but make no difference: the witness fails even when each may or may not take effect. */
  readonly relaxed: readonly number[];
  /** The states the key can be in when the witness starts (the model's initial state if no cut). */
  readonly initialStates: readonly S[];
  /** Operations of the key that completed before `cutTime` (summarized by `initialStates`). */
  readonly before: number;
  /** When the witness starts (the quiescent point), or null when it starts with the history. */
  readonly cutTime: number | null;
  /** The last few of those, for context (latest completion last). */
  readonly context: readonly NumberedOp<I, O>[];
  /** The longest valid order of witness operations (from the first initial state) and where it leaves the key. */
  readonly longest: { readonly order: readonly NumberedOp<I, O>[]; readonly state: S } | null;
  /** What could have come next after `longest`. */
  readonly candidates: readonly Candidate<I, O>[];
}

export interface ExplainOptions {
  readonly stepsMax: number;
  /** Steps for each search of step 4 (those searches have many unknown operations, so they can be slow). */
  readonly relaxStepsMax: number;
  /** Searches the shrinking may run. */
  readonly runsMax: number;
}

export function explainKey<S, I, O>(
  model: Model<S, I, O>,
  key: string,
  history: readonly NumberedOp<I, O>[],
  options: ExplainOptions,
): Explanation<S, I, O> | null {
  let runs = 0;
  const check = (ops: readonly NumberedOp<I, O>[], initial: S = model.init(), stepsMax = options.stepsMax): SearchResult => {
    runs++;
    return searchLinearization(model, ops.map((o) => o.op), { stepsMax, initial }).result;
  };
  const budgetLeft = () => runs < options.runsMax;

  // 1. Shortest failing prefix, by binary search over the time-ordered events.
  const events = timeline(history);
  let lo = 1;
  let hi = events.length;
  if (check(prefix(history, events, hi)) !== "fail") return null;
  while (lo < hi && budgetLeft()) {
    const mid = (lo + hi) >> 1;
    if (check(prefix(history, events, mid)) === "fail") hi = mid;
    else lo = mid + 1;
  }
  // Reads still running at the end of the prefix constrain nothing.
  let witness = prefix(history, events, hi).filter((o) => o.op.outcome === "ok" || !model.readOnly(o.op.input));
  const culpritIndex = events[hi - 1].at;
  const culprit = witness.find((o) => o.index === history[culpritIndex].index) ?? witness[witness.length - 1];

  // 2. Leave out reads (ddmin over the set of reads other than the culprit).
  let chunks = 1;
  let reads = witness.filter((o) => o !== culprit && o.op.outcome === "ok" && model.readOnly(o.op.input));
  while (reads.length > 0 && budgetLeft()) {
    const size = Math.ceil(reads.length / chunks);
    let removedAny = false;
    for (let start = 0; start < reads.length && budgetLeft(); start += size) {
      const drop = new Set(reads.slice(start, start + size));
      const candidate = witness.filter((o) => !drop.has(o));
      if (check(candidate) === "fail") {
        witness = candidate;
        reads = reads.filter((o) => !drop.has(o));
        removedAny = true;
        break;
      }
    }
    if (removedAny) chunks = Math.max(chunks - 1, 1);
    else if (size === 1) break;
    else chunks = Math.min(chunks * 2, reads.length);
  }

  // 3. Start at the latest point before the culprit when every earlier completed operation had
  // completed. Earlier unknown operations may still take effect later, so they stay in the witness.
  let initialStates: S[] = [model.init()];
  let before = 0;
  let cutTime: number | null = null;
  let context: NumberedOp<I, O>[] = [];
  const cut = latestQuiescentCut(witness, culprit);
  if (cut > 0 && budgetLeft()) {
    const earlier = witness.slice(0, cut);
    const firstLater = witness[cut];
    const later = [...earlier.filter((o) => o.op.outcome === "unknown"), ...witness.slice(cut)];
    runs++;
    const reach = searchLinearization(model, earlier.map((o) => o.op), { stepsMax: options.stepsMax, collectFinalStates: true });
    const states = reach.result === "ok" ? (reach.finalStates ?? []) : [];
    if (states.length > 0 && states.every((s) => budgetLeft() && check(later, s) === "fail")) {
      const completed = earlier.filter((o) => o.op.outcome === "ok");
      witness = later;
      initialStates = [...states];
      before = completed.length;
      cutTime = firstLater.op.invoke;
      context = completed.sort((a, b) => (a.op.complete ?? 0) - (b.op.complete ?? 0)).slice(-contextOps);
    }
  }

  // 4. Find the completed writes that make no difference: the witness still fails when each may
  // take effect at any time after its invocation, or never (a weaker history, so still sound).
  const failsFromAll = (ops: readonly NumberedOp<I, O>[]) =>
    initialStates.every((s) => budgetLeft() && check(ops, s, options.relaxStepsMax) === "fail");
  const relaxed = new Set<number>();
  let relaxable = witness.filter((o) => o !== culprit && o.op.outcome === "ok");
  chunks = 1;
  while (relaxable.length > 0 && budgetLeft()) {
    const size = Math.ceil(relaxable.length / chunks);
    let relaxedAny = false;
    for (let start = 0; start < relaxable.length && budgetLeft(); start += size) {
      const chunk = new Set(relaxable.slice(start, start + size));
      const candidate = witness.map((o) => (chunk.has(o) ? relax(o) : o));
      if (failsFromAll(candidate)) {
        witness = candidate;
        for (const o of chunk) relaxed.add(o.index);
        relaxable = relaxable.filter((o) => !chunk.has(o));
        relaxedAny = true;
        break;
      }
    }
    if (relaxedAny) chunks = Math.max(chunks - 1, 1);
    else if (size === 1) break;
    else chunks = Math.min(chunks * 2, relaxable.length);
  }

  // The longest valid order of the witness, and what could come next.
  const found = searchLinearization(model, witness.map((o) => o.op), {
    stepsMax: options.stepsMax,
    initial: initialStates[0],
    trackLongest: true,
  });
  const longest = found.longest === undefined ? null : { order: found.longest.order.map((i) => witness[i]), state: found.longest.state };
  const candidates: Candidate<I, O>[] = [];
  if (longest !== null) {
    const placed = new Set(longest.order);
    const pending = witness.filter((o) => !placed.has(o));
    const deadline = Math.min(...pending.map((o) => o.op.complete ?? Infinity));
    for (const o of pending) {
      if (o.op.invoke > deadline) continue;
      const output = o.op.outcome === "ok" ? o.op.output : undefined;
      candidates.push({ op: o, why: model.step(longest.state, o.op.input, output) === impossible ? "output" : "dead-end" });
    }
  }
  const completedInHistory = new Set(history.filter((o) => o.op.outcome === "ok").map((o) => o.index));
  const runningAtEnd = witness.filter((o) => o.op.outcome === "unknown" && completedInHistory.has(o.index) && !relaxed.has(o.index)).map((o) => o.index);
  return { key, culprit, witness, runningAtEnd, relaxed: [...relaxed], initialStates, before, cutTime, context, longest, candidates };
}

function relax<I, O>(o: NumberedOp<I, O>): NumberedOp<I, O> {
  const { output: _dropped, ...rest } = o.op;
  return { index: o.index, op: { ...rest, complete: null, outcome: "unknown" } };
}

/** Earlier operations shown for context when the witness starts after a cut. */
const contextOps = 3;

interface TimelineEvent {
  /** Position in the key's history. */
  readonly at: number;
  readonly time: number;
  readonly isReturn: boolean;
}

/** Calls and returns in the order the search sees them (calls first at equal times). */
function timeline<I, O>(history: readonly NumberedOp<I, O>[]): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  history.forEach((o, at) => {
    events.push({ at, time: o.op.invoke, isReturn: false });
    if (o.op.complete !== null) events.push({ at, time: o.op.complete, isReturn: true });
  });
  return events.sort((a, b) => a.time - b.time || Number(a.isReturn) - Number(b.isReturn) || a.at - b.at);
}

/** The history as it stood after `count` events: operations not yet returned become unknown. */
function prefix<I, O>(history: readonly NumberedOp<I, O>[], events: readonly TimelineEvent[], count: number): NumberedOp<I, O>[] {
  const returned = new Set<number>();
  const called: number[] = [];
  for (let e = 0; e < count; e++) {
    if (events[e].isReturn) returned.add(events[e].at);
    else called.push(events[e].at);
  }
  return called.map((at) => {
    const o = history[at];
    return returned.has(at) || o.op.outcome !== "ok" ? o : relax(o);
  });
}

/**
 * Position (in invocation order) of the latest point before the culprit at which every earlier
 * completed operation had completed (unknown ones never complete; they are carried over); 0
 * when there is none.
 */
function latestQuiescentCut<I, O>(witness: readonly NumberedOp<I, O>[], culprit: NumberedOp<I, O>): number {
  let best = 0;
  let latestComplete = -Infinity;
  for (let j = 0; j < witness.length; j++) {
    const o = witness[j];
    if (j > 0 && latestComplete < o.op.invoke) best = j;
    if (o === culprit) break;
    if (o.op.complete !== null) latestComplete = Math.max(latestComplete, o.op.complete);
  }
  return best;
}
