// A sequential specification: what one object does when operations are applied one at a time.
// The linearizability checker searches for an order of a key's operations that this model accepts.

/** Returned by `Model.step` when the recorded output cannot follow from the state. */
export const impossible: unique symbol = Symbol("impossible");
export type Impossible = typeof impossible;

export interface Model<S, I, O> {
  readonly name: string;
  /** The state of a key nobody has written. */
  init(): S;
  /**
   * Applies `input` to `state`. `output` undefined means the outcome is unknown: any output is
   * acceptable, only the state change matters. Returns the next state, or `impossible` when
   * `output` cannot be produced from `state`. Must not mutate `state`.
   */
  step(state: S, input: I, output: O | undefined): S | Impossible;
  /** Equal states give equal keys (the search memoizes on it). */
  stateKey(state: S): string;
  /** True when `input` never changes the state (a read): such operations can be left out safely. */
  readOnly(input: I): boolean;
  /**
   * True when the step's result does not depend on the state at all (with this output: DEL with
   * a known reply depends on whether the key existed; SET does not). An unknown operation placed
   * right before such a step has no visible effect, so the search does not try that placement.
   */
  blind(input: I, output: O | undefined): boolean;
  /** True when two inputs with unknown outcomes have the same effect, so the search may use them in either order. */
  sameEffect(a: I, b: I): boolean;
  describeOp(input: I, output: O | undefined): string;
  describeState(state: S): string;
}
