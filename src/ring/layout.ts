// The memory layout of one single-producer/single-consumer ring in a SharedArrayBuffer, shared by
// RingProducer and RingConsumer (they usually live on different threads).
//
// [0, 256)     control block: Int32 words, each side's hot words on its own 64-byte line so the
//              two threads do not fight over one cache line.
// [256, 256+C) data: C bytes (a power of two), records back to back, each 8-byte aligned:
//              [u32 payload length][u32 sequence number][payload][pad to 8].
//
// Positions (head, tail) are free-running unsigned 32-bit byte counters; `pos & (C - 1)` is the
// offset. used = tail - head (mod 2^32) ≤ C.
//
// Wrap-around: a record is always contiguous, so the consumer hands out one zero-copy view and
// `reserve()` can return one view to fill. When a record does not fit before the end of the data
// area, the producer writes a skip marker (length = RECORD_SKIP) at the current offset and the
// record starts at offset 0; the consumer jumps to the start when it reads the marker. The price
// is up to one record's worth of unused bytes at the end, which is why a record may be at most
// half the ring: then a record always fits once the ring has drained (skip + record ≤ C).
// Splitting records instead would force the consumer to copy every wrapped record to reassemble
// it, on the hot path.

import { ringCapacityMaxBytes, ringCapacityMinBytes } from "../constants.ts";
import { assert } from "../util/assert.ts";

export const CONTROL_BYTES = 256;
export const RECORD_HEADER_BYTES = 8;
export const RECORD_ALIGN_BYTES = 8;
/** Length value of the skip marker: the rest of the data area up to its end is unused. */
export const RECORD_SKIP = 0xffffffff;
const MAGIC = 0x52494e47; // "RING"

// Int32 indices of the control words.
/** Line 0: written once when the ring is created or attached. */
export const W_MAGIC = 0;
export const W_CAPACITY = 1;
export const W_PRODUCER_ATTACHED = 2;
export const W_CONSUMER_ATTACHED = 3;
/** 1 once either side called close(); never goes back to 0. */
export const W_CLOSED = 4;
/** Line 1 (producer writes): the tail position, published after the record is written. */
export const W_TAIL = 16;
/** 1 while the producer is about to sleep or sleeps waiting for space. */
export const W_PRODUCER_WAITING = 17;
/** Bumped by the consumer (only when the producer waits) or by close(); the producer sleeps on it. */
export const W_SPACE_BELL = 18;
/** Line 2 (consumer writes): the head position, published after records were consumed. */
export const W_HEAD = 32;
/** 1 while the consumer is about to sleep or sleeps waiting for data. */
export const W_CONSUMER_SLEEPING = 33;
/** Bumped by the producer (only when the consumer sleeps) or by close(); the consumer sleeps on it. */
export const W_DATA_BELL = 34;

/** Bytes a record of `payloadBytes` occupies in the data area (header, payload, alignment). */
export function recordBytes(payloadBytes: number): number {
  return (RECORD_HEADER_BYTES + payloadBytes + RECORD_ALIGN_BYTES - 1) & ~(RECORD_ALIGN_BYTES - 1);
}

/** Largest payload a ring of `capacityBytes` carries (see the wrap-around note above). */
export function ringRecordMaxBytes(capacityBytes: number): number {
  return capacityBytes / 2 - RECORD_HEADER_BYTES;
}

/** Allocates a ring with a data area of `capacityBytes` (a power of two). */
export function createRingBuffer(capacityBytes: number): SharedArrayBuffer {
  assert(Number.isInteger(capacityBytes), "ring capacity is an integer");
  assert(capacityBytes >= ringCapacityMinBytes, `ring capacity ${capacityBytes} below ${ringCapacityMinBytes}`);
  assert(capacityBytes <= ringCapacityMaxBytes, `ring capacity ${capacityBytes} above ${ringCapacityMaxBytes}`);
  assert((capacityBytes & (capacityBytes - 1)) === 0, `ring capacity ${capacityBytes} is a power of two`);
  const buffer = new SharedArrayBuffer(CONTROL_BYTES + capacityBytes);
  const control = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
  control[W_CAPACITY] = capacityBytes;
  Atomics.store(control, W_MAGIC, MAGIC);
  return buffer;
}

/** The views both sides need over a ring buffer, after checking it is one. */
export interface RingViews {
  readonly control: Int32Array;
  /** The data area as bytes, for payloads. */
  readonly bytes: Uint8Array;
  /** The data area as u32 words, for record headers (offsets are 8-aligned). */
  readonly words: Uint32Array;
  readonly capacity: number;
}

export function ringViews(buffer: SharedArrayBuffer): RingViews {
  assert(buffer.byteLength > CONTROL_BYTES, "ring buffer holds a control block");
  const control = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
  assert(Atomics.load(control, W_MAGIC) === MAGIC, "ring buffer was made by createRingBuffer");
  const capacity = control[W_CAPACITY];
  assert(buffer.byteLength === CONTROL_BYTES + capacity, "ring buffer size matches its capacity");
  return {
    control,
    bytes: new Uint8Array(buffer, CONTROL_BYTES, capacity),
    words: new Uint32Array(buffer, CONTROL_BYTES, capacity / 4),
    capacity,
  };
}

/** Claims one side of the ring; a second producer (or consumer) would break SPSC, so it fails. */
export function attachSide(control: Int32Array, word: typeof W_PRODUCER_ATTACHED | typeof W_CONSUMER_ATTACHED): void {
  const side = word === W_PRODUCER_ATTACHED ? "producer" : "consumer";
  assert(Atomics.compareExchange(control, word, 0, 1) === 0, `ring already has a ${side}`);
}

/** Marks the ring closed and wakes both sides so pending waits return. */
export function closeRing(control: Int32Array): void {
  Atomics.store(control, W_CLOSED, 1);
  Atomics.add(control, W_DATA_BELL, 1);
  Atomics.notify(control, W_DATA_BELL);
  Atomics.add(control, W_SPACE_BELL, 1);
  Atomics.notify(control, W_SPACE_BELL);
}
