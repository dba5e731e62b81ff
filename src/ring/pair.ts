// Two rings between a thread and a worker, one per direction. The creating thread allocates both
// SharedArrayBuffers once and posts `buffers` to the worker in a single postMessage at start;
// the worker attaches the opposite ends. Nothing is posted per record afterwards.

import { createRingBuffer } from "./layout.ts";
import { RingConsumer } from "./consumer.ts";
import { RingProducer, type RingSideOptions } from "./producer.ts";

/** What the worker receives (structured-clone safe: SharedArrayBuffers are shared, not copied). */
export interface RingPairBuffers {
  /** Creator → worker. */
  readonly toWorker: SharedArrayBuffer;
  /** Worker → creator. */
  readonly fromWorker: SharedArrayBuffer;
}

/** One thread's ends of a ring pair. */
export interface RingEnds {
  readonly producer: RingProducer;
  readonly consumer: RingConsumer;
}

export interface RingPairOptions extends RingSideOptions {
  readonly toWorkerBytes: number;
  readonly fromWorkerBytes: number;
}

/** Allocates both rings; returns the creator's ends and the buffers to post to the worker. */
export function createRingPair(options: RingPairOptions): RingEnds & { readonly buffers: RingPairBuffers } {
  const buffers: RingPairBuffers = {
    toWorker: createRingBuffer(options.toWorkerBytes),
    fromWorker: createRingBuffer(options.fromWorkerBytes),
  };
  return {
    buffers,
    producer: new RingProducer(buffers.toWorker, options),
    consumer: new RingConsumer(buffers.fromWorker, options),
  };
}

/** The worker's ends of a pair made by createRingPair. */
export function attachRingPair(buffers: RingPairBuffers, options: RingSideOptions = {}): RingEnds {
  return {
    producer: new RingProducer(buffers.fromWorker, options),
    consumer: new RingConsumer(buffers.toWorker, options),
  };
}
