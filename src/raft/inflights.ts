// The MsgApp a leader has sent a follower and not yet seen acknowledged: the last index and the
// bytes of each, oldest first. Full means stop sending (flow control per follower).

import { assert } from "../util/assert.ts";

export class Inflights {
  readonly #maxCount: number;
  readonly #maxBytes: number;
  #indexes: number[] = [];
  #sizes: number[] = [];
  #bytes = 0;

  /** maxBytes 0: only the count limits. */
  constructor(maxCount: number, maxBytes: number) {
    assert(maxCount >= 1, "at least one message in flight");
    this.#maxCount = maxCount;
    this.#maxBytes = maxBytes;
  }

  get count(): number {
    return this.#indexes.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  full(): boolean {
    return this.#indexes.length >= this.#maxCount || (this.#maxBytes > 0 && this.#bytes >= this.#maxBytes);
  }

  add(lastIndex: number, bytes: number): void {
    assert(!this.full(), "no send while in-flight messages are at their limit");
    const n = this.#indexes.length;
    assert(n === 0 || lastIndex > this.#indexes[n - 1], "in-flight indexes increase");
    this.#indexes.push(lastIndex);
    this.#sizes.push(bytes);
    this.#bytes += bytes;
  }

  /** Acknowledged up to `index`: everything sent up to there has arrived. */
  freeLE(index: number): void {
    let n = 0;
    while (n < this.#indexes.length && this.#indexes[n] <= index) {
      this.#bytes -= this.#sizes[n];
      n++;
    }
    if (n > 0) {
      this.#indexes.splice(0, n);
      this.#sizes.splice(0, n);
    }
  }

  reset(): void {
    this.#indexes = [];
    this.#sizes = [];
    this.#bytes = 0;
  }
}
