// The Wing–Gong linearizability search with Lowe's memoization, for the operations of one key.
//
// Every operation becomes a call entry and (when it completed) a return entry in a list sorted
// by time. The search walks the list from the front: a call entry may be linearized now (the
// model accepts its output from the current state), which lifts it and its return out of the
// list; reaching a return entry means that operation should have taken effect already, so the
// search backtracks. Lowe's memoization remembers every (set of linearized operations, state)
// configuration seen, so no configuration is explored twice.
//
// Unknown outcomes have no return entry: they may be linearized at any point after their call,
// or never (the search succeeds once every completed operation is linearized). Unknown reads
// constrain nothing and are dropped; unknown operations with the same effect are linearized in
// invocation order only, which cuts the symmetric orders that would otherwise blow the search up.

import { assert } from "../util/assert.ts";
import type { Operation } from "./history.ts";
import { impossible, type Model } from "./model.ts";

export type SearchResult = "ok" | "fail" | "unknown";

export interface SearchOptions<S> {
  /** Search steps before giving up with "unknown". */
  readonly stepsMax: number;
  /** The key's state before the first operation (default: `model.init()`). */
  readonly initial?: S;
  /** Remember the deepest partial linearization (for explanations; costs a copy each time it grows). */
  readonly trackLongest?: boolean;
  /** Explore every linearization and collect the states they end in, instead of stopping at the first. */
  readonly collectFinalStates?: boolean;
}

export interface SearchOutcome<S> {
  readonly result: SearchResult;
  readonly steps: number;
  /** Configurations memoized. */
  readonly configurations: number;
  /** With `trackLongest`: the longest valid order found (indices into the input), and its state. */
  readonly longest?: { readonly order: readonly number[]; readonly state: S };
  /** With `collectFinalStates`: distinct states after all completed operations. */
  readonly finalStates?: readonly S[];
}

interface Frame<S> {
  readonly op: number;
  readonly state: S;
}

export function searchLinearization<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options: SearchOptions<S>,
): SearchOutcome<S> {
  // Internal numbering: completed ops first, by invocation; then unknown ones, by invocation.
  const known: number[] = [];
  const unknown: number[] = [];
  history.forEach((op, i) => {
    assert(op.outcome !== "fail", "failed operations are dropped before the search");
    if (op.outcome === "ok") known.push(i);
    else if (!model.readOnly(op.input)) unknown.push(i);
  });
  const byInvoke = (a: number, b: number) => history[a].invoke - history[b].invoke || a - b;
  known.sort(byInvoke);
  unknown.sort(byInvoke);
  const original = [...known, ...unknown];
  const k = known.length;
  const n = original.length;
  const invoke = original.map((i) => history[i].invoke);
  const complete = original.map((i) => history[i].complete ?? Infinity);
  const inputs = original.map((i) => history[i].input);
  const outputs = original.map((i) => (history[i].outcome === "ok" ? history[i].output : undefined));

  // Unknown ops with the same effect: each may be linearized only after its predecessor.
  const previousSame = new Int32Array(n).fill(-1);
  const classLast: number[] = [];
  for (let u = k; u < n; u++) {
    for (let c = 0; c < classLast.length; c++) {
      if (model.sameEffect(inputs[classLast[c]], inputs[u])) {
        previousSame[u] = classLast[c];
        classLast[c] = u;
        break;
      }
    }
    if (previousSame[u] === -1) classLast.push(u);
  }

  // Entries: call of op i = 2i, return = 2i + 1; `head` is the sentinel; -1 ends the list.
  const head = 2 * n;
  const next = new Int32Array(2 * n + 1).fill(-1);
  const prev = new Int32Array(2 * n + 1).fill(-1);
  const entries: number[] = [];
  for (let i = 0; i < n; i++) {
    entries.push(2 * i);
    if (i < k) entries.push(2 * i + 1);
  }
  const time = (e: number) => ((e & 1) === 0 ? invoke[e >> 1] : complete[e >> 1]);
  // At equal times calls come first: such operations count as concurrent.
  entries.sort((a, b) => time(a) - time(b) || (a & 1) - (b & 1) || a - b);
  let last = head;
  for (const e of entries) {
    next[last] = e;
    prev[e] = last;
    last = e;
  }

  const lift = (i: number) => {
    const call = 2 * i;
    next[prev[call]] = next[call];
    if (next[call] !== -1) prev[next[call]] = prev[call];
    if (i < k) {
      const ret = call + 1;
      next[prev[ret]] = next[ret];
      if (next[ret] !== -1) prev[next[ret]] = prev[ret];
    }
  };
  const unlift = (i: number) => {
    const call = 2 * i;
    if (i < k) {
      const ret = call + 1;
      next[prev[ret]] = ret;
      if (next[ret] !== -1) prev[next[ret]] = ret;
    }
    next[prev[call]] = call;
    if (next[call] !== -1) prev[next[call]] = call;
  };

  const linearized = new Uint8Array(n);
  /** First completed op (by invocation) not linearized; all before it are. */
  let knownPrefix = 0;
  /** Linearized unknown ops, ascending. */
  const unknownSet: number[] = [];

  const setLinearized = (i: number) => {
    linearized[i] = 1;
    if (i < k) {
      while (knownPrefix < k && linearized[knownPrefix] === 1) knownPrefix++;
    } else {
      let at = unknownSet.length;
      while (at > 0 && unknownSet[at - 1] > i) at--;
      unknownSet.splice(at, 0, i);
    }
  };
  const clearLinearized = (i: number) => {
    linearized[i] = 0;
    if (i < k) {
      if (i < knownPrefix) knownPrefix = i;
    } else {
      const at = unknownSet.lastIndexOf(i);
      assert(at >= 0, "a linearized unknown operation is in the set");
      unknownSet.splice(at, 1);
    }
  };
  // Canonical text of (linearized set, state). A linearized completed op past the prefix was
  // invoked before the prefix op completed, so the scan below stays within the concurrency window.
  const configKey = (stateKey: string): string => {
    let key = `${stateKey}\u0001${knownPrefix}`;
    if (knownPrefix < k) {
      const bound = complete[knownPrefix];
      for (let j = knownPrefix + 1; j < k && invoke[j] <= bound; j++) {
        if (linearized[j] === 1) key += `,${j}`;
      }
    }
    if (unknownSet.length > 0) key += `;${unknownSet.join(",")}`;
    return key;
  };

  const cache = new Set<string>();
  const stack: Frame<S>[] = [];
  let state: S = options.initial !== undefined ? options.initial : model.init();
  let knownDone = 0;
  let steps = 0;
  let longest: { order: number[]; state: S } | undefined;
  let longestKnown = -1;
  const finalStates = new Map<string, S>();
  const stateKeyOf = (s: S) => model.stateKey(s);
  const toOriginal = (order: number[]) => order.map((i) => original[i]);

  const finish = (result: SearchResult): SearchOutcome<S> => ({
    result,
    steps,
    configurations: cache.size,
    ...(longest !== undefined ? { longest: { order: toOriginal(longest.order), state: longest.state } } : {}),
    ...(options.collectFinalStates === true ? { finalStates: [...finalStates.values()] } : {}),
  });

  if (options.trackLongest === true) {
    longest = { order: [], state };
    longestKnown = 0;
  }

  let entry = next[head];
  for (;;) {
    if (++steps > options.stepsMax) return finish("unknown");
    let backtrack = false;
    if (knownDone === k) {
      if (options.collectFinalStates !== true) return finish("ok");
      finalStates.set(stateKeyOf(state), state);
      backtrack = true;
    } else if (entry === -1 || (entry & 1) === 1) {
      // A completed op must have taken effect by now, and nothing placed so far made it fit.
      backtrack = true;
    } else {
      const i = entry >> 1;
      const ready = i < k || previousSame[i] === -1 || linearized[previousSame[i]] === 1;
      const after = ready ? model.step(state, inputs[i], outputs[i]) : impossible;
      if (after !== impossible) {
        setLinearized(i);
        const key = configKey(stateKeyOf(after));
        if (!cache.has(key)) {
          cache.add(key);
          stack.push({ op: i, state });
          state = after;
          lift(i);
          if (i < k) knownDone++;
          if (longest !== undefined && knownDone > longestKnown) {
            longestKnown = knownDone;
            longest = { order: stack.map((f) => f.op), state };
          }
          entry = next[head];
          continue;
        }
        clearLinearized(i);
      }
      entry = next[entry];
      continue;
    }
    if (backtrack) {
      const frame = stack.pop();
      if (frame === undefined) return finish(options.collectFinalStates === true && finalStates.size > 0 ? "ok" : "fail");
      unlift(frame.op);
      clearLinearized(frame.op);
      if (frame.op < k) knownDone--;
      state = frame.state;
      entry = next[2 * frame.op];
    }
  }
}
