// The storage contract the storage worker drives: the durable Raft log, hard state and
// snapshots. Two implementations: FileStorage (segments in a directory) and MemoryStorage
// (`raft.storage memory`: nothing on disk).

/** One Raft log entry as stored. */
export interface LogEntry {
  /** ≥ 1; consecutive entries have consecutive indexes. */
  readonly index: number;
  /** ≥ 1; never decreases along the log. */
  readonly term: number;
  /** Entry kind (normal, config change, no-op, ...): opaque to storage, 0..255. */
  readonly type: number;
  /** The entry's bytes; storage copies them, so the caller may reuse the buffer. */
  readonly data: Uint8Array;
}

/**
 * What a node must remember across restarts besides its log. The commit index is not here: it
 * is recovered from the cluster, and rewriting this file on every commit would cost fsyncs.
 */
export interface HardState {
  readonly term: number;
  /** Node id voted for in `term`, 0 for none. */
  readonly vote: number;
  /** The cluster's dbid (RedisRaft's name); fixed at RAFT.CLUSTER INIT. */
  readonly clusterId: string;
  readonly nodeId: number;
}

export interface SnapshotMeta {
  /** Index and term of the last entry the snapshot covers. */
  readonly lastIndex: number;
  readonly lastTerm: number;
  /** The cluster membership as of lastIndex, encoded by the caller. */
  readonly config: Uint8Array;
}

export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

export interface RecoveredState {
  /** null for a node that was never initialized. */
  readonly hardState: HardState | null;
  readonly snapshot: Snapshot | null;
  /** The log after the snapshot (or from index 1), in order. */
  readonly entries: readonly LogEntry[];
}

export interface StorageStats {
  /** fsync/fdatasync calls made (log group commits, hard state, snapshots, directories). */
  readonly fsyncCount: number;
  /** Total time spent in those calls. */
  readonly fsyncMicrosTotal: number;
  /** flush() calls that wrote something. */
  readonly flushCount: number;
  /** Log records written. */
  readonly recordsWritten: number;
  readonly bytesWritten: number;
}

/**
 * The Raft log's durable store. Calls are synchronous (the storage worker owns the disk).
 * Group commit: append() and setHardState() only queue; flush() makes everything queued durable
 * with one write and one fsync for the log. Nothing queued may be acknowledged before flush()
 * returns. After an I/O failure every call throws StorageFailedError: the node must stop
 * acknowledging rather than claim durability it does not have.
 */
export interface Storage {
  /** Loads the durable state; called once, before anything else. */
  open(): RecoveredState;
  /** Queues entries; their indexes must continue the log (lastIndex + 1, ...). */
  append(entries: readonly LogEntry[]): void;
  /** Removes entries ≥ index (a conflicting suffix), queued or durable; durable on return. */
  truncateFrom(index: number): void;
  /** Queues the hard state; flush() writes it (before the log records it covers). */
  setHardState(state: HardState): void;
  /** Writes everything queued: one write and one fsync for the log records. */
  flush(): void;
  /** Writes a snapshot atomically; durable on return. Older snapshots beyond the kept count go. */
  saveSnapshot(meta: SnapshotMeta, data: Uint8Array): void;
  /** Drops log entries ≤ index that a saved snapshot covers (whole segments on disk). */
  compactTo(index: number): void;
  /** The newest saved snapshot, for sending to a follower. */
  readSnapshot(): Snapshot | null;
  /** Index of the last entry appended (queued ones included), or the snapshot's, or 0. */
  readonly lastIndex: number;
  stats(): StorageStats;
  close(): void;
}

/** Recovery found data it cannot trust; the node must not start on it. */
export class StorageCorruptError extends Error {
  override name = "StorageCorruptError";
  constructor(
    readonly file: string,
    readonly offset: number,
    reason: string,
  ) {
    super(`Cannot recover storage: ${file} at byte ${offset}: ${reason}`);
  }
}

/** An earlier write or fsync failed; nothing more is written until a restart recovers. */
export class StorageFailedError extends Error {
  override name = "StorageFailedError";
  constructor(
    operation: string,
    override readonly cause: unknown,
  ) {
    super(`Cannot ${operation}: storage failed (${cause instanceof Error ? cause.message : String(cause)}) and refuses further writes`);
  }
}
