// A node's simulated disk. Writes are queued in the order readies were produced and become durable
// one at a time, each after its own latency; only then may the ready's messagesAfterPersist leave
// (src/raft/types.ts, Ready). A crash loses every write not yet durable, except that the oldest
// one may be torn: a prefix of its records (snapshot, then each entry, then the hard state) made
// it to the platter. Snapshots the node takes itself are written atomically (tmp file + rename).

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
  readonly #queue: WriteJob[] = [];
  #busyUntil = 0;
  /** Bumped by a crash: completions scheduled before it are void. */
  generation = 0;

  /** Writes waiting to become durable. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Queues a write; returns when it will be durable (after every earlier one, then `latency`). */
  enqueue(job: WriteJob, now: number, latency: number): number {
    this.#queue.push(job);
    this.#busyUntil = Math.max(now, this.#busyUntil) + latency;
    return this.#busyUntil;
  }

  /** The oldest queued write is durable now. */
  completeOldest(): WriteJob {
    const job = this.#queue.shift();
    assert(job !== undefined, "a completion for a queued write");
    this.#apply(job, recordCount(job));
    return job;
  }

  /**
   * The node crashed: queued writes are lost. `keep(n)` says how many of the oldest write's n
   * records survive (0 for a clean loss); returns the torn write when some did.
   */
  crash(now: number, keep: (records: number) => number): TornWrite | null {
    this.generation++;
    this.#busyUntil = now;
    const oldest = this.#queue[0];
    this.#queue.length = 0;
    if (oldest === undefined) return null;
    const n = recordCount(oldest);
    const kept = keep(n);
    assert(kept >= 0 && kept <= n, "a torn write keeps a prefix");
    if (kept === 0) return null;
    this.#apply(oldest, kept);
    return { kept, of: n };
  }

  /** A snapshot the node took itself, written atomically; the log it covers is dropped. */
  writeSnapshot(snap: Snapshot): void {
    assert(this.#queue.length === 0, "snapshots are taken with no write pending");
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
      const kept = entries.filter((e) => e.index < from);
      const lastKept = kept.length > 0 ? kept[kept.length - 1].index : base;
      assert(from <= lastKept + 1, `entries written without a gap (from ${from} after ${lastKept})`);
      entries = kept.concat(job.entries.slice(0, n).filter((e) => e.index > base));
    }
    if (job.hardState !== null && left > 0) hardState = job.hardState;
    this.stored = { hardState, snapshot, entries };
  }
}

function recordCount(job: WriteJob): number {
  return (job.snapshot === null ? 0 : 1) + job.entries.length + (job.hardState === null ? 0 : 1);
}
