// The incremental snapshot writer captures the state machine as it was when it started, while
// writes of every kind keep being applied between its slices: values, expiries, encodings and
// hash table sets' slot layouts (so SPOP picks the same members after loading), never a key
// created later, and nothing left hooked into the keyspace once it is done or aborted.

import { describe, expect, test } from "bun:test";
import { runOnEngine } from "../helpers/in-process.ts";
import { Engine } from "../../src/engine/engine.ts";
import { Rng } from "../../src/engine/rng.ts";
import { defaultEngineSettings } from "../../src/engine/settings.ts";
import { ChunkBuilder } from "../../src/node/chunk-builder.ts";
import { concatBytes } from "../../src/util/bytes.ts";
import { Members } from "../../src/node/members.ts";
import { decodeNodeSnapshot, encodeNodeSnapshot } from "../../src/node/snapshot-codec.ts";
import { SnapshotRecordEncoder } from "../../src/node/snapshot-record.ts";
import { SnapshotAbortedError, SnapshotBusyError, SnapshotWriter } from "../../src/node/snapshot-writer.ts";
import { testSeed } from "../helpers/diff.ts";

const t0 = 1_800_000_000_000;

/** Applies (or reads) one command the way a node applies a log entry; returns the reply shown. */

/** Every key's full record (value, encoding, set slot layout, expiry), sorted by key. */
function dump(engine: Engine): string[] {
  const enc = new SnapshotRecordEncoder();
  const db = engine.db;
  const out: string[] = [];
  for (const key of db.keys()) {
    const value = db.peek(key);
    if (value === undefined) throw new Error(`key ${key} without a value`);
    out.push(`${key} ${Buffer.from(enc.encode(key, value, db.getExpire(key))).toString("hex")}`);
  }
  return out.sort();
}

function members(): Members {
  const m = new Members();
  m.setConf({ voters: [1, 2], learners: [], removed: [] });
  m.setAddress(1, { addr: "127.0.0.1:7001", busAddr: "127.0.0.1:17001" });
  return m;
}

function load(chunks: readonly Uint8Array[]): { engine: Engine; members: Members } {
  const engine = new Engine(defaultEngineSettings());
  const m = decodeNodeSnapshot(concatBytes(chunks), engine);
  return { engine, members: m };
}

/** A log of writes: every command with its time and seed, replayable on another engine. */
class Log {
  readonly entries: { argv: string[]; now: number; seed: number }[] = [];
  now = t0;
  #seed = 1;

  apply(engine: Engine, argv: string[]): string {
    const seed = this.#seed++;
    this.entries.push({ argv, now: this.now, seed });
    return runOnEngine(engine, argv, this.now, seed);
  }
}

function replay(log: Log): Engine {
  const e = new Engine(defaultEngineSettings());
  for (const { argv, now, seed } of log.entries) runOnEngine(e, argv, now, seed);
  return e;
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.nextInt(xs.length)];

/** A key from a pool larger than the keyspace at I, so writes both hit old keys and create keys. */
function key(rng: Rng): string {
  return `k${rng.nextInt(400)}`;
}

function member(rng: Rng): string {
  // Mostly small integers (intsets, listpacks), sometimes words (hash tables).
  return rng.nextInt(3) === 0 ? `m${rng.nextInt(300)}` : String(rng.nextInt(700));
}

/** The keyspace at I: every type and encoding, TTLs (some already due), holes everywhere. */
function buildInitial(engine: Engine, log: Log, rng: Rng): void {
  for (let i = 0; i < 300; i++) {
    const k = `k${i}`;
    const n = rng.nextInt(5) === 0 ? 150 + rng.nextInt(500) : 1 + rng.nextInt(12);
    switch (rng.nextInt(5)) {
      case 0:
        log.apply(engine, ["SET", k, `v${rng.nextU32()}`]);
        break;
      case 1:
        log.apply(engine, ["HSET", k, ...Array.from({ length: n }, (_, j) => [`f${rng.nextInt(n * 2)}`, `x${j}`]).flat()]);
        break;
      case 2:
        log.apply(engine, ["RPUSH", k, ...Array.from({ length: n }, () => member(rng))]);
        break;
      case 3:
        // Added and removed in batches: a hash table set with holes and a free list.
        for (let j = 0; j < n; j += 16) log.apply(engine, ["SADD", k, ...Array.from({ length: 16 }, () => member(rng))]);
        for (let j = 0; j < n; j += 48) log.apply(engine, ["SREM", k, ...Array.from({ length: 16 }, () => member(rng))]);
        break;
      case 4:
        log.apply(engine, ["ZADD", k, ...Array.from({ length: n }, () => [String(rng.nextInt(50)), member(rng)]).flat()]);
        break;
    }
    if (rng.nextInt(4) === 0) log.apply(engine, ["PEXPIRE", k, String(1 + rng.nextInt(3000))]);
  }
  // Holes in the keyspace's slots, so keys created later can land below the walk's limit.
  for (let i = 0; i < 60; i++) log.apply(engine, ["DEL", key(rng)]);
  log.now += 1000; // some TTLs are due at I: those keys are in the snapshot until deleted
}

/** One random write, of any kind the state machine has that changes keys or TTLs. */
function randomWrite(engine: Engine, log: Log, rng: Rng): void {
  log.now += rng.nextInt(40);
  const k = key(rng);
  const r = rng.nextInt(1000);
  if (r < 3) {
    log.apply(engine, [pick(rng, ["FLUSHALL", "FLUSHDB"])]);
    return;
  }
  if (r < 30) {
    // Active expiry, as the leader proposes it.
    engine.expire(engine.db.dueKeys(log.now, 10), log.now);
    return;
  }
  const cmds: (() => string[])[] = [
    () => ["SET", k, `w${rng.nextU32()}`],
    () => ["SET", k, "v", "PX", String(1 + rng.nextInt(500))],
    () => ["SET", k, "kept", "KEEPTTL"],
    () => ["DEL", k, key(rng)],
    () => ["APPEND", k, "+"],
    () => ["INCR", k],
    () => ["SETRANGE", k, "2", "xy"],
    () => ["HSET", k, `f${rng.nextInt(20)}`, `h${rng.nextInt(9)}`],
    () => ["HDEL", k, `f${rng.nextInt(20)}`],
    () => ["HINCRBY", k, `f${rng.nextInt(20)}`, "1"],
    () => ["LPUSH", k, member(rng)],
    () => ["RPOP", k],
    () => ["LSET", k, "0", "set"],
    () => ["LTRIM", k, "1", "-2"],
    () => ["SADD", k, member(rng), member(rng)],
    () => ["SREM", k, member(rng)],
    () => ["SPOP", k],
    () => ["SPOP", k, String(1 + rng.nextInt(4))],
    () => ["SMOVE", k, key(rng), member(rng)],
    () => ["SINTERSTORE", k, key(rng), key(rng)],
    () => ["ZADD", k, String(rng.nextInt(50)), member(rng)],
    () => ["ZINCRBY", k, "2", member(rng)],
    () => ["ZREM", k, member(rng)],
    () => ["ZPOPMIN", k],
    () => ["EXPIRE", k, String(1 + rng.nextInt(3))],
    () => ["PEXPIRE", k, String(1 + rng.nextInt(200))],
    () => ["PERSIST", k],
    () => ["RENAME", k, key(rng)],
    () => ["COPY", k, key(rng), "REPLACE"],
    () => ["GETDEL", k],
  ];
  log.apply(engine, pick(rng, cmds)());
}

interface Run {
  writer: SnapshotWriter;
  atI: string[];
  logAtI: Log;
  keysAtI: Set<string>;
  engine: Engine;
}

/** Builds the keyspace, starts a writer at I and applies random writes between its slices. */
function runSnapshot(seed: number): Run {
  const rng = new Rng(seed);
  const engine = new Engine(defaultEngineSettings());
  const log = new Log();
  buildInitial(engine, log, rng);
  const atI = dump(engine);
  const keysAtI = new Set(engine.db.keys());
  const logAtI = new Log();
  logAtI.entries.push(...log.entries);
  const writer = new SnapshotWriter(engine, members(), { sliceKeys: 1 + rng.nextInt(20), sliceMs: 1e9 });
  while (!writer.step()) {
    const writes = rng.nextInt(30);
    for (let i = 0; i < writes; i++) randomWrite(engine, log, rng);
  }
  return { writer, atI, logAtI, keysAtI, engine };
}

describe("a snapshot taken while writes are applied", () => {
  test("decodes to the keyspace at its start, for many seeds", () => {
    const base = testSeed();
    let copied = 0;
    let flushedDuring = 0;
    for (let i = 0; i < 60; i++) {
      const seed = base + i;
      const r = runSnapshot(seed);
      const { engine: loaded, members: m } = load(r.writer.result());
      try {
        expect(dump(loaded)).toEqual(r.atI);
        expect(m.address(1)).toEqual({ addr: "127.0.0.1:7001", busAddr: "127.0.0.1:17001" });
        expect(loaded.lastAppliedMs).toBe(r.writer.appliedMs);
        for (const k of loaded.db.keys()) expect(r.keysAtI.has(k)).toBe(true);
        expect(r.engine.db.copyOnWriteAttached).toBe(false);
      } catch (e) {
        console.error(`snapshot-writer: failing seed ${seed} (replay with SEED=${seed})`);
        throw e;
      }
      copied += r.writer.stats.copiedOnWrite;
      if (dump(r.engine).length < r.keysAtI.size / 3) flushedDuring++;
    }
    // The workload must reach the copy-on-write path (and FLUSHALL mid-snapshot) for this to mean anything.
    expect(copied).toBeGreaterThan(500);
    expect(flushedDuring).toBeGreaterThan(0);
  });

  test("a loaded snapshot pops the same members as an engine that saw the same log", () => {
    const base = testSeed();
    for (let i = 0; i < 10; i++) {
      const seed = base + 1000 + i;
      const r = runSnapshot(seed);
      const { engine: loaded } = load(r.writer.result());
      const replayed = replay(r.logAtI);
      const sets = [...replayed.db.keys()].filter((k) => runOnEngine(replayed, ["TYPE", k], t0, 0) === "set");
      let s = 50_000;
      for (const k of sets) {
        for (let j = 0; j < 6; j++) {
          const cmd = j % 3 === 2 ? ["SADD", k, `p${j}`] : ["SPOP", k, String(1 + (j % 4))];
          const now = r.logAtI.now + 10;
          expect(`${seed} ${runOnEngine(loaded, cmd, now, s)}`).toBe(`${seed} ${runOnEngine(replayed, cmd, now, s)}`);
          s++;
        }
      }
    }
  });
});

describe("the writer's life cycle", () => {
  function engineWithKeys(n: number): Engine {
    const e = new Engine(defaultEngineSettings());
    for (let i = 0; i < n; i++) runOnEngine(e, ["SET", `k${i}`, `v${i}`], t0, i + 1);
    return e;
  }

  test("abort removes the hook; stepping an aborted writer throws; a new one can start", async () => {
    const e = engineWithKeys(100);
    const w = new SnapshotWriter(e, members(), { sliceKeys: 10 });
    expect(w.step()).toBe(false);
    expect(e.db.copyOnWriteAttached).toBe(true);
    w.abort();
    expect(e.db.copyOnWriteAttached).toBe(false);
    expect(w.aborted).toBe(true);
    expect(() => w.step()).toThrow(SnapshotAbortedError);
    runOnEngine(e, ["SET", "k1", "changed after abort"], t0, 500);
    const w2 = new SnapshotWriter(e, members(), { sliceKeys: 7 });
    const chunks = await w2.run();
    expect(e.db.copyOnWriteAttached).toBe(false);
    expect(dump(load(chunks).engine)).toEqual(dump(e));
  });

  test("run() rejects when aborted between slices", async () => {
    const e = engineWithKeys(100);
    const w = new SnapshotWriter(e, members(), { sliceKeys: 5 });
    const done = w.run();
    w.abort();
    await expect(done).rejects.toBeInstanceOf(SnapshotAbortedError);
    expect(e.db.copyOnWriteAttached).toBe(false);
  });

  test("a second snapshot while one runs is refused", () => {
    const e = engineWithKeys(10);
    const w = new SnapshotWriter(e, members(), { sliceKeys: 1 });
    expect(() => new SnapshotWriter(e, members())).toThrow(SnapshotBusyError);
    while (!w.step()) {}
    expect(() => new SnapshotWriter(e, members())).not.toThrow();
  });

  test("every Keyspace change copies the key's old value and TTL out first", () => {
    // The commands reach most of these through lookupWrite first; here each method is alone.
    const e = engineWithKeys(60);
    runOnEngine(e, ["SADD", "s", "a", "b", "c"], t0, 100);
    for (let i = 0; i < 10; i++) runOnEngine(e, ["PEXPIRE", `k${i}`, "100000"], t0, 200 + i);
    const before = dump(e);
    const db = e.db;
    const w = new SnapshotWriter(e, members(), { sliceKeys: 1 });
    w.step();
    db.set("k50", "set");
    db.delete("k51");
    db.setExpire("k52", t0 + 5);
    db.persist("k3");
    db.setExpire("k4", t0 + 7);
    const s = db.lookupWrite("s", t0);
    if (s === undefined || typeof s === "string" || s.type !== "set") throw new Error("s is a set");
    s.add("d", e.settings);
    db.set("k0", "written before, after being walked");
    db.set("created", "after I");
    while (!w.step()) {}
    expect(w.stats.copiedOnWrite).toBe(6);
    expect(dump(load(w.result()).engine)).toEqual(before);
  });

  test("FLUSHALL mid-snapshot hands the old keys over and detaches at once", () => {
    const e = engineWithKeys(50);
    const before = dump(e);
    const w = new SnapshotWriter(e, members(), { sliceKeys: 10 });
    w.step();
    runOnEngine(e, ["FLUSHALL"], t0, 900);
    expect(e.db.copyOnWriteAttached).toBe(false);
    expect(e.db.size).toBe(0);
    runOnEngine(e, ["SET", "k20", "after flush"], t0, 901);
    runOnEngine(e, ["SET", "new", "after flush"], t0, 902);
    while (!w.step()) {}
    expect(dump(load(w.result()).engine)).toEqual(before);
    expect(w.stats.copiedOnWrite).toBe(0);
  });

  test("an empty keyspace and a value longer than a chunk", () => {
    const empty = new Engine(defaultEngineSettings());
    const w = new SnapshotWriter(empty, members());
    expect(w.done).toBe(true);
    expect(empty.db.copyOnWriteAttached).toBe(false);
    expect(load(w.result()).engine.db.size).toBe(0);

    const e = engineWithKeys(20);
    runOnEngine(e, ["SET", "big", "x".repeat(3 * 1024 * 1024)], t0, 100);
    for (let i = 0; i < 10; i++) runOnEngine(e, ["SET", `after${i}`, "v"], t0, 101 + i);
    const w2 = new SnapshotWriter(e, members(), { sliceKeys: 3 });
    // Chunks drained while it runs plus the rest at the end make the whole snapshot.
    const drained: Uint8Array[] = [];
    while (!w2.step()) drained.push(...w2.drain());
    expect(drained.length).toBeGreaterThan(0);
    const all = [...drained, ...w2.result()];
    expect(all.length).toBeGreaterThan(1);
    expect(w2.bytes).toBe(concatBytes(all).length);
    expect(dump(load(all).engine)).toEqual(dump(e));
    // The synchronous encoder writes the same records (in insertion order).
    expect(dump(load([encodeNodeSnapshot(e, members())]).engine)).toEqual(dump(e));
  });

  test("the time budget ends a slice", () => {
    const e = engineWithKeys(1000);
    let clock = 0;
    // Each clock read advances 1 ms: a 5 ms slice reads it 6 times, every 16 slots.
    const w = new SnapshotWriter(e, members(), { sliceMs: 5, clock: () => clock++ });
    w.step();
    expect(w.stats.written).toBeGreaterThan(0);
    expect(w.stats.written).toBeLessThanOrEqual(5 * 16);
    while (!w.step()) {}
    expect(dump(load(w.result()).engine)).toEqual(dump(e));
  });
});

test("ChunkBuilder's chunks concatenate to what was appended", () => {
  // Small chunks (records often longer than a chunk) and larger ones (both copy paths).
  for (const [chunkBytes, maxLen] of [[64, 200], [1024, 600]]) {
    const rng = new Rng(chunkBytes);
    const b = new ChunkBuilder(chunkBytes);
    const all: number[] = [];
    for (let i = 0; i < 300; i++) {
      const n = rng.nextInt(i % 50 === 0 ? maxLen * 2 : maxLen);
      // A Buffer, like the record encoder's: its slice() is a view, not a copy.
      const bytes = Buffer.from(Uint8Array.from({ length: n + 5 }, () => rng.nextInt(256)));
      all.push(...bytes.subarray(0, n));
      b.appendFrom(bytes, n);
      bytes.fill(0); // the caller may reuse its buffer at once
    }
    const chunks = b.finish();
    for (const c of chunks) expect(c.length).toBeGreaterThan(0);
    expect([...concatBytes(chunks)]).toEqual(all);
    expect(b.totalBytes).toBe(all.length);
  }
});
