// `bun bench/snapshot-pause.ts [--keys N]`: how long taking a snapshot stops the main thread.
// Builds N keys (1M by default: mostly short strings, some with a TTL, and hashes, lists,
// sets (intsets and hash tables) and sorted sets of ~10 elements) in the engine, then measures:
//   sync   encodeNodeSnapshot: the whole keyspace in one pause;
//   step   SnapshotWriter driven slice by slice, a batch of random writes applied between
//          slices (the copy-on-write cost lands on those writes, so their longest is shown too);
//   run    SnapshotWriter.run() beside a write loop on setImmediate: the longest gap between
//          two iterations of that loop is what a client would have waited;
//   idle   the same write loop alone for as long, for comparison (GC pauses happen anyway).
// and loads the snapshot once (a follower's pause, not made incremental here).
// Main-thread CPU time is shown beside the longest pauses: a pause much longer than its CPU time
// was the OS running something else (this machine's 2 cores are shared). Most of the rest is
// garbage collection that Bun's GC timer starts from the event loop; BUN_GC_TIMER_DISABLE=1
// shows the figures without it.
// Benchmarks measure; they never fail on a figure.

import { commandTable } from "../src/commands/index.ts";
import { goesThroughLog } from "../src/commands/types.ts";
import { Engine } from "../src/engine/engine.ts";
import { Rng } from "../src/engine/rng.ts";
import { defaultEngineSettings } from "../src/engine/settings.ts";
import { concatBytes } from "../src/util/bytes.ts";
import { Members } from "../src/node/members.ts";
import { decodeNodeSnapshot, encodeNodeSnapshot } from "../src/node/snapshot-codec.ts";
import { SnapshotWriter } from "../src/node/snapshot-writer.ts";
import { Reply } from "../src/resp/reply.ts";

const keysArg = process.argv.indexOf("--keys");
const keyCount = keysArg > 0 ? Number(process.argv[keysArg + 1]) : 1_000_000;
const writesPerSlice = 200;

const engine = new Engine(defaultEngineSettings());
const reply = new Reply();
const rng = new Rng(42);
let seed = 1;
let now = 1_800_000_000_000;

function call(argv: string[]): void {
  const spec = commandTable.lookup(argv[0]);
  if (spec?.run === undefined) throw new Error(`unknown command ${argv[0]}`);
  if (goesThroughLog(spec)) engine.apply({ spec, argv }, now, seed++, reply);
  else engine.read({ spec, argv }, now, seed++, reply);
  reply.take();
}

function word(n: number): string {
  let s = "";
  while (s.length < n) s += rng.nextU32().toString(36);
  return s.slice(0, n);
}

function build(): void {
  const ten = (f: (j: number) => string[]): string[] => Array.from({ length: 10 }, (_, j) => f(j)).flat();
  for (let i = 0; i < keyCount; i++) {
    const key = `key:${i}`;
    const r = rng.nextInt(100);
    if (r < 90) {
      call(["SET", key, word(16 + rng.nextInt(48))]);
      if (r < 10) call(["PEXPIRE", key, String(3_600_000 + rng.nextInt(3_600_000))]);
    } else if (r < 92) call(["HSET", key, ...ten((j) => [`field${j}`, word(12)])]);
    else if (r < 94) call(["RPUSH", key, ...ten(() => [word(10)])]);
    else if (r < 96) call(["SADD", key, ...ten(() => [String(rng.nextInt(100_000))])]);
    else if (r < 98) call(["SADD", key, ...ten(() => [word(8)])]);
    else call(["ZADD", key, ...ten(() => [String(rng.nextInt(1000)), word(8)])]);
  }
}

/** A write to a random existing key (or a new one), of the key's kind. */
function randomWrite(): void {
  now += 1;
  const i = rng.nextInt(keyCount + keyCount / 10);
  const key = `key:${i}`;
  switch (rng.nextInt(6)) {
    case 0:
      call(["DEL", key]);
      break;
    case 1:
      call(["HSET", `h:${i}`, "f", word(8)]);
      break;
    case 2:
      call(["SADD", key, word(6)]); // WRONGTYPE on other kinds: a lookup all the same
      break;
    default:
      call(["SET", key, word(32)]);
  }
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

const ms = (x: number): string => x.toFixed(2).padStart(9);

const members = new Members();
members.setConf({ voters: [1, 2, 3], learners: [], removed: [] });

let t = performance.now();
build();
console.log(`built ${engine.db.size} keys in ${((performance.now() - t) / 1000).toFixed(1)} s`);
Bun.gc(true);

// (a) synchronous encode: one pause for everything.
t = performance.now();
const syncBytes = encodeNodeSnapshot(engine, members);
const syncMs = performance.now() - t;
Bun.gc(true);

// (b) writer driven by step(), writes applied between slices.
const slices: number[] = [];
/** Main-thread CPU time per slice: a slice much longer than its CPU time was preempted. */
const sliceCpu: number[] = [];
let writeMaxMs = 0;
let writes = 0;
let writer = new SnapshotWriter(engine, members);
t = performance.now();
for (;;) {
  const c0 = process.threadCpuUsage();
  const s0 = performance.now();
  const done = writer.step();
  slices.push(performance.now() - s0);
  const c = process.threadCpuUsage(c0);
  sliceCpu.push((c.user + c.system) / 1000);
  if (done) break;
  for (let i = 0; i < writesPerSlice; i++) {
    const w0 = performance.now();
    randomWrite();
    writeMaxMs = Math.max(writeMaxMs, performance.now() - w0);
    writes++;
  }
}
const stepTotalMs = performance.now() - t;
const stepStats = writer.stats;
const stepBytes = writer.bytes;
let chunks: Uint8Array[] | null = writer.result();
Bun.gc(true);

// Load it once: what a follower pays (and a check that the snapshot holds every key at I).
t = performance.now();
const loaded = new Engine(defaultEngineSettings());
decodeNodeSnapshot(concatBytes(chunks), loaded);
const loadMs = performance.now() - t;
if (loaded.db.size !== stepStats.written) throw new Error(`loaded ${loaded.db.size} keys, wrote ${stepStats.written}`);
loaded.db.flush();
const chunkCount = chunks.length;
chunks = null;
Bun.gc(true);

// (c) writer.run() beside a write loop on setImmediate: the loop's longest gap is the pause.
let gapMaxMs = 0;
/** Main-thread CPU time during the longest gap (much less than the gap: preempted). */
let gapMaxCpuMs = 0;
let loopWrites = 0;
let running = true;
let last = 0;
let lastCpu = process.threadCpuUsage();
function loop(): void {
  const n = performance.now();
  if (n - last > gapMaxMs) {
    gapMaxMs = n - last;
    const c = process.threadCpuUsage(lastCpu);
    gapMaxCpuMs = (c.user + c.system) / 1000;
  }
  for (let i = 0; i < 50; i++) randomWrite();
  loopWrites += 50;
  last = performance.now();
  lastCpu = process.threadCpuUsage();
  if (running) setImmediate(loop);
}
function startLoop(): void {
  gapMaxMs = 0;
  loopWrites = 0;
  running = true;
  last = performance.now();
  lastCpu = process.threadCpuUsage();
  setImmediate(loop);
}
writer = new SnapshotWriter(engine, members);
t = performance.now();
startLoop();
await writer.run();
running = false;
const runTotalMs = performance.now() - t;
const runGapMs = gapMaxMs;
const runGapCpuMs = gapMaxCpuMs;
const runWrites = loopWrites;
await new Promise((resolve) => setTimeout(resolve, 10));

// (d) the write loop alone for as long.
t = performance.now();
startLoop();
await new Promise((resolve) => setTimeout(resolve, runTotalMs));
running = false;
const idleTotalMs = performance.now() - t;

console.log(`\nsnapshot of ${stepStats.written} keys (${(syncBytes.length / 1e6).toFixed(1)} MB sync, ${(stepBytes / 1e6).toFixed(1)} MB in ${chunkCount} chunks incremental)\n`);
console.log("                        longest pause ms   total ms   slices   writes meanwhile");
console.log(`sync encode                   ${ms(syncMs)}  ${ms(syncMs)}        1                  0`);
console.log(`writer step() + writes        ${ms(Math.max(...slices))}  ${ms(stepTotalMs)}  ${String(slices.length).padStart(7)}  ${String(writes).padStart(17)}`);
console.log(`writer run() + write loop     ${ms(runGapMs)}  ${ms(runTotalMs)}  ${String(writer.stats.slices).padStart(7)}  ${String(runWrites).padStart(17)}`);
console.log(`write loop alone (no snapshot)${ms(gapMaxMs)}  ${ms(idleTotalMs)}        0  ${String(loopWrites).padStart(17)}`);
const longest = slices.indexOf(Math.max(...slices));
console.log(`\nstep(): longest slice ${slices[longest].toFixed(2)} ms used ${sliceCpu[longest].toFixed(2)} ms of main-thread CPU; most such CPU in a slice ${Math.max(...sliceCpu).toFixed(2)} ms`);
console.log(`run(): the longest gap used ${runGapCpuMs.toFixed(2)} ms of main-thread CPU; alone: ${gapMaxCpuMs.toFixed(2)} ms`);
console.log(`step(): slice p50 ${quantile(slices, 0.5).toFixed(2)} ms, p99 ${quantile(slices, 0.99).toFixed(2)} ms; longest single write ${writeMaxMs.toFixed(3)} ms; ${stepStats.copiedOnWrite} keys copied on write, ${stepStats.touched} touched`);
console.log(`load (decodeNodeSnapshot, not incremental): ${loadMs.toFixed(0)} ms`);
