// `raft.storage memory`: the Storage contract with no files at all. What flush() made "durable"
// lives in this object, so open() on the same object returns it (a thread restart, or a
// simulator's crash that loses only unflushed work); a new object is empty, as is a node after
// a process restart. Such a node must rejoin under a new id (DESIGN §6).

import { assert } from "../util/assert.ts";
import type { HardState, LogEntry, RecoveredState, Snapshot, SnapshotMeta, Storage, StorageStats } from "./types.ts";

export class MemoryStorage implements Storage {
  // Durable (flushed) state.
  #entries: LogEntry[] = [];
  #hardState: HardState | null = null;
  #snapshot: Snapshot | null = null;
  // Queued until flush().
  #pending: LogEntry[] = [];
  #pendingHardState: HardState | null = null;
  #lastIndex = 0;
  #flushCount = 0;
  #recordsWritten = 0;
  #bytesWritten = 0;

  get lastIndex(): number {
    return this.#lastIndex;
  }

  /** The flushed state; anything queued and not flushed is dropped, as a crash would. */
  open(): RecoveredState {
    this.#pending = [];
    this.#pendingHardState = null;
    const snapIndex = this.#snapshot?.meta.lastIndex ?? 0;
    const lastLogged = this.#entries.length > 0 ? this.#entries[this.#entries.length - 1].index : 0;
    this.#lastIndex = Math.max(snapIndex, lastLogged);
    return { hardState: this.#hardState, snapshot: this.#snapshot, entries: this.#entries.filter((e) => e.index > snapIndex) };
  }

  append(entries: readonly LogEntry[]): void {
    for (const e of entries) {
      if (e.index !== this.#lastIndex + 1) assert(false, `appended index ${e.index} follows ${this.#lastIndex}`);
      assert(e.term >= 1 && e.type >= 0 && e.type <= 255, "entry term and type in range");
      // A copy: the caller may hand us a view into a ring that is about to be reused.
      this.#pending.push({ index: e.index, term: e.term, type: e.type, data: e.data.slice() });
      this.#lastIndex = e.index;
    }
  }

  truncateFrom(index: number): void {
    const snapIndex = this.#snapshot?.meta.lastIndex ?? 0;
    assert(index > snapIndex, `truncation at ${index} keeps the snapshot's entries (≤ ${snapIndex})`);
    assert(index <= this.#lastIndex + 1, `truncation at ${index} within the log (last ${this.#lastIndex})`);
    this.#pending = this.#pending.filter((e) => e.index < index);
    this.#entries = this.#entries.filter((e) => e.index < index);
    this.#lastIndex = index - 1;
  }

  setHardState(state: HardState): void {
    this.#pendingHardState = state;
  }

  flush(): void {
    if (this.#pendingHardState !== null) this.#hardState = this.#pendingHardState;
    this.#pendingHardState = null;
    if (this.#pending.length === 0) return;
    for (const e of this.#pending) {
      this.#entries.push(e);
      this.#bytesWritten += e.data.length;
    }
    this.#recordsWritten += this.#pending.length;
    this.#flushCount++;
    this.#pending = [];
  }

  saveSnapshot(meta: SnapshotMeta, data: Uint8Array): void {
    const snapIndex = this.#snapshot?.meta.lastIndex ?? 0;
    assert(meta.lastIndex > snapIndex, `snapshot at ${meta.lastIndex} is newer than ${snapIndex}`);
    this.flush();
    this.#snapshot = { meta: { lastIndex: meta.lastIndex, lastTerm: meta.lastTerm, config: meta.config.slice() }, data: data.slice() };
    const at = this.#entries.find((e) => e.index === meta.lastIndex);
    if (at === undefined || at.term !== meta.lastTerm) {
      // Same rule as FileStorage: a log that does not hold the snapshot's last entry goes.
      this.#entries = [];
      this.#lastIndex = meta.lastIndex;
    }
  }

  compactTo(index: number): void {
    const snapIndex = this.#snapshot?.meta.lastIndex ?? 0;
    assert(index <= snapIndex, `compaction to ${index} is covered by the snapshot at ${snapIndex}`);
    this.#entries = this.#entries.filter((e) => e.index > index);
  }

  readSnapshot(): Snapshot | null {
    return this.#snapshot;
  }

  stats(): StorageStats {
    return { fsyncCount: 0, fsyncMicrosTotal: 0, flushCount: this.#flushCount, recordsWritten: this.#recordsWritten, bytesWritten: this.#bytesWritten };
  }

  close(): void {}
}
