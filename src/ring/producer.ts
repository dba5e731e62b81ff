// The writing side of an SPSC ring (layout and wrap-around rule in layout.ts).
//
// Publication: the record (header and payload) is written with plain stores, then the tail is
// published with Atomics.store. JS atomics are sequentially consistent, so a consumer that reads
// the new tail with Atomics.load also sees every byte written before it.
//
// Wake-ups: the producer calls Atomics.notify only when the consumer declared it sleeps
// (W_CONSUMER_SLEEPING), so the hot path is one extra atomic load and no futex call. The
// consumer sets the flag, then re-checks the tail before sleeping; the producer stores the tail,
// then reads the flag. With sequentially consistent atomics at least one of them sees the
// other's store, so a record can never be left behind a sleeping consumer.

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
  W_CONSUMER_SLEEPING,
  W_DATA_BELL,
  W_HEAD,
  W_PRODUCER_ATTACHED,
  W_PRODUCER_WAITING,
  W_SPACE_BELL,
  W_TAIL,
} from "./layout.ts";
import { ringDoorbell } from "./doorbell.ts";

export class RingClosedError extends Error {
  override name = "RingClosedError";
  constructor(side: string) {
    super(`Cannot ${side}: the ring was closed`);
  }
}

export interface RingSideOptions {
  /** Checks of the other side's word before sleeping (0 = sleep at once). */
  readonly spinChecks?: number;
  /**
   * Producer side: a shared wake word (see doorbell.ts) to ring instead of this ring's own bell,
   * for a consumer that sleeps on several rings at once.
   */
  readonly doorbell?: Int32Array;
  /**
   * Producer side: commit() does not wake a sleeping consumer; the owner calls wake() once
   * after a burst of commits (one futex call per burst instead of one per record).
   */
  readonly deferWake?: boolean;
}

export class RingProducer {
  readonly #control: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #words: Uint32Array;
  readonly #capacity: number;
  readonly #mask: number;
  readonly #spinChecks: number;
  /** Largest payload one record may carry. */
  readonly maxRecordBytes: number;
  /** Our tail (u32). Only this side writes it, so the local copy is exact. */
  #tail: number;
  /** The head as last read (u32); it only lags the real head, so free space is underestimated. */
  #head: number;
  /** Sequence number of the next record (u32, wraps); the consumer asserts it to catch loss or duplication. */
  #seq = 0;
  /** Header offset of the reserved record, or -1 when nothing is reserved. */
  #reservedOffset = -1;
  #reservedLength = 0;
  /** Bytes skipped at the end of the data area before the reserved record. */
  #reservedSkip = 0;
  #fullCount = 0;
  #notifyCount = 0;
  readonly #doorbell: Int32Array | null;
  readonly #deferWake: boolean;
  /** Records were committed since the last wake() (deferWake mode). */
  #wakePending = false;

  constructor(buffer: SharedArrayBuffer, options: RingSideOptions = {}) {
    const views = ringViews(buffer);
    attachSide(views.control, W_PRODUCER_ATTACHED);
    this.#control = views.control;
    this.#bytes = views.bytes;
    this.#words = views.words;
    this.#capacity = views.capacity;
    this.#mask = views.capacity - 1;
    this.#spinChecks = options.spinChecks ?? ringSpinChecksDefault;
    this.#doorbell = options.doorbell ?? null;
    this.#deferWake = options.deferWake ?? false;
    this.maxRecordBytes = ringRecordMaxBytes(views.capacity);
    this.#tail = Atomics.load(this.#control, W_TAIL) >>> 0;
    this.#head = Atomics.load(this.#control, W_HEAD) >>> 0;
  }

  /** Times a write found the ring full (backpressure events). */
  get fullCount(): number {
    return this.#fullCount;
  }

  /** Times this side woke the sleeping consumer (each is a futex call). */
  get notifyCount(): number {
    return this.#notifyCount;
  }

  get closed(): boolean {
    return Atomics.load(this.#control, W_CLOSED) !== 0;
  }

  /** True while the consumer sleeps (or is about to): the next publish will wake it. */
  get consumerSleeping(): boolean {
    return Atomics.load(this.#control, W_CONSUMER_SLEEPING) !== 0;
  }

  /** Copies `payload` into the ring as one record; false when the ring is full (nothing written). */
  tryWrite(payload: Uint8Array): boolean {
    const offset = this.#claim(payload.length);
    if (offset < 0) return false;
    this.#bytes.set(payload, offset + RECORD_HEADER_BYTES);
    this.#reservedOffset = offset;
    this.#reservedLength = payload.length;
    this.commit();
    return true;
  }

  /**
   * Reserves room for a record of `length` bytes and returns the view to fill (zero copy), or null
   * when the ring is full. Nothing is visible to the consumer until commit().
   */
  reserve(length: number): Uint8Array | null {
    const offset = this.#claim(length);
    if (offset < 0) return null;
    this.#reservedOffset = offset;
    this.#reservedLength = length;
    const start = offset + RECORD_HEADER_BYTES;
    return this.#bytes.subarray(start, start + length);
  }

  /** Publishes the reserved record, keeping its first `length` bytes (default: all reserved). */
  commit(length = this.#reservedLength): void {
    const offset = this.#reservedOffset;
    assert(offset >= 0, "commit follows reserve");
    assert(length >= 0 && length <= this.#reservedLength, "commit length within the reservation");
    const word = offset >>> 2;
    this.#words[word] = length;
    this.#words[word + 1] = this.#seq;
    this.#seq = (this.#seq + 1) >>> 0;
    this.#tail = (this.#tail + this.#reservedSkip + recordBytes(length)) >>> 0;
    this.#reservedOffset = -1;
    Atomics.store(this.#control, W_TAIL, this.#tail | 0);
    if (this.#deferWake) {
      this.#wakePending = true;
      return;
    }
    this.#wakeIfSleeping();
  }

  /** deferWake mode: wakes the consumer if it sleeps and records arrived since the last call. */
  wake(): void {
    if (!this.#wakePending) return;
    this.#wakePending = false;
    this.#wakeIfSleeping();
  }

  #wakeIfSleeping(): void {
    if (Atomics.load(this.#control, W_CONSUMER_SLEEPING) === 0) return;
    this.#notifyCount++;
    if (this.#doorbell !== null) {
      ringDoorbell(this.#doorbell);
    } else {
      Atomics.add(this.#control, W_DATA_BELL, 1);
      Atomics.notify(this.#control, W_DATA_BELL);
    }
  }

  /** True when a record of `length` bytes fits now. */
  hasSpaceFor(length: number): boolean {
    const need = this.#bytesNeeded(length);
    return this.#free(this.#head) >= need || this.#free(this.#refreshHead()) >= need;
  }

  /**
   * Resolves once a record of `length` bytes fits (sleeps via Atomics.waitAsync; safe on the main
   * thread). Rejects with RingClosedError if the ring is closed meanwhile.
   */
  async waitForSpace(length: number): Promise<void> {
    this.#checkLength(length);
    if (this.#spinForSpace(length)) return;
    for (;;) {
      const bell = this.#prepareSleep();
      if (this.#readyOrClosed(length)) return;
      const wait = Atomics.waitAsync(this.#control, W_SPACE_BELL, bell);
      if (wait.async) await wait.value;
      Atomics.store(this.#control, W_PRODUCER_WAITING, 0);
      if (this.#readyOrClosed(length)) return;
    }
  }

  /** Blocks (Atomics.wait: workers only) until a record of `length` fits; false on timeout. */
  waitForSpaceSync(length: number, timeoutMs: number): boolean {
    this.#checkLength(length);
    if (this.#spinForSpace(length)) return true;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const bell = this.#prepareSleep();
      if (this.#readyOrClosed(length)) return true;
      const left = deadline - performance.now();
      const outcome = left > 0 ? Atomics.wait(this.#control, W_SPACE_BELL, bell, left) : "timed-out";
      Atomics.store(this.#control, W_PRODUCER_WAITING, 0);
      if (this.#readyOrClosed(length)) return true;
      if (outcome === "timed-out") return false;
    }
  }

  /** Closes the ring for both sides; pending waits return (waitForSpace rejects). */
  close(): void {
    closeRing(this.#control);
  }

  /** Claims room for a record; returns its header offset or -1 when full. Writes the skip marker. */
  #claim(length: number): number {
    assert(this.#reservedOffset < 0, "one reservation at a time");
    this.#checkLength(length);
    const need = this.#bytesNeeded(length);
    if (this.#free(this.#head) < need && this.#free(this.#refreshHead()) < need) {
      this.#fullCount++;
      return -1;
    }
    let offset = this.#tail & this.#mask;
    this.#reservedSkip = 0;
    if (need !== recordBytes(length)) {
      // Beyond the tail, so the consumer cannot see it before the next publish.
      this.#words[offset >>> 2] = RECORD_SKIP;
      this.#reservedSkip = this.#capacity - offset;
      offset = 0;
    }
    return offset;
  }

  #checkLength(length: number): void {
    assert(Number.isInteger(length) && length >= 0, "record length is a non-negative integer");
    if (length > this.maxRecordBytes) assert(false, `record of ${length} bytes exceeds the ring's ${this.maxRecordBytes}`);
  }

  /** Bytes a record of `length` takes from the current tail, including a skip to the start. */
  #bytesNeeded(length: number): number {
    const size = recordBytes(length);
    const toEnd = this.#capacity - (this.#tail & this.#mask);
    return size <= toEnd ? size : toEnd + size;
  }

  #free(head: number): number {
    return this.#capacity - ((this.#tail - head) >>> 0);
  }

  #refreshHead(): number {
    this.#head = Atomics.load(this.#control, W_HEAD) >>> 0;
    return this.#head;
  }

  #spinForSpace(length: number): boolean {
    for (let i = 0; i <= this.#spinChecks; i++) {
      if (this.hasSpaceFor(length)) return true;
    }
    return false;
  }

  /** Declares that we are about to sleep and returns the bell value to sleep on. */
  #prepareSleep(): number {
    Atomics.store(this.#control, W_PRODUCER_WAITING, 1);
    return Atomics.load(this.#control, W_SPACE_BELL);
  }

  /** Re-checks after declaring the wait; clears the declaration when we will not sleep. */
  #readyOrClosed(length: number): boolean {
    if (this.hasSpaceFor(length)) {
      Atomics.store(this.#control, W_PRODUCER_WAITING, 0);
      return true;
    }
    if (this.closed) {
      Atomics.store(this.#control, W_PRODUCER_WAITING, 0);
      throw new RingClosedError("wait for space");
    }
    return false;
  }
}
