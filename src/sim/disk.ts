// A node's simulated disk. Writes are queued in the order readies were produced and made durable
// by group commit (DESIGN §6): when the disk is idle it takes every queued write as one batch,
// which becomes durable after one latency; writes queued meanwhile wait for the next batch. Only
// then may a ready's messagesAfterPersist leave (src/raft/types.ts, Ready). A crash loses every
// write not yet durable, except that the batch in flight may be torn: a prefix of its records
// (per write: snapshot, then each entry, then the hard state) made it to the platter. Snapshots
// the node takes itself are written atomically (tmp file + rename).

import type { Entry, HardState, InitialState, Message, Snapshot } from "../raft/types.ts";
import { assert } from "../util/assert.ts";

/** What survives a crash. */
export interface Stored {
  hardState: HardState;
  snapshot: Snapshot | null;
  /** The log after the snapshot, in order, without gaps. */
  entries: Entry[];
}

/** One ready's persistence work, in the order Ready prescribes. */
export interface WriteJob {
  readonly snapshot: Snapshot | null;
  readonly entries: readonly Entry[];
  readonly hardState: HardState | null;
  /** Sent once this write (and every earlier one) is durable. */
  readonly afterPersist: readonly Message[];
  readonly point: { readonly index: number; readonly term: number } | null;
}

export interface TornWrite {
  /** Records of the torn write that survived, of how many. */
  readonly kept: number;
  readonly of: number;
}

export class Disk {
  stored: Stored = { hardState: { term: 0, vote: 0, commit: 0 }, snapshot: null, entries: [] };
  /** Writes waiting for the next batch. */
  #queued: WriteJob[] = [];
  /** The batch being written (empty when the disk is idle). */
  #inFlight: WriteJob[] = [];
  /** Bumped by a crash: completions scheduled before it are void. */
  generation = 0;

  /** Writes not yet durable. */
  get pending(): number {
    return this.#queued.length + this.#inFlight.length;
  }

  get busy(): boolean {
    return this.#inFlight.length > 0;
  }

  /** Queues a write for the next batch. */
  enqueue(job: WriteJob): void {
    this.#queued.push(job);
  }

  /** The idle disk starts writing every queued write as one batch; returns how many. */
  startBatch(): number {
    assert(!this.busy, "one batch at a time");
    this.#inFlight = this.#queued;
    this.#queued = [];
    return this.#inFlight.length;
  }

  /** The batch in flight is durable now: its writes, in order. */
  completeBatch(): WriteJob[] {
    assert(this.busy, "a completion for a batch in flight");
    const jobs = this.#inFlight;
    this.#inFlight = [];
    for (const job of jobs) this.#apply(job, recordCount(job));
    return jobs;
  }

  /**
   * The node crashed: writes not durable are lost. `keep(n)` says how many of the n records of
   * the batch in flight survive (0 for a clean loss); returns the torn write when some did.
   */
  crash(keep: (records: number) => number): TornWrite | null {
    this.generation++;
    const batch = this.#inFlight;
    this.#inFlight = [];
    this.#queued = [];
    const n = batch.reduce((sum, job) => sum + recordCount(job), 0);
    if (n === 0) return null;
    const kept = keep(n);
    assert(kept >= 0 && kept <= n, "a torn write keeps a prefix");
    let left = kept;
    for (const job of batch) {
      if (left === 0) break;
      const records = Math.min(left, recordCount(job));
      this.#apply(job, records);
      left -= records;
    }
    return kept === 0 ? null : { kept, of: n };
  }

  /** A snapshot the node took itself, written atomically; the log it covers is dropped. */
  writeSnapshot(snap: Snapshot): void {
    assert(this.pending === 0, "snapshots are taken with no write pending");
    const st = this.stored;
    assert(st.snapshot === null || snap.meta.index > st.snapshot.meta.index, "snapshots move forward");
    const last = st.entries.length > 0 ? st.entries[st.entries.length - 1].index : (st.snapshot?.meta.index ?? 0);
    assert(snap.meta.index <= last, "a snapshot covers durable entries only");
    this.stored = { hardState: st.hardState, snapshot: snap, entries: st.entries.filter((e) => e.index > snap.meta.index) };
  }

  /** What a restart reads (copies: the core must not share arrays with the disk). */
  initialState(): InitialState {
    const st = this.stored;
    return { hardState: { ...st.hardState }, snapshot: st.snapshot, entries: st.entries.slice() };
  }

  /** Applies the first `records` records of a write. */
  #apply(job: WriteJob, records: number): void {
    let left = records;
    let { hardState, snapshot, entries } = this.stored;
    if (job.snapshot !== null && left > 0) {
      left--;
      snapshot = job.snapshot;
      entries = []; // a snapshot from the leader replaces the whole log
    }
    const n = Math.min(left, job.entries.length);
    if (n > 0) {
      left -= n;
      const from = job.entries[0].index;
      const base = snapshot?.meta.index ?? 0;
      // The stored log is contiguous from base + 1: truncate it in place at `from` (restarts copy it).
      const keep = Math.max(0, Math.min(entries.length, from - base - 1));
      const lastKept = keep > 0 ? entries[keep - 1].index : base;
      assert(from <= lastKept + 1, `entries written without a gap (from ${from} after ${lastKept})`);
      entries.length = keep;
      for (let i = 0; i < n; i++) if (job.entries[i].index > base) entries.push(job.entries[i]);
    }
    if (job.hardState !== null && left > 0) hardState = job.hardState;
    assert(entries.length === 0 || entries[0].index === (snapshot?.meta.index ?? 0) + 1, "the stored log starts right after the snapshot");
    this.stored = { hardState, snapshot, entries };
  }
}

function recordCount(job: WriteJob): number {
  return (job.snapshot === null ? 0 : 1) + job.entries.length + (job.hardState === null ? 0 : 1);
}
