// The log as the core sees it: a snapshot point (index/term of the last compacted entry) and
// every entry after it, in memory. The shell's storage holds the same entries on disk; this
// class also tracks how far they were handed to storage, acknowledged durable, committed,
// handed to the application and applied.
//
//   snapshotIndex <= applied <= applying <= committed <= lastIndex
//   persisted < unstableFrom <= lastIndex + 1

import { raftEntryOverheadBytes } from "../constants.ts";
import { assert } from "../util/assert.ts";
import type { Entry, SnapshotMeta } from "./types.ts";

export function entryBytes(e: Entry): number {
  return e.data.length + raftEntryOverheadBytes;
}

export class RaftLog {
  #snapIndex: number;
  #snapTerm: number;
  /** #entries[i].index === #snapIndex + 1 + i. */
  #entries: Entry[];
  #bytes = 0;

  /** Highest index known committed; never decreases. */
  committed: number;
  /** Highest index handed to the application in a ready (committed entries or a snapshot). */
  applying: number;
  /** Highest index the application acknowledged (advance); never decreases. */
  applied: number;
  /** First index not yet handed to storage. */
  #unstableFrom: number;
  /** Highest index storage acknowledged with the term our log has there. */
  persisted: number;

  /** A log loaded from storage: everything in it is durable. */
  constructor(snapshot: SnapshotMeta | null, entries: Entry[], commit: number) {
    this.#snapIndex = snapshot?.index ?? 0;
    this.#snapTerm = snapshot?.term ?? 0;
    this.#entries = [];
    this.#appendChecked(entries);
    // The persisted commit is a hint: storage may have made it durable ahead of the entries it
    // covers (they are written in order, but a crash can tear the log's tail). Entries that
    // were acknowledged are never lost, so clamping loses nothing committed.
    this.committed = Math.min(Math.max(commit, this.#snapIndex), this.lastIndex());
    this.applying = this.#snapIndex;
    this.applied = this.#snapIndex;
    this.#unstableFrom = this.lastIndex() + 1;
    this.persisted = this.lastIndex();
  }

  get snapshotIndex(): number {
    return this.#snapIndex;
  }

  get snapshotTerm(): number {
    return this.#snapTerm;
  }

  /** Bytes of entries held in memory. */
  get bytes(): number {
    return this.#bytes;
  }

  firstIndex(): number {
    return this.#snapIndex + 1;
  }

  lastIndex(): number {
    return this.#snapIndex + this.#entries.length;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) as number;
  }

  /** The term at `index`, or undefined when compacted away or beyond the end. */
  term(index: number): number | undefined {
    if (index === this.#snapIndex) return this.#snapTerm;
    if (index < this.#snapIndex || index > this.lastIndex()) return undefined;
    return this.#entries[index - this.#snapIndex - 1].term;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  entry(index: number): Entry {
    assert(index > this.#snapIndex && index <= this.lastIndex(), "entry within the in-memory log");
    return this.#entries[index - this.#snapIndex - 1];
  }

  /** Entries [lo, hi), stopping once maxBytes is reached (always at least one). */
  slice(lo: number, hi: number, maxBytes = Infinity): Entry[] {
    assert(lo > this.#snapIndex, "slice starts after the snapshot");
    assert(hi <= this.lastIndex() + 1, "slice ends within the log");
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.#entries[i - this.#snapIndex - 1];
      bytes += entryBytes(e);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /** Raft §5.4.1: a candidate's log is at least as up to date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    return lastTerm > this.lastTerm() || (lastTerm === this.lastTerm() && lastIndex >= this.lastIndex());
  }

  /**
   * Fast back-off (etcd's findConflictByTerm): the largest index <= `index` whose term is <=
   * `term`, with that term. A leader probing at `index` with `term` cannot match anywhere above.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (let i = Math.min(index, this.lastIndex()); i >= this.#snapIndex; i--) {
      const t = this.term(i) as number;
      if (t <= term) return { index: i, term: t };
    }
    return { index: this.#snapIndex, term: 0 };
  }

  /**
   * A follower's append: if the entry before `entries` matches, write what differs and
   * commit up to what the leader says is committed. Returns the last index now known to match
   * the leader and the first index written (0 when nothing was), or null on a mismatch.
   */
  maybeAppend(prevIndex: number, prevTerm: number, commit: number, entries: Entry[]): { lastNew: number; writtenFrom: number } | null {
    if (!this.matchTerm(prevIndex, prevTerm)) return null;
    const lastNew = prevIndex + entries.length;
    let writtenFrom = 0;
    for (const e of entries) {
      if (this.term(e.index) !== e.term) {
        assert(e.index > this.committed, "a committed entry is never overwritten");
        this.append(entries.slice(e.index - prevIndex - 1));
        writtenFrom = e.index;
        break;
      }
    }
    this.commitTo(Math.min(commit, lastNew));
    return { lastNew, writtenFrom };
  }

  /** Appends `entries`, first dropping every entry from entries[0].index on. */
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const from = entries[0].index;
    assert(from > this.committed, "append never truncates committed entries");
    assert(from <= this.lastIndex() + 1, "append leaves no gap");
    const keep = from - this.#snapIndex - 1;
    for (let i = keep; i < this.#entries.length; i++) this.#bytes -= entryBytes(this.#entries[i]);
    this.#entries.length = keep;
    this.#unstableFrom = Math.min(this.#unstableFrom, from);
    this.persisted = Math.min(this.persisted, from - 1);
    this.#appendChecked(entries);
  }

  #appendChecked(entries: Entry[]): void {
    let prevTerm = this.term(this.lastIndex()) ?? 0;
    for (const e of entries) {
      assert(e.index === this.lastIndex() + 1, "log indexes are contiguous");
      assert(e.term >= prevTerm, "log terms never decrease");
      this.#entries.push(e);
      this.#bytes += entryBytes(e);
      prevTerm = e.term;
    }
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    assert(index <= this.lastIndex(), "commit index within the log");
    this.committed = index;
  }

  // ---- Storage hand-off ----

  hasUnstable(): boolean {
    return this.#unstableFrom <= this.lastIndex();
  }

  /** Entries not yet handed to storage; marks them handed. */
  takeUnstable(): Entry[] {
    if (!this.hasUnstable()) return [];
    const out = this.#entries.slice(this.#unstableFrom - this.#snapIndex - 1);
    this.#unstableFrom = this.lastIndex() + 1;
    return out;
  }

  /**
   * Storage made entries up to `index` durable, the last with `term`. Stale acknowledgements
   * (the entry was overwritten or compacted since) are ignored.
   */
  stableTo(index: number, term: number): void {
    if (this.term(index) !== term || index >= this.#unstableFrom) return;
    this.persisted = Math.max(this.persisted, index);
  }

  // ---- Application hand-off ----

  /** Highest index that may be handed out for apply: committed and durable here. */
  applyLimit(beyondCommit: boolean): number {
    return beyondCommit ? this.persisted : Math.min(this.committed, this.persisted);
  }

  hasNextCommitted(beyondCommit: boolean): boolean {
    return this.applying >= this.#snapIndex && this.applying < this.applyLimit(beyondCommit);
  }

  /** The next entries to apply (at most maxBytes, at least one); marks them handed. */
  takeCommitted(maxBytes: number, beyondCommit: boolean): Entry[] {
    if (!this.hasNextCommitted(beyondCommit)) return [];
    const out = this.slice(this.applying + 1, this.applyLimit(beyondCommit) + 1, maxBytes);
    this.applying = out[out.length - 1].index;
    return out;
  }

  appliedTo(index: number): void {
    assert(index <= this.applying, "applied only what was handed out");
    this.applied = Math.max(this.applied, index);
  }

  // ---- Snapshots ----

  /** The application snapshotted up to `index`: drop entries up to there. */
  compact(index: number): void {
    assert(index > this.#snapIndex, "compaction moves forward");
    assert(index <= this.applied, "compact only applied entries");
    const term = this.term(index) as number;
    const drop = index - this.#snapIndex;
    for (let i = 0; i < drop; i++) this.#bytes -= entryBytes(this.#entries[i]);
    this.#entries = this.#entries.slice(drop);
    this.#snapIndex = index;
    this.#snapTerm = term;
  }

  /** A snapshot from the leader replaces the whole log. It is not durable until acknowledged. */
  restore(meta: SnapshotMeta): void {
    assert(meta.index > this.committed, "restore only moves forward");
    this.#snapIndex = meta.index;
    this.#snapTerm = meta.term;
    this.#entries = [];
    this.#bytes = 0;
    this.committed = meta.index;
    this.#unstableFrom = meta.index + 1;
    this.persisted = Math.min(this.persisted, meta.index - 1);
  }
}
