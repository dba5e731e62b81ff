// A consumer sleeping on several rings through one doorbell wakes for data on any of them, and
// never misses a record published while it was going to sleep.

import { describe, expect, test } from "bun:test";
import { createDoorbell, Doorbell } from "../../src/ring/doorbell.ts";
import { createRingBuffer } from "../../src/ring/layout.ts";
import { RingConsumer } from "../../src/ring/consumer.ts";
import { RingProducer } from "../../src/ring/producer.ts";

function pair(bell: Int32Array): { producer: RingProducer; consumer: RingConsumer } {
  const buffer = createRingBuffer(4096);
  return { producer: new RingProducer(buffer, { doorbell: bell, spinChecks: 0 }), consumer: new RingConsumer(buffer, { spinChecks: 0 }) };
}

describe("Doorbell", () => {
  test("wakes for whichever ring gets data", async () => {
    const bell = createDoorbell();
    const a = pair(bell);
    const b = pair(bell);
    const door = new Doorbell(bell, [a.consumer, b.consumer]);
    const got: string[] = [];
    for (let round = 0; round < 200; round++) {
      const which = round % 3 === 0 ? a : b;
      setTimeout(() => which.producer.tryWrite(new Uint8Array([round & 255])), round % 2);
      expect(await door.wait(10_000)).toBe(true);
      for (const r of [a, b]) r.consumer.drain((v) => got.push(`${r === a ? "a" : "b"}${v[0]}`));
    }
    expect(got.length).toBe(200);
    expect(door.sleepCount).toBeGreaterThan(0);
  });

  test("times out with no data and clears the sleeping flags", async () => {
    const bell = createDoorbell();
    const a = pair(bell);
    const door = new Doorbell(bell, [a.consumer]);
    expect(await door.wait(5)).toBe(false);
    // Awake again: a write must not ring the doorbell.
    const before = Atomics.load(bell, 0);
    a.producer.tryWrite(new Uint8Array([1]));
    expect(Atomics.load(bell, 0)).toBe(before);
    expect(await door.wait(5)).toBe(true);
  });
});
