// The simulator's agenda: actions ordered by simulated time (µs), ties broken by the order they
// were scheduled, so a run is a deterministic sequence of events. A binary heap.

import { assert } from "../util/assert.ts";

interface Scheduled {
  time: number;
  seq: number;
  run: () => void;
}

export class EventQueue {
  readonly #heap: Scheduled[] = [];
  #seq = 0;
  #now = 0;

  /** The time of the event being run (never decreases). */
  get now(): number {
    return this.#now;
  }

  get size(): number {
    return this.#heap.length;
  }

  /** Runs `run` at `time` (>= now). */
  at(time: number, run: () => void): void {
    assert(time >= this.#now, "events are scheduled in the future");
    const item: Scheduled = { time, seq: this.#seq++, run };
    const h = this.#heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(item, h[parent])) break;
      h[i] = h[parent];
      i = parent;
    }
    h[i] = item;
  }

  /** Runs `run` after `delay` µs. */
  after(delay: number, run: () => void): void {
    this.at(this.#now + delay, run);
  }

  /** Runs the next event; false when there is none or it lies beyond `until`. */
  runNext(until: number): boolean {
    const h = this.#heap;
    if (h.length === 0 || h[0].time > until) return false;
    const top = h[0];
    const last = h.pop() as Scheduled;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && before(h[r], h[l]) ? r : l;
        if (!before(h[c], last)) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    this.#now = top.time;
    top.run();
    return true;
  }
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
