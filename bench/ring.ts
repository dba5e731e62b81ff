// `bun bench/ring.ts`: SPSC ring figures between the main thread and a worker. Prints, never
// asserts. One-way throughput at 64 B and 1 KiB, round-trip latency one record at a time (with
// and without a spin before sleeping), and the CPU an idle pair of waiting threads uses.

import { ringCommandBytes, ringSpinChecksDefault } from "../src/constants.ts";
import { createRingPair, type RingEnds } from "../src/ring/pair.ts";
import type { RingBenchJob } from "./ring.worker.ts";

interface Done {
  readonly seen: number;
  readonly bytes: number;
  readonly sleeps: number;
}

function startWorker(job: RingBenchJob): { worker: Worker; done: Promise<Done> } {
  const worker = new Worker(new URL("./ring.worker.ts", import.meta.url));
  const done = new Promise<Done>((resolve, reject) => {
    worker.addEventListener("message", (e: MessageEvent<Done>) => resolve(e.data));
    worker.addEventListener("error", (e) => reject(new Error(`bench worker failed: ${e.message}`)));
    worker.addEventListener("close", () => reject(new Error("bench worker exited early")));
  });
  worker.postMessage(job);
  return { worker, done };
}

async function throughput(size: number, count: number): Promise<void> {
  const ends = createRingPair({ toWorkerBytes: ringCommandBytes, fromWorkerBytes: 64 });
  const { worker, done } = startWorker({ mode: "sink", buffers: ends.buffers, count, spinChecks: ringSpinChecksDefault });
  const payload = new Uint8Array(size).fill(7);
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    while (!ends.producer.tryWrite(payload)) await ends.producer.waitForSpace(size);
  }
  const got = await done;
  const seconds = (performance.now() - start) / 1000;
  worker.terminate();
  const rate = got.seen / seconds;
  console.log(
    `| one-way ${String(size).padStart(4)} B | ${(rate / 1e6).toFixed(2)}M records/s | ${((rate * size) / 1e9).toFixed(2)} GB/s | ring full ${ends.producer.fullCount}× | consumer slept ${got.sleeps}× |`,
  );
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function roundTrip(label: string, spinChecks: number, count: number): Promise<void> {
  const ends: RingEnds & { buffers: RingBenchJob["buffers"] } = createRingPair({ toWorkerBytes: 64 * 1024, fromWorkerBytes: 64 * 1024, spinChecks });
  const { worker, done } = startWorker({ mode: "echo", buffers: ends.buffers, count, spinChecks });
  const payload = new Uint8Array(64);
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    ends.producer.tryWrite(payload);
    while (ends.consumer.drain(() => {}) === 0) await ends.consumer.waitForData();
    samples.push((performance.now() - t0) * 1000);
  }
  await done;
  worker.terminate();
  samples.sort((a, b) => a - b);
  console.log(
    `| round trip 64 B, ${label} | p50 ${percentile(samples, 0.5).toFixed(1)} µs | p99 ${percentile(samples, 0.99).toFixed(1)} µs | ${(count / (samples.reduce((a, b) => a + b, 0) / 1e6)).toFixed(0)} trips/s |`,
  );
}

async function idleCpu(ms: number): Promise<void> {
  const ends = createRingPair({ toWorkerBytes: 1024, fromWorkerBytes: 1024 });
  const { worker } = startWorker({ mode: "echo", buffers: ends.buffers, count: 1, spinChecks: ringSpinChecksDefault });
  while (!ends.producer.consumerSleeping) await Bun.sleep(10);
  await Bun.sleep(100); // let the worker's start-up work finish
  const before = process.cpuUsage();
  const wait = ends.consumer.waitForData(ms);
  await Bun.sleep(ms);
  await wait;
  const used = process.cpuUsage(before);
  worker.terminate();
  console.log(`| idle: both sides asleep ${ms} ms | CPU ${(((used.user + used.system) / 1000 / ms) * 100).toFixed(2)}% of one core |`);
}

const quick = process.argv.includes("--quick");
console.log(`ring bench (Bun ${Bun.version}, ${navigator.hardwareConcurrency} cores)`);
await throughput(64, quick ? 2_000_000 : 20_000_000);
await throughput(1024, quick ? 500_000 : 4_000_000);
await roundTrip("sleep at once (spin 0)", 0, quick ? 2_000 : 20_000);
await roundTrip("spin 256 checks", 256, quick ? 2_000 : 20_000);
await roundTrip(`spin ${ringSpinChecksDefault} checks (default)`, ringSpinChecksDefault, quick ? 2_000 : 20_000);
await idleCpu(1000);
process.exit(0);
