// Rings between real threads under stress: millions of checksummed records of random sizes
// (0 to the maximum), small rings so wrap-around and full rings happen constantly, both
// directions at once, and a sleeping consumer woken by the producer. The seed is printed on
// failure; SEED=<n> replays the same stream (thread timing still varies).

import { afterAll, describe, expect, test } from "bun:test";
import { Rng } from "../../src/engine/rng.ts";
import { createRingPair, type RingEnds } from "../../src/ring/pair.ts";
import { testSeed } from "../helpers/diff.ts";
import { waitFor } from "../helpers/wait.ts";
import { checkRecord, fillRecord, makePool, nextLength } from "./records.ts";
import type { StreamJob, StreamResult } from "./stream.worker.ts";

const workers: Worker[] = [];

afterAll(() => {
  for (const w of workers) w.terminate();
});

/** Starts the stream worker on `job`; the promise rejects if the worker dies before answering. */
function runJob(job: StreamJob): Promise<StreamResult> {
  const worker = new Worker(new URL("./stream.worker.ts", import.meta.url));
  workers.push(worker);
  return new Promise<StreamResult>((resolve, reject) => {
    let done = false;
    worker.addEventListener("message", (event: MessageEvent<StreamResult>) => {
      done = true;
      resolve(event.data);
    });
    worker.addEventListener("error", (event) => reject(new Error(`stream worker failed: ${event.message}`)));
    worker.addEventListener("close", (event) => {
      if (!done) reject(new Error(`stream worker exited (code ${(event as CloseEvent).code}) before answering`));
    });
    worker.postMessage(job);
  });
}

/** Writes records 0..count-1 of the seeded stream, awaiting space whenever the ring is full. */
async function produce(ends: RingEnds, seed: number, count: number): Promise<number> {
  const { producer } = ends;
  const rng = new Rng(seed);
  const pool = makePool(seed);
  const scratch = new Uint8Array(producer.maxRecordBytes);
  let chain = 0;
  for (let seq = 0; seq < count; seq++) {
    const length = nextLength(rng, producer.maxRecordBytes);
    if (seq % 2 === 0) {
      // Zero-copy path: fill the ring in place.
      let view = producer.reserve(length);
      while (view === null) {
        await producer.waitForSpace(length);
        view = producer.reserve(length);
      }
      fillRecord(view, seq, pool);
      chain = Bun.hash.crc32(view, chain);
      producer.commit();
    } else {
      const record = scratch.subarray(0, length);
      fillRecord(record, seq, pool);
      chain = Bun.hash.crc32(record, chain);
      while (!producer.tryWrite(record)) await producer.waitForSpace(length);
    }
  }
  return chain;
}

/** Reads `count` records of the seeded stream, checking each; returns the chained CRC. */
async function consume(ends: RingEnds, seed: number, count: number): Promise<number> {
  const { consumer } = ends;
  const rng = new Rng(seed);
  let seq = 0;
  let chain = 0;
  let problem: string | null = null;
  while (seq < count && problem === null) {
    if (!(await consumer.waitForData(30_000))) {
      throw new Error(consumer.closed ? `ring closed after ${seq} records` : `no data for 30 s after ${seq} records`);
    }
    consumer.drain((view) => {
      problem ??= checkRecord(view, seq, nextLength(rng, consumer.maxRecordBytes));
      chain = Bun.hash.crc32(view, chain);
      seq++;
    }, count - seq);
  }
  if (problem !== null) {
    consumer.close(); // so the other side's waits end
    throw new Error(problem);
  }
  return chain;
}

describe("rings between threads", () => {
  const seed = testSeed();

  test(`main → worker: 2M random-size records through a 64 KiB ring, full ring waits (seed ${seed})`, async () => {
    const count = 2_000_000;
    const ends = createRingPair({ toWorkerBytes: 64 * 1024, fromWorkerBytes: 64 });
    const result = runJob({ mode: "consume", buffers: ends.buffers, seed, count, pauseEvery: 250_000 });
    const chain = await produce(ends, seed, count).catch((e: unknown) => e);
    const got = await result;
    expect(got.problem).toBeNull();
    expect(got.count).toBe(count);
    expect(chain).toBe(got.chain);
    // The paused consumer made the producer meet a full ring and wait; nothing was lost.
    expect(ends.producer.fullCount).toBeGreaterThan(0);
  }, 60_000);

  test(`worker → main: 1M records, the main thread sleeps with waitAsync (seed ${seed})`, async () => {
    const count = 1_000_000;
    const ends = createRingPair({ toWorkerBytes: 64, fromWorkerBytes: 32 * 1024 });
    const result = runJob({ mode: "produce", buffers: ends.buffers, seed, count });
    const chain = await consume(ends, seed, count).catch((e: unknown) => e);
    const got = await result;
    expect(got.problem).toBeNull();
    expect(chain).toBe(got.chain);
  }, 60_000);

  test(`both directions at once: 500k records echoed through 16 KiB rings (seed ${seed})`, async () => {
    const count = 500_000;
    const ends = createRingPair({ toWorkerBytes: 16 * 1024, fromWorkerBytes: 16 * 1024 });
    const result = runJob({ mode: "echo", buffers: ends.buffers, count, spinChecks: 64 });
    const [sent, echoed] = await Promise.all([produce(ends, seed, count).catch((e: unknown) => e), consume(ends, seed, count).catch((e: unknown) => e)]);
    const got = await result;
    expect(got.problem).toBeNull();
    expect(echoed).toBe(sent);
    expect(sent).toBe(got.chain);
  }, 60_000);

  test("a consumer asleep in Atomics.wait is woken by each record", async () => {
    const rounds = 50;
    const ends = createRingPair({ toWorkerBytes: 1024, fromWorkerBytes: 1024, spinChecks: 0 });
    const result = runJob({ mode: "echo", buffers: ends.buffers, count: rounds, spinChecks: 0 });
    const pool = makePool(3);
    for (let seq = 0; seq < rounds; seq++) {
      await waitFor("the worker to sleep", () => ends.producer.consumerSleeping, 10_000, 1);
      const record = new Uint8Array(16 + seq);
      fillRecord(record, seq, pool);
      expect(ends.producer.tryWrite(record)).toBe(true);
      expect(await ends.consumer.waitForData(10_000)).toBe(true);
      expect(ends.consumer.drain((view) => expect(checkRecord(view, seq, 16 + seq)).toBeNull())).toBe(1);
    }
    const got = await result;
    expect(got.count).toBe(rounds);
    expect(got.sleeps).toBeGreaterThanOrEqual(rounds);
    expect(ends.producer.notifyCount).toBe(rounds);
  }, 30_000);
});
