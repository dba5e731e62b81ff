// The reading side of an SPSC ring (layout in layout.ts, publication rule in producer.ts).
//
// One wake-up drains everything available: drain() keeps reading while records keep arriving, so
// a busy producer is served in batches without a sleep per record. The head is published in
// bulk (at the end, or every quarter of the ring during a long drain) so the producer gets room
// back early, and the producer is notified only when it declared it waits.

import { ringSpinChecksDefault } from "../constants.ts";
import { assert } from "../util/assert.ts";
import {
  attachSide,
  closeRing,
  RECORD_HEADER_BYTES,
  RECORD_SKIP,
  recordBytes,
  ringRecordMaxBytes,
  ringViews,
  W_CLOSED,
  W_CONSUMER_ATTACHED,
  W_CONSUMER_SLEEPING,
  W_DATA_BELL,
  W_HEAD,
  W_PRODUCER_WAITING,
  W_SPACE_BELL,
  W_TAIL,
} from "./layout.ts";
import type { RingSideOptions } from "./producer.ts";

/**
 * Called once per record. The view points into the shared ring and is valid only until the
 * handler returns: copy what must outlive it.
 */
export type RecordHandler = (view: Uint8Array) => void;

export class RingConsumer {
  readonly #control: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #words: Uint32Array;
  readonly #capacity: number;
  readonly #mask: number;
  /** Largest payload one record may carry. */
  readonly maxRecordBytes: number;
  readonly #spinChecks: number;
  /** Our head (u32). Only this side writes it. */
  #head: number;
  /** Sequence number the next record must carry (u32, wraps). */
  #seq = 0;
  #draining = false;
  #sleepCount = 0;
  #notifyCount = 0;

  constructor(buffer: SharedArrayBuffer, options: RingSideOptions = {}) {
    const views = ringViews(buffer);
    attachSide(views.control, W_CONSUMER_ATTACHED);
    this.#control = views.control;
    this.#bytes = views.bytes;
    this.#words = views.words;
    this.#capacity = views.capacity;
    this.#mask = views.capacity - 1;
    this.maxRecordBytes = ringRecordMaxBytes(views.capacity);
    this.#spinChecks = options.spinChecks ?? ringSpinChecksDefault;
    this.#head = Atomics.load(this.#control, W_HEAD) >>> 0;
  }

  /** Times this side went to sleep waiting for data. */
  get sleepCount(): number {
    return this.#sleepCount;
  }

  /** Times this side woke the waiting producer (each is a futex call). */
  get notifyCount(): number {
    return this.#notifyCount;
  }

  get closed(): boolean {
    return Atomics.load(this.#control, W_CLOSED) !== 0;
  }

  /** True while the producer waits (or is about to) for space. */
  get producerWaiting(): boolean {
    return Atomics.load(this.#control, W_PRODUCER_WAITING) !== 0;
  }

  /** True when at least one record is published and not yet drained. */
  hasData(): boolean {
    return (Atomics.load(this.#control, W_TAIL) >>> 0) !== this.#head;
  }

  /**
   * Hands each available record to `handler`, oldest first, at most `maxRecords` of them,
   * including records published while draining. Returns how many were handled. If the handler
   * throws, the record it was given counts as consumed and the error propagates.
   */
  drain(handler: RecordHandler, maxRecords = Number.POSITIVE_INFINITY): number {
    assert(!this.#draining, "drain is not re-entered from its handler");
    this.#draining = true;
    const publishEvery = this.#capacity >>> 2;
    let tail = Atomics.load(this.#control, W_TAIL) >>> 0;
    let unpublished = 0;
    let count = 0;
    try {
      while (count < maxRecords) {
        if (this.#head === tail) {
          tail = Atomics.load(this.#control, W_TAIL) >>> 0;
          if (this.#head === tail) break;
        }
        const offset = this.#head & this.#mask;
        const word = offset >>> 2;
        const length = this.#words[word];
        if (length === RECORD_SKIP) {
          const skip = this.#capacity - offset;
          assert(((tail - this.#head) >>> 0) >= skip, "skip marker lies within published data");
          this.#head = (this.#head + skip) >>> 0;
          unpublished += skip;
          continue;
        }
        // Plain ifs: a template message would be built for every record even when the check passes.
        if (length > this.maxRecordBytes) assert(false, `ring record length ${length} within ${this.maxRecordBytes}`);
        if (this.#words[word + 1] !== this.#seq) assert(false, `ring record sequence ${this.#words[word + 1]} is the expected ${this.#seq}`);
        const size = recordBytes(length);
        assert(offset + size <= this.#capacity, "ring record is contiguous");
        assert(((tail - this.#head) >>> 0) >= size, "ring record lies within published data");
        this.#seq = (this.#seq + 1) >>> 0;
        this.#head = (this.#head + size) >>> 0;
        unpublished += size;
        count++;
        const start = offset + RECORD_HEADER_BYTES;
        handler(this.#bytes.subarray(start, start + length));
        if (unpublished >= publishEvery) {
          this.#publishHead();
          unpublished = 0;
        }
      }
    } finally {
      this.#draining = false;
      if (unpublished > 0) this.#publishHead();
    }
    return count;
  }

  /**
   * Resolves true once data is available, false if the ring was closed or `timeoutMs` passed with
   * none. Sleeps with Atomics.waitAsync, so it is safe on the main thread.
   */
  async waitForData(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    if (this.#spinForData()) return true;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const bell = this.#prepareSleep();
      if (this.hasData() || this.closed) return this.#cancelSleep();
      const left = deadline - performance.now();
      if (left <= 0) return this.#cancelSleep();
      this.#sleepCount++;
      const wait = Atomics.waitAsync(this.#control, W_DATA_BELL, bell, left);
      const outcome = wait.async ? await wait.value : wait.value;
      Atomics.store(this.#control, W_CONSUMER_SLEEPING, 0);
      if (this.hasData()) return true;
      if (this.closed || outcome === "timed-out") return false;
    }
  }

  /** Blocks (Atomics.wait: workers only, never the main thread) until data; false on close/timeout. */
  waitForDataSync(timeoutMs: number): boolean {
    if (this.#spinForData()) return true;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const bell = this.#prepareSleep();
      if (this.hasData() || this.closed) return this.#cancelSleep();
      const left = deadline - performance.now();
      if (left <= 0) return this.#cancelSleep();
      this.#sleepCount++;
      const outcome = Atomics.wait(this.#control, W_DATA_BELL, bell, left);
      Atomics.store(this.#control, W_CONSUMER_SLEEPING, 0);
      if (this.hasData()) return true;
      if (this.closed || outcome === "timed-out") return false;
    }
  }

  /**
   * For a Doorbell waiting on several rings: declare this side asleep (producers then ring the
   * shared doorbell) or awake again. Waiting on this ring alone uses waitForData instead.
   */
  setSleeping(sleeping: boolean): void {
    Atomics.store(this.#control, W_CONSUMER_SLEEPING, sleeping ? 1 : 0);
  }

  /** Closes the ring for both sides; pending waits return. */
  close(): void {
    closeRing(this.#control);
  }

  #publishHead(): void {
    Atomics.store(this.#control, W_HEAD, this.#head | 0);
    if (Atomics.load(this.#control, W_PRODUCER_WAITING) !== 0) {
      this.#notifyCount++;
      Atomics.add(this.#control, W_SPACE_BELL, 1);
      Atomics.notify(this.#control, W_SPACE_BELL);
    }
  }

  #spinForData(): boolean {
    for (let i = 0; i <= this.#spinChecks; i++) {
      if (this.hasData()) return true;
    }
    return false;
  }

  #prepareSleep(): number {
    Atomics.store(this.#control, W_CONSUMER_SLEEPING, 1);
    return Atomics.load(this.#control, W_DATA_BELL);
  }

  #cancelSleep(): boolean {
    Atomics.store(this.#control, W_CONSUMER_SLEEPING, 0);
    return this.hasData();
  }
}
