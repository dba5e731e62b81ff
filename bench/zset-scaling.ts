// `bun bench/zset-scaling.ts [--quick]`: how sorted-set operations scale with the set's size.
// Builds sets of 10k, 100k and 1M members in the engine (the state machine, no network) and
// times single commands on them: ZADD of a new member, ZADD updating a score, ZRANGE of 10
// members at a random rank, ZRANK, ZRANGEBYSCORE ... LIMIT 0 10, ZREM. O(log n) operations
// should cost about the same at every size (a few hundred ns more per 10x).
// Benchmarks measure; they never fail on a figure.

import { commandTable } from "../src/commands/index.ts";
import { Flag } from "../src/commands/types.ts";
import { Engine } from "../src/engine/engine.ts";
import { Rng } from "../src/engine/rng.ts";
import { defaultEngineSettings } from "../src/engine/settings.ts";
import { Reply } from "../src/resp/reply.ts";

const quick = process.argv.includes("--quick");
const sizes = quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
const opsPerMeasure = quick ? 20_000 : 100_000;

const engine = new Engine(defaultEngineSettings());
const reply = new Reply();
let seed = 1;

function call(argv: string[]): void {
  const spec = commandTable.lookup(argv[0]);
  if (spec === undefined) throw new Error(`unknown command ${argv[0]}`);
  if (spec.flags & Flag.write) engine.apply({ spec, argv }, 0, seed++, reply);
  else engine.read({ spec, argv }, 0, seed++, reply);
  reply.take();
}

/** Mean nanoseconds per call of `make()`'s commands (the argv are built before timing). */
function measure(make: (i: number) => string[]): number {
  const cmds = Array.from({ length: opsPerMeasure }, (_, i) => make(i));
  const t0 = performance.now();
  for (const argv of cmds) call(argv);
  return ((performance.now() - t0) * 1e6) / cmds.length;
}

interface Row {
  size: number;
  buildNs: number;
  heapMb: number;
  results: [string, number][];
}

const rows: Row[] = [];
const rng = new Rng(7);
for (const size of sizes) {
  call(["DEL", "z"]);
  Bun.gc(true);
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const batch = 1000;
  for (let i = 0; i < size; i += batch) {
    const argv = ["ZADD", "z"];
    for (let j = i; j < Math.min(size, i + batch); j++) argv.push(String(rng.nextInt(size)), `member:${j}`);
    call(argv);
  }
  const buildNs = ((performance.now() - t0) * 1e6) / size;
  Bun.gc(true);
  const heapMb = (process.memoryUsage().heapUsed - heap0) / 1e6;
  let fresh = 0;
  const results: [string, number][] = [
    ["ZADD new", measure(() => ["ZADD", "z", String(rng.nextInt(size)), `new:${fresh++}`])],
    ["ZADD update", measure(() => ["ZADD", "z", String(rng.nextInt(size)), `member:${rng.nextInt(size)}`])],
    ["ZRANGE i i+9", measure(() => {
      const i = rng.nextInt(size);
      return ["ZRANGE", "z", String(i), String(i + 9)];
    })],
    ["ZRANK", measure(() => ["ZRANK", "z", `member:${rng.nextInt(size)}`])],
    ["ZRANGEBYSCORE LIMIT 10", measure(() => ["ZRANGEBYSCORE", "z", String(rng.nextInt(size)), "+inf", "LIMIT", "0", "10"])],
    ["ZCOUNT", measure(() => {
      const a = rng.nextInt(size);
      return ["ZCOUNT", "z", String(a), String(a + rng.nextInt(size))];
    })],
    ["ZREM", measure(() => ["ZREM", "z", `new:${rng.nextInt(fresh)}`])],
  ];
  rows.push({ size, buildNs, heapMb, results });
  console.error(`measured ${size} members`);
}

const names = rows[0].results.map(([name]) => name);
const fmt = (ns: number): string => (ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);
console.log(`\nSorted-set scaling, engine only (no network), mean per command over ${opsPerMeasure} commands\n`);
console.log(`| members | build (ZADD ×1000 per call) | heap | ${names.join(" | ")} |`);
console.log(`|---|---|---|${names.map(() => "---").join("|")}|`);
for (const r of rows) {
  console.log(`| ${r.size.toLocaleString("en")} | ${fmt(r.buildNs)}/member | ${r.heapMb.toFixed(0)} MB | ${r.results.map(([, ns]) => fmt(ns)).join(" | ")} |`);
}
