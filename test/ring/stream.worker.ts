// The other thread of the ring stress tests. It receives one StreamJob, runs it with blocking
// waits (Atomics.wait is allowed here), posts a StreamResult and stays until terminated.

import { Rng } from "../../src/engine/rng.ts";
import { closeRing } from "../../src/ring/layout.ts";
import { attachRingPair, type RingPairBuffers } from "../../src/ring/pair.ts";
import { checkRecord, fillRecord, makePool, nextLength } from "./records.ts";

declare const self: Worker;

export type StreamJob =
  /** Consume `count` records, checking each; pause now and then so the producer meets a full ring. */
  | { readonly mode: "consume"; readonly buffers: RingPairBuffers; readonly seed: number; readonly count: number; readonly pauseEvery: number }
  /** Produce `count` records on the reverse ring. */
  | { readonly mode: "produce"; readonly buffers: RingPairBuffers; readonly seed: number; readonly count: number }
  /** Write every record received back on the reverse ring, until `count` were echoed. */
  | { readonly mode: "echo"; readonly buffers: RingPairBuffers; readonly count: number; readonly spinChecks: number };

export interface StreamResult {
  readonly count: number;
  /** CRC32 chained over every payload, in order. */
  readonly chain: number;
  readonly problem: string | null;
  readonly sleeps: number;
  readonly fulls: number;
}

const waitMs = 30_000;

self.onmessage = (event: MessageEvent<StreamJob>) => {
  const job = event.data;
  const result = job.mode === "consume" ? consume(job) : job.mode === "produce" ? produce(job) : echo(job);
  // On a problem, close the rings so the main thread's waits end instead of hanging.
  if (result.problem !== null) {
    closeRings(job.buffers);
  }
  self.postMessage(result);
};

function closeRings(buffers: RingPairBuffers): void {
  const control = (b: SharedArrayBuffer): Int32Array => new Int32Array(b, 0, 64);
  closeRing(control(buffers.toWorker));
  closeRing(control(buffers.fromWorker));
}

function consume(job: Extract<StreamJob, { mode: "consume" }>): StreamResult {
  const { consumer } = attachRingPair(job.buffers);
  const maxRecord = consumer.maxRecordBytes;
  const rng = new Rng(job.seed);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let seq = 0;
  let chain = 0;
  let problem: string | null = null;
  while (seq < job.count && problem === null) {
    if (!consumer.waitForDataSync(waitMs)) return { count: seq, chain, problem: `no data for ${waitMs} ms after ${seq} records`, sleeps: consumer.sleepCount, fulls: 0 };
    consumer.drain((view) => {
      problem ??= checkRecord(view, seq, nextLength(rng, maxRecord));
      chain = Bun.hash.crc32(view, chain);
      seq++;
    }, job.count - seq);
    // A slow consumer now and then, so the producer finds the ring full and has to wait.
    if (job.pauseEvery > 0 && seq % job.pauseEvery < 64) Atomics.wait(pause, 0, 0, 1);
  }
  return { count: seq, chain, problem, sleeps: consumer.sleepCount, fulls: 0 };
}

function produce(job: Extract<StreamJob, { mode: "produce" }>): StreamResult {
  const { producer } = attachRingPair(job.buffers);
  const rng = new Rng(job.seed);
  const pool = makePool(job.seed);
  let chain = 0;
  for (let seq = 0; seq < job.count; seq++) {
    const length = nextLength(rng, producer.maxRecordBytes);
    let view = producer.reserve(length);
    while (view === null) {
      if (!producer.waitForSpaceSync(length, waitMs)) return { count: seq, chain, problem: `no space for ${waitMs} ms`, sleeps: 0, fulls: producer.fullCount };
      view = producer.reserve(length);
    }
    fillRecord(view, seq, pool);
    chain = Bun.hash.crc32(view, chain);
    producer.commit();
  }
  return { count: job.count, chain, problem: null, sleeps: 0, fulls: producer.fullCount };
}

function echo(job: Extract<StreamJob, { mode: "echo" }>): StreamResult {
  const { producer, consumer } = attachRingPair(job.buffers, { spinChecks: job.spinChecks });
  let count = 0;
  let chain = 0;
  let problem: string | null = null;
  while (count < job.count && problem === null) {
    if (!consumer.waitForDataSync(waitMs)) {
      problem = `no data for ${waitMs} ms after ${count} records`;
      break;
    }
    consumer.drain((view) => {
      while (!producer.tryWrite(view)) {
        if (!producer.waitForSpaceSync(view.length, waitMs)) {
          problem = `no space for ${waitMs} ms`;
          return;
        }
      }
      chain = Bun.hash.crc32(view, chain);
      count++;
    });
  }
  return { count, chain, problem, sleeps: consumer.sleepCount, fulls: producer.fullCount };
}
