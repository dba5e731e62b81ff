// One wake word shared by several rings' producers, so a consumer can sleep on all its rings at
// once (the Raft worker waits for commands from the main thread *and* persist acknowledgements
// from the storage worker). Producers created with `{ doorbell }` ring it instead of their own
// ring's bell, and only while the consumer has declared itself asleep on that ring.

import type { RingConsumer } from "./consumer.ts";

/** A new doorbell word (post its buffer to every producer's thread). */
export function createDoorbell(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

/** Producer side: wake whoever sleeps on the doorbell. */
export function ringDoorbell(bell: Int32Array): void {
  Atomics.add(bell, 0, 1);
  Atomics.notify(bell, 0);
}

export class Doorbell {
  readonly #bell: Int32Array;
  readonly #consumers: readonly RingConsumer[];
  #sleeps = 0;

  constructor(bell: Int32Array, consumers: readonly RingConsumer[]) {
    this.#bell = bell;
    this.#consumers = consumers;
  }

  /** Times the consumer went to sleep. */
  get sleepCount(): number {
    return this.#sleeps;
  }

  /** True when any ring has records. */
  hasData(): boolean {
    for (const c of this.#consumers) if (c.hasData()) return true;
    return false;
  }

  /**
   * Resolves when any ring has data, or after `timeoutMs` (false). Sleeps with waitAsync, so the
   * caller's event loop (timers, sockets, messages) keeps running meanwhile.
   */
  async wait(timeoutMs: number): Promise<boolean> {
    if (this.hasData()) return true;
    const value = Atomics.load(this.#bell, 0);
    for (const c of this.#consumers) c.setSleeping(true);
    try {
      // Data published before the sleeping flags were visible did not ring: look again.
      if (this.hasData()) return true;
      this.#sleeps++;
      const w = Atomics.waitAsync(this.#bell, 0, value, timeoutMs);
      if (w.async) await w.value;
      return this.hasData();
    } finally {
      for (const c of this.#consumers) c.setSleeping(false);
    }
  }
}
