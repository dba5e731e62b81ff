// The worker side of bench/ring.ts: a sink that drains records and reports when it has seen
// `count`, or an echo that writes every record back (one round trip per record).

import { attachRingPair, type RingPairBuffers } from "../src/ring/pair.ts";

declare const self: Worker;

export interface RingBenchJob {
  readonly mode: "sink" | "echo";
  readonly buffers: RingPairBuffers;
  readonly count: number;
  readonly spinChecks: number;
}

self.onmessage = (event: MessageEvent<RingBenchJob>) => {
  const job = event.data;
  const { producer, consumer } = attachRingPair(job.buffers, { spinChecks: job.spinChecks });
  let seen = 0;
  let bytes = 0;
  while (seen < job.count) {
    if (!consumer.waitForDataSync(60_000)) break;
    if (job.mode === "sink") {
      seen += consumer.drain((view) => {
        bytes += view.length;
      });
    } else {
      seen += consumer.drain((view) => {
        while (!producer.tryWrite(view)) producer.waitForSpaceSync(view.length, 60_000);
      });
    }
  }
  self.postMessage({ seen, bytes, sleeps: consumer.sleepCount });
};
