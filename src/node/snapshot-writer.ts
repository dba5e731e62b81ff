// Writes a node snapshot a slice at a time while the node keeps applying writes, so no client
// waits for the whole keyspace to be serialized (a synchronous encode of 1M keys is one pause of
// a second or more; see bench/snapshot-pause.ts).
//
// The snapshot is the state machine at the moment the writer was created ("at I", the applied
// index then): the keys, values and expiries it had, the log's time (Engine.lastAppliedMs) and
// the members' bytes. The output is the format of snapshot-codec.ts (header, then one record
// per key, in slot order here rather than insertion order), as chunks whose concatenation
// decodeNodeSnapshot loads.
//
// How writes meanwhile stay out of it: copy-on-write, one key at a time. The writer walks the
// keyspace's dictionary slot by slot, up to the slot count it had at I (keys created later can
// only land in freed slots below it or above it). The keyspace calls `beforeWrite(key)` before
// any key is created, replaced, deleted, handed out by lookupWrite (which may change it in
// place), or gets or loses a TTL. The first time a key is named there:
//   - if it exists and the walk has not reached its slot, it is unchanged since I (any earlier
//     change would have come through here first), so it is serialized now, value and TTL;
//   - if it does not exist, it did not exist at I either (a delete would have come through
//     here), so it is new: the walk must skip it wherever it lands;
//   - either way it joins `touched`, and the walk skips touched keys.
// Values are serialized, never cloned: a hash table set keeps its exact slot layout (SPOP's
// picks depend on it), and a copy would cost as much as serializing anyway.
//
// FLUSHALL/FLUSHDB during a snapshot does not serialize what is left: the keyspace hands its old
// dictionary and expiry table to the writer untouched, starts empty ones and detaches the writer
// (KeyspaceCopyOnWrite.flushed); the walk goes on over the frozen old tables.
//
// One writer per keyspace: a second one while one runs throws SnapshotBusyError (the caller asks
// again when the first is done; its snapshot would be of a later index anyway). abort() (e.g. a
// snapshot from the leader is about to replace the keyspace) detaches the hook at once.
//
// Driving it: step() runs one slice (about sliceMs, 3 ms by default) and says when it is done;
// run() steps with setImmediate between slices, so clients' I/O gets in. drain() hands out the
// chunks completed so far (to stream them to storage), result() the rest at the end.
//
// Costs: when no snapshot runs, one null test per keyspace write. While one runs, a Set lookup
// per write, and a write to a not-yet-serialized key pays for serializing that key. One value is
// never split: a huge collection is serialized in one go, in a slice or in the write that
// touches it first. Nothing here reads the state machine's clock or RNG; the slice clock only
// decides where slices end, never what the snapshot holds.

import { snapshotChunkBytes, snapshotSliceClockEverySlots, snapshotSliceKeysDefault, snapshotSliceMsDefault } from "../constants.ts";
import type { Dict } from "../engine/dict.ts";
import type { Engine } from "../engine/engine.ts";
import type { Keyspace, KeyspaceCopyOnWrite } from "../engine/keyspace.ts";
import type { Value } from "../engine/value.ts";
import { assert } from "../util/assert.ts";
import { ChunkBuilder } from "./chunk-builder.ts";
import type { Members } from "./members.ts";
import { encodeSnapshotHeader } from "./snapshot-codec.ts";
import { SnapshotRecordEncoder } from "./snapshot-record.ts";

export class SnapshotBusyError extends Error {
  override name = "SnapshotBusyError";
}

export class SnapshotAbortedError extends Error {
  override name = "SnapshotAbortedError";
}

export interface SnapshotWriterOptions {
  /** A slice ends once it has run this many ms... */
  sliceMs?: number;
  /** ...or serialized this many keys (tests use small numbers to interleave many writes). */
  sliceKeys?: number;
  /** The clock slices are timed with; performance.now by default. */
  clock?: () => number;
}

type State = "running" | "done" | "aborted";

/** A string value longer than this makes the slice look at its clock right after it. */
const bigStringChars = 4096;

export class SnapshotWriter implements KeyspaceCopyOnWrite {
  /** Keys in the snapshot: the keyspace's size at I. */
  readonly keyCount: number;
  /** Engine.lastAppliedMs at I. */
  readonly appliedMs: number;
  readonly #sliceMs: number;
  readonly #sliceKeys: number;
  readonly #clock: () => number;
  /** The keyspace while the hook is attached; null once detached (done, aborted, flushed). */
  #db: Keyspace | null;
  /**
   * The keyspace's tables: live until a flush hands them over, then frozen. Only read here.
   * Null once done or aborted (a flushed keyspace's old tables are freed with them).
   */
  #tables: { dict: Dict<Value>; expires: ReadonlyMap<string, number> } | null;
  /** Slots at I: every key that existed at I lives below it until it is touched. */
  readonly #slotLimit: number;
  /** Next slot to walk; slots below it are done. Never decreases. */
  #cursor = 0;
  /** Keys named by beforeWrite since I: already serialized, or created after I. Never walked. */
  #touched = new Set<string>();
  readonly #enc = new SnapshotRecordEncoder();
  /** Where records go; null once done or aborted. */
  #out: ChunkBuilder | null;
  /** Records written so far; equals keyCount when done. */
  #written = 0;
  /** Records written by beforeWrite rather than by the walk. */
  #copiedOnWrite = 0;
  /** Distinct keys named by beforeWrite (#touched's size, kept after it is freed). */
  #touchedCount = 0;
  #slices = 0;
  #chunks: Uint8Array[] | null = null;
  /** The snapshot's size once done (or as far as it got when aborted). */
  #bytes = 0;
  #state: State = "running";

  /**
   * Starts a snapshot of `engine` as it is now; `members` are serialized now too. Throws
   * SnapshotBusyError while another writer runs on the same keyspace.
   */
  constructor(engine: Engine, members: Members, options: SnapshotWriterOptions = {}) {
    const db = engine.db;
    if (db.copyOnWriteAttached) throw new SnapshotBusyError("Cannot start a snapshot: one is already being written");
    this.#sliceMs = options.sliceMs ?? snapshotSliceMsDefault;
    this.#sliceKeys = options.sliceKeys ?? snapshotSliceKeysDefault;
    this.#clock = options.clock ?? (() => performance.now());
    assert(this.#sliceMs > 0, "a slice has time to run");
    assert(this.#sliceKeys > 0, "a slice writes keys");
    this.keyCount = db.size;
    this.appliedMs = engine.lastAppliedMs;
    this.#tables = db.attachCopyOnWrite(this);
    this.#db = db;
    this.#slotLimit = this.#tables.dict.slotCount;
    this.#out = new ChunkBuilder(snapshotChunkBytes);
    this.#out.append(encodeSnapshotHeader(this.appliedMs, members.toBytes(), this.keyCount));
    if (this.#slotLimit === 0) this.#finish();
  }

  get done(): boolean {
    return this.#state === "done";
  }

  get aborted(): boolean {
    return this.#state === "aborted";
  }

  /** Progress and cost figures (INFO, logs, tests). */
  get stats(): { written: number; copiedOnWrite: number; touched: number; slices: number } {
    return { written: this.#written, copiedOnWrite: this.#copiedOnWrite, touched: this.#touchedCount, slices: this.#slices };
  }

  /**
   * Serializes the next slice of keys. Returns true when the snapshot is complete (result() is
   * ready). Throws SnapshotAbortedError after abort().
   */
  step(): boolean {
    if (this.#state === "aborted") throw new SnapshotAbortedError("Cannot continue a snapshot: it was aborted");
    if (this.#state === "done") return true;
    this.#slices++;
    assert(this.#tables !== null, "a running snapshot has its tables");
    const dict = this.#tables.dict;
    const touched = this.#touched;
    const limit = this.#slotLimit;
    const deadline = this.#clock() + this.#sliceMs;
    let slot = this.#cursor;
    let keys = 0;
    let sinceClock = 0;
    while (slot < limit) {
      const key = dict.keyAt(slot);
      slot++;
      if (key !== undefined && (touched.size === 0 || !touched.has(key))) {
        const value = dict.valueAt(slot - 1) as Value;
        this.#write(key, value);
        if (++keys >= this.#sliceKeys) break;
        // After a collection or a long string, look at the clock now rather than 16 slots on.
        if (typeof value !== "string" || value.length > bigStringChars) sinceClock = snapshotSliceClockEverySlots - 1;
      }
      if (++sinceClock >= snapshotSliceClockEverySlots) {
        sinceClock = 0;
        if (this.#clock() >= deadline) break;
      }
    }
    this.#cursor = slot;
    if (slot >= limit) this.#finish();
    return this.done;
  }

  /** Runs slices until done, yielding to the event loop (setImmediate) between them. */
  async run(): Promise<Uint8Array[]> {
    while (!this.step()) await new Promise<void>((resolve) => setImmediate(resolve));
    return this.result();
  }

  /**
   * Chunks completed so far, for a caller that streams them out (to storage) while the snapshot
   * runs rather than holding them all on this thread. Each chunk is returned once, in order.
   */
  drain(): Uint8Array[] {
    if (this.#out !== null) return this.#out.takeSealed();
    if (this.#chunks === null) return [];
    const rest = this.#chunks;
    this.#chunks = [];
    return rest;
  }

  /**
   * The snapshot's bytes as chunks, once done: everything not drained before. All chunks
   * drained and returned, concatenated in order, are what decodeNodeSnapshot loads.
   */
  result(): Uint8Array[] {
    assert(this.#chunks !== null, "a snapshot's result exists once it is done");
    return this.#chunks;
  }

  /** Total bytes written so far (all of the snapshot once done). */
  get bytes(): number {
    return this.#out !== null ? this.#out.totalBytes : this.#bytes;
  }

  /** Stops the snapshot and removes the keyspace hook; a no-op once done or aborted. */
  abort(): void {
    if (this.#state !== "running") return;
    this.#state = "aborted";
    this.#release();
  }

  // ---- KeyspaceCopyOnWrite ----

  beforeWrite(key: string): void {
    const touched = this.#touched;
    if (touched.has(key)) return;
    touched.add(key);
    this.#touchedCount++;
    assert(this.#tables !== null, "a snapshot is told of writes only while running");
    const dict = this.#tables.dict;
    const slot = dict.slotOf(key);
    if (slot === undefined || slot < this.#cursor) return;
    assert(slot < this.#slotLimit, "an untouched key existed at the snapshot's start");
    this.#write(key, dict.valueAt(slot) as Value);
    this.#copiedOnWrite++;
  }

  flushed(): void {
    // The keyspace detached us and left #tables frozen: the walk finishes over them.
    this.#db = null;
  }

  // ----

  #write(key: string, value: Value): void {
    assert(this.#out !== null && this.#tables !== null, "writing a running snapshot");
    const expires = this.#tables.expires;
    this.#enc.encodeInto(this.#out, key, value, expires.size > 0 ? expires.get(key) : undefined);
    this.#written++;
  }

  #finish(): void {
    assert(this.#written === this.keyCount, `snapshot wrote ${this.#written} keys of ${this.keyCount}`);
    assert(this.#out !== null, "finishing a running snapshot");
    this.#bytes = this.#out.totalBytes;
    this.#chunks = this.#out.finish();
    this.#state = "done";
    this.#release();
  }

  /** Detaches the hook and drops every reference into the keyspace. */
  #release(): void {
    if (this.#out !== null) this.#bytes = this.#out.totalBytes;
    if (this.#db !== null) this.#db.detachCopyOnWrite(this);
    this.#db = null;
    this.#tables = null;
    this.#touched = new Set();
    this.#out = null;
  }
}
