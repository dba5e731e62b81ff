// The simulated network between Raft nodes: every link (one direction from one node to another)
// is open or cut, and open links lose, duplicate, delay and reorder messages according to the
// current weather. Cutting only a → b makes an asymmetric partition. A cut applies when a message
// is sent; messages already in flight still arrive (they were in a buffer on the way).

import type { NodeId } from "../raft/types.ts";
import type { SimRandom } from "./random.ts";

export interface Weather {
  /** Probability that a message is lost. */
  readonly loss: number;
  /** Probability that a delivered message arrives twice (each copy with its own delay). */
  readonly dup: number;
  /** Every copy takes a uniform delay in [delayMinUs, delayMaxUs]... */
  readonly delayMinUs: number;
  readonly delayMaxUs: number;
  /** ...and with this probability up to slowMaxUs more: it overtakes nothing, later ones overtake it. */
  readonly slow: number;
  readonly slowMaxUs: number;
}

export const calmWeather: Weather = { loss: 0, dup: 0, delayMinUs: 200, delayMaxUs: 2_000, slow: 0, slowMaxUs: 0 };

/** What happens to one message: cut (the link is down), lost, or delivered after each delay. */
export type Fate = { readonly kind: "cut" } | { readonly kind: "lost" } | { readonly kind: "delivered"; readonly delays: readonly number[] };

export class Network {
  readonly #rng: SimRandom;
  /** Cut links, as linkKey(from, to). */
  readonly #cut = new Set<number>();
  /** Extra loss on everything a node sends (a failing network card), by node. */
  readonly #sendLoss = new Map<NodeId, number>();
  weather: Weather;

  constructor(rng: SimRandom, weather: Weather) {
    this.#rng = rng;
    this.weather = weather;
  }

  /** Decides the fate of one message from `from` to `to`, drawing from the run's randomness. */
  route(from: NodeId, to: NodeId): Fate {
    if (this.#cut.has(linkKey(from, to))) return { kind: "cut" };
    const w = this.weather;
    if (this.#rng.chance(Math.max(w.loss, this.#sendLoss.get(from) ?? 0))) return { kind: "lost" };
    const copies = this.#rng.chance(w.dup) ? 2 : 1;
    const delays: number[] = [];
    for (let i = 0; i < copies; i++) {
      let d = this.#rng.between(w.delayMinUs, w.delayMaxUs);
      if (this.#rng.chance(w.slow)) d += this.#rng.between(0, w.slowMaxUs);
      delays.push(d);
    }
    return { kind: "delivered", delays };
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.#cut.has(linkKey(from, to));
  }

  /** Cuts the one-way link from → to. */
  cut(from: NodeId, to: NodeId): void {
    if (from !== to) this.#cut.add(linkKey(from, to));
  }

  /** Cuts every link between `id` and `others`, both ways. */
  isolate(id: NodeId, others: readonly NodeId[]): void {
    for (const o of others) {
      this.cut(id, o);
      this.cut(o, id);
    }
  }

  /** Cuts every link between different groups, both ways. */
  partition(groups: readonly (readonly NodeId[])[]): void {
    for (let i = 0; i < groups.length; i++) {
      for (let j = 0; j < groups.length; j++) {
        if (i === j) continue;
        for (const a of groups[i]) for (const b of groups[j]) this.cut(a, b);
      }
    }
  }

  /** Everything `id` sends is lost with probability p (0: back to the weather's loss). */
  setSendLoss(id: NodeId, p: number): void {
    if (p > 0) this.#sendLoss.set(id, p);
    else this.#sendLoss.delete(id);
  }

  /** Reopens every link and ends every node's extra loss. */
  heal(): void {
    this.#cut.clear();
    this.#sendLoss.clear();
  }

  get cutCount(): number {
    return this.#cut.size;
  }

  /** The cut links as "a>b", sorted (for traces). */
  describeCuts(): string {
    const links = [...this.#cut].sort((a, b) => a - b).map((k) => `${Math.floor(k / linkIdSpan)}>${k % linkIdSpan}`);
    return links.length === 0 ? "none" : links.join(" ");
  }
}

/** Node ids in a simulation stay far below this (they count up from 1). */
const linkIdSpan = 1 << 16;

function linkKey(from: NodeId, to: NodeId): number {
  return from * linkIdSpan + to;
}
