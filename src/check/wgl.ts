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
// or never (the search succeeds once every completed operation is linearized). They are kept in
// lists of their own, so that they cost nothing where they cannot help. Three rules cut orders
// that another order already covers with more options left, which would otherwise make the
// search exponential in the number of unknown operations: unknown reads are dropped; unknown
// operations with the same effect are used in invocation order only; an unknown operation is
// not placed where it changes nothing, nor right before a step that overwrites it unseen.

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
  /** The configuration this placement was made from. */
  readonly state: S;
  readonly deadline: number;
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

  const blind = Uint8Array.from(original, (_, i) => (model.blind(inputs[i], outputs[i]) ? 1 : 0));

  // Unknown ops with the same effect: each may be linearized only after its predecessor (the
  // order does not matter to the state, and the predecessor was invoked no later).
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

  // Completed ops live in a list of entries sorted by time: call of op i = 2i, return = 2i + 1;
  // `head` is the sentinel and -1 ends the list.
  const head = 2 * k;
  const next = new Int32Array(2 * k + 1).fill(-1);
  const prev = new Int32Array(2 * k + 1).fill(-1);
  const entries: number[] = [];
  for (let i = 0; i < k; i++) entries.push(2 * i, 2 * i + 1);
  const time = (e: number) => ((e & 1) === 0 ? invoke[e >> 1] : complete[e >> 1]);
  // At equal times calls come first: such operations count as concurrent.
  entries.sort((a, b) => time(a) - time(b) || (a & 1) - (b & 1) || a - b);
  let last = head;
  for (const e of entries) {
    next[last] = e;
    prev[e] = last;
    last = e;
  }
  // Unknown ops live in two lists by invocation (blind ones, and the others), linked by op number;
  // `unknownHead + list` are the sentinels. Of a class of same-effect ops only the first not yet
  // linearized is linked, so the others cost nothing until their turn.
  const unknownHead = n;
  const uNext = new Int32Array(n + 2).fill(-1);
  const uPrev = new Int32Array(n + 2).fill(-1);
  const uList = new Uint8Array(n);
  const nextSame = new Int32Array(n).fill(-1);
  const uLast = [unknownHead, unknownHead + 1];
  for (let u = k; u < n; u++) {
    const list = blind[u] === 1 ? 0 : 1;
    uList[u] = list;
    if (previousSame[u] !== -1) {
      nextSame[previousSame[u]] = u;
      assert(uList[previousSame[u]] === list, "same-effect operations are equally blind");
      continue;
    }
    uNext[uLast[list]] = u;
    uPrev[u] = uLast[list];
    uLast[list] = u;
  }

  const unlink = (nx: Int32Array, pv: Int32Array, x: number) => {
    nx[pv[x]] = nx[x];
    if (nx[x] !== -1) pv[nx[x]] = pv[x];
  };
  const relink = (nx: Int32Array, pv: Int32Array, x: number) => {
    nx[pv[x]] = x;
    if (nx[x] !== -1) pv[nx[x]] = x;
  };
  // Dancing links: lifts and unlifts happen in stack order, so relinking restores the lists.
  const lift = (i: number) => {
    if (i < k) {
      unlink(next, prev, 2 * i);
      unlink(next, prev, 2 * i + 1);
      return;
    }
    unlink(uNext, uPrev, i);
    const successor = nextSame[i];
    if (successor === -1) return;
    // It was invoked no earlier than `i`, so it goes somewhere after i's predecessor.
    let at = uPrev[i];
    while (uNext[at] !== -1 && (invoke[uNext[at]] < invoke[successor] || (invoke[uNext[at]] === invoke[successor] && uNext[at] < successor))) {
      at = uNext[at];
    }
    uPrev[successor] = at;
    uNext[successor] = uNext[at];
    relink(uNext, uPrev, successor);
  };
  const unlift = (i: number) => {
    if (i < k) {
      relink(next, prev, 2 * i + 1);
      relink(next, prev, 2 * i);
      return;
    }
    if (nextSame[i] !== -1) unlink(uNext, uPrev, nextSame[i]);
    relink(uNext, uPrev, i);
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

  // The cursor walks a configuration's candidates in three phases. Unknown ops invoked by the time
  // of the first return entry (`deadline`) come first, as early as they can take effect, which
  // measured far faster than placing them last: phase 1 the blind ones (skipped right after
  // another unknown op: that pair would be pointless), phase 2 the others. Phase 0 then walks the
  // completed ops whose call precedes that return entry.
  const firstDeadline = () => {
    let e = next[head];
    while (e !== -1 && (e & 1) === 0) e = next[e];
    return e === -1 ? Infinity : complete[e >> 1];
  };
  let phase = 1;
  let entry = uNext[unknownHead];
  let deadline = firstDeadline();
  for (;;) {
    if (++steps > options.stepsMax) return finish("unknown");
    let candidate = -1;
    if (knownDone === k) {
      if (options.collectFinalStates !== true) return finish("ok");
      finalStates.set(stateKeyOf(state), state);
    } else if (phase === 0) {
      if (entry !== -1 && (entry & 1) === 0) candidate = entry >> 1;
    } else {
      const top = stack.length > 0 ? stack[stack.length - 1].op : -1;
      if (entry === -1 || invoke[entry] > deadline || (phase === 1 && top >= k)) {
        if (phase === 1) {
          phase = 2;
          entry = uNext[unknownHead + 1];
          continue;
        }
        phase = 0;
        entry = next[head];
        continue;
      } else {
        candidate = entry;
      }
    }

    if (candidate !== -1) {
      const i = candidate;
      const top = stack.length > 0 ? stack[stack.length - 1].op : -1;
      // Placements that only repeat what another order does with more options left: an unknown
      // op that changes nothing, or one whose effect the next (blind) step erases unseen.
      const pointless = top >= k && blind[i] === 1;
      const after = !pointless ? model.step(state, inputs[i], outputs[i]) : impossible;
      const afterKey = after === impossible ? "" : stateKeyOf(after);
      if (after !== impossible && !(i >= k && afterKey === stateKeyOf(state))) {
        setLinearized(i);
        const key = configKey(afterKey);
        if (!cache.has(key)) {
          cache.add(key);
          stack.push({ op: i, state, deadline });
          state = after;
          lift(i);
          if (i < k) knownDone++;
          if (longest !== undefined && knownDone > longestKnown) {
            longestKnown = knownDone;
            longest = { order: stack.map((f) => f.op), state };
          }
          phase = 1;
          entry = uNext[unknownHead];
          deadline = firstDeadline();
          continue;
        }
        clearLinearized(i);
      }
      entry = i < k ? next[entry] : uNext[entry];
      continue;
    }

    // Nothing (more) fits here: undo the last placement and try its next sibling.
    const frame = stack.pop();
    if (frame === undefined) return finish(options.collectFinalStates === true && finalStates.size > 0 ? "ok" : "fail");
    const i = frame.op;
    unlift(i);
    clearLinearized(i);
    if (i < k) knownDone--;
    state = frame.state;
    deadline = frame.deadline;
    if (i < k) {
      phase = 0;
      entry = next[2 * i];
    } else {
      phase = 1 + uList[i];
      entry = uNext[i];
    }
  }
}
