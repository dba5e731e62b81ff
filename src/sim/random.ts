// The simulator's randomness: one seeded Rng (src/engine/rng.ts) per run, with the few shapes of
// draw the simulator needs. Every random choice of a run goes through one of these, in event
// order, so a seed replays exactly.

import { Rng } from "../engine/rng.ts";

export class SimRandom {
  readonly #rng: Rng;

  constructor(seed: number) {
    this.#rng = new Rng(seed);
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return this.#rng.nextInt(n);
  }

  /** A uniform integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.#rng.nextInt(hi - lo + 1);
  }

  /** A uniform float in [0, 1). */
  float(): number {
    return this.#rng.nextFloat();
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.#rng.nextFloat() < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.#rng.nextInt(xs.length)];
  }

  /** A new array in random order (Fisher–Yates). */
  shuffled<T>(xs: readonly T[]): T[] {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.#rng.nextInt(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  /** A seed for a sub-component (a node's election-timeout Rng). */
  seed(): number {
    return this.#rng.nextU32();
  }

  /** Picks a key of `weights` with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const keys = Object.keys(weights) as K[];
    let total = 0;
    for (const k of keys) total += weights[k];
    let r = this.#rng.nextFloat() * total;
    for (const k of keys) {
      r -= weights[k];
      if (r < 0) return k;
    }
    return keys[keys.length - 1];
  }
}
