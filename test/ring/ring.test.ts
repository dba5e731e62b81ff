// Ring logic on one thread: wrap-around at every offset with every length, full rings, counter
// overflow, reserve/commit, close, and the invariants the consumer asserts.

import { describe, expect, test } from "bun:test";
import { Rng } from "../../src/engine/rng.ts";
import { RingConsumer } from "../../src/ring/consumer.ts";
import { createRingBuffer, RECORD_HEADER_BYTES, recordBytes, ringRecordMaxBytes, W_HEAD, W_TAIL } from "../../src/ring/layout.ts";
import { createRingPair, attachRingPair } from "../../src/ring/pair.ts";
import { RingClosedError, RingProducer } from "../../src/ring/producer.ts";
import { AssertionError } from "../../src/util/assert.ts";
import { checkRecord, fillRecord, makePool } from "./records.ts";

const pool = makePool(1);

function ring(capacity: number, preset?: number): { producer: RingProducer; consumer: RingConsumer; buffer: SharedArrayBuffer } {
  const buffer = createRingBuffer(capacity);
  if (preset !== undefined) {
    const control = new Int32Array(buffer, 0, 64);
    control[W_HEAD] = preset | 0;
    control[W_TAIL] = preset | 0;
  }
  return { producer: new RingProducer(buffer, { spinChecks: 0 }), consumer: new RingConsumer(buffer, { spinChecks: 0 }), buffer };
}

function record(length: number, seq: number): Uint8Array {
  const r = new Uint8Array(length);
  fillRecord(r, seq, pool);
  return r;
}

/** Drains everything, checking each record against the expected lengths from `seq` on. */
function drainChecked(consumer: RingConsumer, lengths: number[], firstSeq: number): number {
  let seq = firstSeq;
  return consumer.drain((view) => {
    const problem = checkRecord(view, seq, lengths[seq - firstSeq]);
    if (problem !== null) throw new Error(problem);
    seq++;
  });
}

describe("ring on one thread", () => {
  test("every start offset × every length: the record arrives intact, then the ring fills and drains", () => {
    const capacity = 256;
    const max = ringRecordMaxBytes(capacity);
    expect(max).toBe(120);
    let checked = 0;
    for (let offset = 0; offset < capacity; offset += 8) {
      for (let length = 0; length <= max; length++) {
        const { producer, consumer } = ring(capacity);
        let seq = 0;
        // Advance head and tail to `offset` with empty records (one header each).
        for (let at = 0; at < offset; at += RECORD_HEADER_BYTES) {
          expect(producer.tryWrite(record(0, seq++))).toBe(true);
        }
        expect(consumer.drain(() => {})).toBe(offset / RECORD_HEADER_BYTES);
        // Fill with records of `length` until full; every one must come back, in order.
        const lengths: number[] = [];
        while (producer.tryWrite(record(length, seq + lengths.length))) lengths.push(length);
        expect(lengths.length).toBeGreaterThanOrEqual(1);
        expect(lengths.length).toBeLessThanOrEqual(capacity / recordBytes(length));
        expect(producer.fullCount).toBe(1);
        expect(drainChecked(consumer, lengths, seq)).toBe(lengths.length);
        seq += lengths.length;
        // Liveness: once drained, a maximum record always fits, wherever the tail stands.
        expect(producer.hasSpaceFor(max)).toBe(true);
        expect(producer.tryWrite(record(max, seq))).toBe(true);
        expect(drainChecked(consumer, [max], seq)).toBe(1);
        checked++;
      }
    }
    expect(checked).toBe(32 * 121);
  });

  test("positions wrap past 2^32 without losing a record", () => {
    const rng = new Rng(7);
    for (const preset of [-64, -8, -4096, 0x7ffffff8]) {
      const { producer, consumer } = ring(1024, preset);
      let seq = 0;
      for (let round = 0; round < 200; round++) {
        const lengths: number[] = [];
        for (;;) {
          const length = rng.nextInt(producer.maxRecordBytes + 1);
          if (!producer.tryWrite(record(length, seq + lengths.length))) break;
          lengths.push(length);
        }
        expect(drainChecked(consumer, lengths, seq)).toBe(lengths.length);
        seq += lengths.length;
      }
      expect(seq).toBeGreaterThan(200);
    }
  });

  test("reserve fills in place, commit may keep fewer bytes, and nothing shows before commit", () => {
    const { producer, consumer } = ring(256);
    const view = producer.reserve(100);
    expect(view).not.toBeNull();
    view!.set(record(40, 0));
    expect(consumer.hasData()).toBe(false);
    expect(() => producer.reserve(1)).toThrow(AssertionError);
    producer.commit(40);
    expect(drainChecked(consumer, [40], 0)).toBe(1);
    expect(() => producer.commit()).toThrow(AssertionError);
    // A full ring refuses a reservation.
    expect(producer.reserve(120)).not.toBeNull();
    producer.commit();
    expect(producer.reserve(120)).toBeNull();
    expect(producer.hasSpaceFor(0)).toBe(true);
  });

  test("limits are enforced: record size, one producer and one consumer per ring", () => {
    const { producer, buffer } = ring(128);
    expect(() => producer.tryWrite(new Uint8Array(producer.maxRecordBytes + 1))).toThrow(AssertionError);
    expect(() => new RingProducer(buffer)).toThrow("ring already has a producer");
    expect(() => new RingConsumer(buffer)).toThrow("ring already has a consumer");
    expect(() => createRingBuffer(100)).toThrow(AssertionError);
    expect(() => createRingBuffer(32)).toThrow(AssertionError);
  });

  test("drain honours maxRecords and keeps reading records published during the drain", () => {
    const { producer, consumer } = ring(1024);
    for (let i = 0; i < 10; i++) producer.tryWrite(record(8, i));
    expect(consumer.drain(() => {}, 3)).toBe(3);
    let extra = 10;
    const seen: number[] = [];
    const n = consumer.drain((view) => {
      seen.push(new DataView(view.buffer, view.byteOffset).getUint32(0, true));
      if (extra < 15) producer.tryWrite(record(8, extra++));
    });
    expect(n).toBe(12);
    expect(seen).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
  });

  test("a throwing handler consumes its record and the rest stay queued", () => {
    const { producer, consumer } = ring(256);
    for (let i = 0; i < 3; i++) producer.tryWrite(record(8, i));
    expect(() => consumer.drain(() => {
      throw new Error("boom");
    })).toThrow("boom");
    expect(drainChecked(consumer, [8, 8], 1)).toBe(2);
  });

  test("a record whose sequence number is off (lost or duplicated) is an assertion, not data", () => {
    const { producer, consumer, buffer } = ring(256);
    producer.tryWrite(record(8, 0));
    new Uint32Array(buffer, 256, 64)[1] = 5;
    expect(() => consumer.drain(() => {})).toThrow("sequence");
  });

  test("waitForData resolves on data, on timeout (false) and on close (false)", async () => {
    const { producer, consumer } = ring(256);
    expect(await consumer.waitForData(1)).toBe(false);
    const pending = consumer.waitForData();
    expect(producer.consumerSleeping).toBe(true);
    producer.tryWrite(record(0, 0));
    expect(await pending).toBe(true);
    expect(producer.notifyCount).toBe(1);
    expect(producer.consumerSleeping).toBe(false);
    consumer.drain(() => {});
    // Writes while the consumer is awake never notify.
    for (let i = 1; i < 5; i++) producer.tryWrite(record(0, i));
    expect(producer.notifyCount).toBe(1);
    consumer.drain(() => {});
    const closing = consumer.waitForData();
    producer.close();
    expect(await closing).toBe(false);
    expect(consumer.closed).toBe(true);
  });

  test("waitForSpace resolves once the consumer frees room, rejects when closed", async () => {
    const { producer, consumer } = ring(256);
    expect(producer.tryWrite(record(100, 0))).toBe(true);
    expect(producer.tryWrite(record(100, 1))).toBe(true);
    expect(producer.tryWrite(record(100, 2))).toBe(false);
    const waiting = producer.waitForSpace(100);
    expect(consumer.producerWaiting).toBe(true);
    consumer.drain(() => {}, 1);
    await waiting;
    expect(consumer.notifyCount).toBe(1);
    expect(producer.tryWrite(record(100, 2))).toBe(true);
    const stuck = producer.waitForSpace(120);
    consumer.close();
    await expect(stuck).rejects.toBeInstanceOf(RingClosedError);
  });

  test("a ring pair gives each side the opposite ends", () => {
    const pair = createRingPair({ toWorkerBytes: 128, fromWorkerBytes: 256, spinChecks: 0 });
    const worker = attachRingPair(pair.buffers);
    pair.producer.tryWrite(record(10, 0));
    expect(drainChecked(worker.consumer, [10], 0)).toBe(1);
    worker.producer.tryWrite(record(100, 0));
    expect(drainChecked(pair.consumer, [100], 0)).toBe(1);
    expect(worker.producer.maxRecordBytes).toBe(120);
    expect(pair.producer.maxRecordBytes).toBe(56);
  });
});
