// Storage in a directory: log segments, the hard state, snapshots (layouts in codec.ts).
//
// Durability rules:
// - Group commit: append() encodes records into one buffer; flush() writes it with one write
//   call and makes it durable with one fdatasync (fsync on: `raft.log-fsync yes`).
// - The hard state and snapshots are replaced atomically: write <name>.tmp, fsync, rename,
//   fsync the directory. A crash in between leaves the old file, and the tmp is removed at open.
// - Segments are preallocated with zeros a chunk at a time: overwriting allocated blocks makes
//   fdatasync skip the file-size metadata update (~1.9× the fsyncs per second of appending, see
//   bench/storage.ts). A segment is trimmed to its records when the next one starts, so only the
//   last segment has trailing zeros.
// - Any I/O error while writing fails the storage for good (StorageFailedError): after a failed
//   fsync the kernel's page cache may hold data that never reached the disk, so retrying could
//   report durability that is not there. Recovery on restart truncates what was half written.
// - `fsync: false` skips every fsync: survives a process crash, not a power loss.

import { logFlushBufferInitialBytes, logPreallocateChunkBytes, logSegmentBytes, snapshotsKeptCount } from "../constants.ts";
import { assert } from "../util/assert.ts";
import { log as defaultLog, type LogLevel } from "../util/log.ts";
import {
  decodeHardState,
  decodeSnapshot,
  encodeHardState,
  encodeRecord,
  encodeSnapshotHead,
  getU64,
  HARD_STATE_FILE,
  parseSegmentName,
  parseSnapshotName,
  RECORD_HEADER_BYTES,
  segmentName,
  snapshotCrc,
  snapshotName,
  TMP_SUFFIX,
} from "./codec.ts";
import { type FileSystem, nodeFileSystem, writeFully } from "./fs.ts";
import { scanSegment } from "./segment-scan.ts";
import {
  type HardState,
  type LogEntry,
  type RecoveredState,
  type Snapshot,
  type SnapshotMeta,
  type Storage,
  StorageCorruptError,
  StorageFailedError,
  type StorageStats,
} from "./types.ts";

export interface FileStorageOptions {
  /** false skips fsync (`raft.log-fsync no`). Default true. */
  readonly fsync?: boolean;
  readonly fs?: FileSystem;
  /** A segment rolls over once it holds this many bytes. */
  readonly segmentBytes?: number;
  /** Zeros written ahead of the log, per chunk; 0 turns preallocation off. */
  readonly preallocateBytes?: number;
  readonly snapshotsKept?: number;
  readonly log?: (level: LogLevel, message: string) => void;
}

interface Segment {
  readonly name: string;
  readonly firstIndex: number;
  /** Byte offset of each record: offsets[i] holds index firstIndex + i. */
  readonly offsets: number[];
  /** Bytes of records; the file may be longer (preallocated zeros). */
  size: number;
}

const segmentLastIndex = (s: Segment): number => s.firstIndex + s.offsets.length - 1;

export class FileStorage implements Storage {
  readonly #dir: string;
  readonly #fs: FileSystem;
  readonly #fsync: boolean;
  readonly #segmentBytes: number;
  readonly #preallocateBytes: number;
  readonly #snapshotsKept: number;
  readonly #log: (level: LogLevel, message: string) => void;
  #opened = false;
  #failed: StorageFailedError | null = null;

  /** In index order; the last one is where appends go. */
  #segments: Segment[] = [];
  /** fd of the last segment, or -1 when not open. */
  #fd = -1;
  /** Length of the last segment's file (records plus preallocated zeros). */
  #allocated = 0;
  #snapshotIndex = 0;
  /** lastIndex of each snapshot file kept on disk, oldest first. */
  #snapshots: number[] = [];
  /** Last index appended (queued included); ≥ snapshot index. */
  #lastIndex = 0;

  // The group-commit batch: encoded records of entries pendingFirst, pendingFirst + 1, ...
  #pending = new Uint8Array(logFlushBufferInitialBytes);
  #pendingView = new DataView(this.#pending.buffer);
  #pendingBytes = 0;
  #pendingFirst = 0;
  #pendingOffsets: number[] = [];
  #pendingHardState: HardState | null = null;

  #fsyncCount = 0;
  #fsyncMicros = 0;
  #flushCount = 0;
  #recordsWritten = 0;
  #bytesWritten = 0;

  constructor(dir: string, options: FileStorageOptions = {}) {
    this.#dir = dir;
    this.#fs = options.fs ?? nodeFileSystem;
    this.#fsync = options.fsync ?? true;
    this.#segmentBytes = options.segmentBytes ?? logSegmentBytes;
    this.#preallocateBytes = options.preallocateBytes ?? logPreallocateChunkBytes;
    this.#snapshotsKept = options.snapshotsKept ?? snapshotsKeptCount;
    this.#log = options.log ?? defaultLog;
    assert(this.#segmentBytes > 0, "segment size is positive");
    assert(this.#snapshotsKept >= 1, "keep at least one snapshot");
  }

  get lastIndex(): number {
    return this.#lastIndex;
  }

  stats(): StorageStats {
    return {
      fsyncCount: this.#fsyncCount,
      fsyncMicrosTotal: this.#fsyncMicros,
      flushCount: this.#flushCount,
      recordsWritten: this.#recordsWritten,
      bytesWritten: this.#bytesWritten,
    };
  }

  open(): RecoveredState {
    assert(!this.#opened, "open() is called once");
    this.#opened = true;
    this.#fs.mkdirp(this.#dir);
    const names = this.#fs.readdir(this.#dir).sort();
    for (const name of names) {
      if (!name.endsWith(TMP_SUFFIX)) continue;
      // A crash between writing and renaming: the file it was replacing is still intact.
      this.#log("notice", `Removing ${name}, left by an interrupted write`);
      this.#fs.unlink(this.#path(name));
    }
    const hardState = this.#recoverHardState(names);
    const { snapshot, corruptAbove } = this.#recoverSnapshot(names);
    const entries = this.#recoverLog(names, snapshot, corruptAbove);
    return { hardState, snapshot, entries };
  }

  append(entries: readonly LogEntry[]): void {
    this.#checkWritable("append");
    let bytes = 0;
    for (const e of entries) bytes += RECORD_HEADER_BYTES + e.data.length;
    this.#reservePending(bytes);
    if (this.#pendingOffsets.length === 0 && entries.length > 0) this.#pendingFirst = entries[0].index;
    for (const e of entries) {
      if (e.index !== this.#lastIndex + 1) assert(false, `appended index ${e.index} follows ${this.#lastIndex}`);
      assert(e.term >= 1 && e.type >= 0 && e.type <= 255, "entry term and type in range");
      this.#pendingOffsets.push(this.#pendingBytes);
      this.#pendingBytes += encodeRecord(this.#pending, this.#pendingView, this.#pendingBytes, e);
      this.#lastIndex = e.index;
    }
  }

  setHardState(state: HardState): void {
    this.#checkWritable("set the hard state");
    this.#pendingHardState = state;
  }

  flush(): void {
    this.#checkWritable("flush");
    if (this.#pendingHardState !== null) {
      // Before the records: entries of a term must never be durable without that term.
      const state = this.#pendingHardState;
      this.#guard("write the hard state", () => this.#replaceFile(HARD_STATE_FILE, [encodeHardState(state)]));
      this.#pendingHardState = null;
    }
    if (this.#pendingOffsets.length === 0) return;
    const batch = this.#pending.subarray(0, this.#pendingBytes);
    const segment = this.#guard("write the log", () => {
      const s = this.#segmentFor(this.#pendingFirst, batch.length);
      writeFully(this.#fs, this.#fd, batch, s.size);
      if (this.#fsync) this.#timedSync(() => this.#fs.dataSync(this.#fd));
      return s;
    });
    for (const offset of this.#pendingOffsets) segment.offsets.push(segment.size + offset);
    segment.size += batch.length;
    this.#allocated = Math.max(this.#allocated, segment.size);
    this.#flushCount++;
    this.#recordsWritten += this.#pendingOffsets.length;
    this.#bytesWritten += batch.length;
    this.#pendingBytes = 0;
    this.#pendingOffsets = [];
    if (this.#pending.length > logFlushBufferInitialBytes * 16) {
      this.#pending = new Uint8Array(logFlushBufferInitialBytes);
      this.#pendingView = new DataView(this.#pending.buffer);
    }
  }

  truncateFrom(index: number): void {
    this.#checkWritable("truncate the log");
    assert(index > this.#snapshotIndex, `truncation at ${index} keeps the snapshot's entries (≤ ${this.#snapshotIndex})`);
    assert(index <= this.#lastIndex + 1, `truncation at ${index} within the log (last ${this.#lastIndex})`);
    if (index === this.#lastIndex + 1) return;
    this.#lastIndex = index - 1;
    if (this.#pendingOffsets.length > 0 && index >= this.#pendingFirst) {
      const keep = index - this.#pendingFirst;
      if (keep < this.#pendingOffsets.length) this.#pendingBytes = this.#pendingOffsets[keep];
      this.#pendingOffsets.length = keep;
      return;
    }
    this.#pendingBytes = 0;
    this.#pendingOffsets = [];
    this.#guard("truncate the log", () => this.#truncateSegments(index));
  }

  saveSnapshot(meta: SnapshotMeta, data: Uint8Array): void {
    this.#checkWritable("save a snapshot");
    assert(meta.lastIndex > this.#snapshotIndex, `snapshot at ${meta.lastIndex} is newer than ${this.#snapshotIndex}`);
    assert(meta.lastTerm >= 1, "snapshot term ≥ 1");
    this.flush();
    const head = encodeSnapshotHead(meta, data.length);
    const name = snapshotName(meta.lastIndex);
    const logMatches = this.#guard("save a snapshot", () => {
      this.#replaceFile(name, [head, data, snapshotCrc(head, data)]);
      // Raft: a log that does not hold the snapshot's last entry (same index and term) is
      // discarded whole, now, so recovery never pairs this snapshot with a conflicting log.
      if (this.#termAt(meta.lastIndex) === meta.lastTerm) return true;
      if (this.#segments.length > 0) this.#truncateSegments(this.#segments[0].firstIndex);
      return false;
    });
    this.#lastIndex = logMatches ? Math.max(this.#lastIndex, meta.lastIndex) : meta.lastIndex;
    this.#snapshotIndex = meta.lastIndex;
    this.#snapshots.push(meta.lastIndex);
    while (this.#snapshots.length > this.#snapshotsKept) {
      const old = this.#snapshots.shift() as number;
      this.#guard("remove an old snapshot", () => this.#fs.unlink(this.#path(snapshotName(old))));
    }
  }

  compactTo(index: number): void {
    this.#checkWritable("compact the log");
    assert(index <= this.#snapshotIndex, `compaction to ${index} is covered by the snapshot at ${this.#snapshotIndex}`);
    this.#guard("compact the log", () => {
      while (this.#segments.length > 0 && segmentLastIndex(this.#segments[0]) <= index) {
        const segment = this.#segments.shift() as Segment;
        if (this.#segments.length === 0) this.#closeSegment();
        this.#fs.unlink(this.#path(segment.name));
      }
    });
  }

  readSnapshot(): Snapshot | null {
    assert(this.#opened, "open() first");
    if (this.#snapshotIndex === 0) return null;
    const name = snapshotName(this.#snapshotIndex);
    const decoded = decodeSnapshot(this.#fs.readFile(this.#path(name)));
    if (typeof decoded === "string") throw new StorageCorruptError(name, 0, decoded);
    return decoded;
  }

  close(): void {
    if (this.#fd >= 0) {
      try {
        this.#fs.close(this.#fd);
      } catch {
        // Nothing was pending on it that close could make durable.
      }
      this.#fd = -1;
    }
  }

  // ---- recovery ----

  #recoverHardState(names: string[]): HardState | null {
    if (!names.includes(HARD_STATE_FILE)) return null;
    const state = decodeHardState(this.#fs.readFile(this.#path(HARD_STATE_FILE)));
    if (typeof state === "string") throw new StorageCorruptError(HARD_STATE_FILE, 0, state);
    return state;
  }

  /**
   * The newest snapshot that decodes. An unreadable newer one is only skipped if the log still
   * holds everything it covered (checked by #recoverLog through `corruptAbove`).
   */
  #recoverSnapshot(names: string[]): { snapshot: Snapshot | null; corruptAbove: { name: string; index: number; reason: string } | null } {
    const indexes = names.map(parseSnapshotName).filter((i): i is number => i !== null).sort((a, b) => a - b);
    let corruptAbove: { name: string; index: number; reason: string } | null = null;
    for (let i = indexes.length - 1; i >= 0; i--) {
      const name = snapshotName(indexes[i]);
      const decoded = decodeSnapshot(this.#fs.readFile(this.#path(name)));
      if (typeof decoded === "string" || decoded.meta.lastIndex !== indexes[i]) {
        const reason = typeof decoded === "string" ? decoded : `holds index ${decoded.meta.lastIndex}`;
        this.#log("warning", `Snapshot ${name} is unreadable (${reason}); trying an older one`);
        corruptAbove ??= { name, index: indexes[i], reason };
        continue;
      }
      this.#snapshots = indexes.slice(0, i + 1);
      this.#snapshotIndex = decoded.meta.lastIndex;
      return { snapshot: decoded, corruptAbove };
    }
    return { snapshot: null, corruptAbove };
  }

  #recoverLog(names: string[], snapshot: Snapshot | null, corruptAbove: { name: string; index: number; reason: string } | null): LogEntry[] {
    const snapIndex = snapshot?.meta.lastIndex ?? 0;
    const firsts = names.map(parseSegmentName).filter((i): i is number => i !== null).sort((a, b) => a - b);
    let entries: LogEntry[] = [];
    let prevTerm = 0;
    let snapshotTermInLog = 0;
    for (let i = 0; i < firsts.length; i++) {
      const name = segmentName(firsts[i]);
      const isLast = i === firsts.length - 1;
      const previous = this.#segments.at(-1);
      if (previous !== undefined && firsts[i] !== segmentLastIndex(previous) + 1) {
        throw new StorageCorruptError(name, 0, `segment starts at index ${firsts[i]} but ${previous.name} ends at ${segmentLastIndex(previous)}`);
      }
      const bytes = this.#fs.readFile(this.#path(name));
      const scan = scanSegment(name, bytes, firsts[i], prevTerm, isLast);
      if (scan.torn !== null) {
        this.#log("warning", `Truncating a torn write at the end of ${name}: ${bytes.length - scan.dataEnd} bytes from byte ${scan.dataEnd} (${scan.torn})`);
      }
      if (bytes.length !== scan.dataEnd) this.#trimFile(name, scan.dataEnd);
      this.#segments.push({ name, firstIndex: firsts[i], offsets: scan.offsets, size: scan.dataEnd });
      for (const e of scan.entries) {
        if (e.index === snapIndex) snapshotTermInLog = e.term;
        if (e.index > snapIndex) entries.push(e);
      }
      if (scan.entries.length > 0) prevTerm = scan.entries[scan.entries.length - 1].term;
    }
    // Segments wholly covered by the snapshot: compaction that a crash interrupted.
    while (snapIndex > 0 && this.#segments.length > 0 && segmentLastIndex(this.#segments[0]) <= snapIndex) {
      const stale = this.#segments.shift() as Segment;
      this.#fs.unlink(this.#path(stale.name));
    }
    const first = this.#segments[0];
    if (first !== undefined && first.firstIndex > snapIndex + 1) {
      const why = snapIndex === 0 ? "no snapshot covers the entries before it" : `the snapshot ends at ${snapIndex}: entries ${snapIndex + 1}..${first.firstIndex - 1} are missing`;
      throw new StorageCorruptError(first.name, 0, `the log starts at index ${first.firstIndex} but ${why}`);
    }
    if (snapshot !== null && snapshotTermInLog !== 0 && snapshotTermInLog !== snapshot.meta.lastTerm) {
      // A crash interrupted saveSnapshot before it discarded a conflicting log: finish it.
      this.#log("warning", `The log holds term ${snapshotTermInLog} at the snapshot's index ${snapIndex}, not ${snapshot.meta.lastTerm}: discarding the log`);
      entries = [];
      if (this.#segments.length > 0) this.#truncateSegments(this.#segments[0].firstIndex);
    }
    this.#lastIndex = Math.max(snapIndex, this.#segments.length > 0 ? segmentLastIndex(this.#segments[this.#segments.length - 1]) : 0);
    if (corruptAbove !== null && this.#lastIndex < corruptAbove.index) {
      throw new StorageCorruptError(corruptAbove.name, 0, `${corruptAbove.reason}, and the log (to index ${this.#lastIndex}) does not hold the entries it covered`);
    }
    return entries;
  }

  #trimFile(name: string, length: number): void {
    const fd = this.#fs.open(this.#path(name), "update");
    try {
      this.#fs.truncate(fd, length);
      if (this.#fsync) this.#timedSync(() => this.#fs.sync(fd));
    } finally {
      this.#fs.close(fd);
    }
  }

  // ---- writing ----

  /** The segment the batch of entries from `firstIndex` goes to: rolls over, preallocates. */
  #segmentFor(firstIndex: number, batchBytes: number): Segment {
    let segment = this.#segments.at(-1);
    if (segment !== undefined && this.#fd < 0) {
      this.#fd = this.#fs.open(this.#path(segment.name), "update");
      this.#allocated = this.#fs.size(this.#fd);
    }
    if (segment !== undefined) assert(segmentLastIndex(segment) + 1 === firstIndex, "the batch continues the last segment");
    if (segment === undefined || (segment.size > 0 && segment.size + batchBytes > this.#segmentBytes)) {
      this.#closeSegment();
      segment = { name: segmentName(firstIndex), firstIndex, offsets: [], size: 0 };
      this.#fd = this.#fs.open(this.#path(segment.name), "create");
      this.#allocated = 0;
      if (this.#fsync) this.#timedSync(() => this.#fs.syncDir(this.#dir));
      this.#segments.push(segment);
    }
    const needed = segment.size + batchBytes;
    if (this.#preallocateBytes > 0 && needed > this.#allocated) {
      const target = Math.ceil(needed / this.#preallocateBytes) * this.#preallocateBytes;
      writeFully(this.#fs, this.#fd, new Uint8Array(target - this.#allocated), this.#allocated);
      this.#allocated = target;
    }
    return segment;
  }

  /** Trims the last segment's preallocated zeros (only the last segment may have them) and closes it. */
  #closeSegment(): void {
    if (this.#fd < 0) return;
    const segment = this.#segments.at(-1);
    if (segment !== undefined && this.#allocated > segment.size) {
      this.#fs.truncate(this.#fd, segment.size);
      if (this.#fsync) this.#timedSync(() => this.#fs.sync(this.#fd));
    }
    this.#fs.close(this.#fd);
    this.#fd = -1;
    this.#allocated = 0;
  }

  /** Removes durable entries ≥ index from disk, durably (a removed suffix must not come back). */
  #truncateSegments(index: number): void {
    let unlinked = false;
    while (this.#segments.length > 0 && this.#segments[this.#segments.length - 1].firstIndex >= index) {
      const segment = this.#segments.pop() as Segment;
      if (this.#fd >= 0) {
        this.#fs.close(this.#fd);
        this.#fd = -1;
      }
      this.#fs.unlink(this.#path(segment.name));
      unlinked = true;
    }
    const last = this.#segments.at(-1);
    if (last !== undefined && segmentLastIndex(last) >= index) {
      const keep = index - last.firstIndex;
      last.size = last.offsets[keep];
      last.offsets.length = keep;
      if (this.#fd < 0) this.#fd = this.#fs.open(this.#path(last.name), "update");
      this.#fs.truncate(this.#fd, last.size);
      this.#allocated = last.size;
      if (this.#fsync) this.#timedSync(() => this.#fs.sync(this.#fd));
    }
    if (unlinked && this.#fsync) this.#timedSync(() => this.#fs.syncDir(this.#dir));
  }

  /** Term of durable entry `index`, or 0 when the log does not hold it. */
  #termAt(index: number): number {
    const segment = this.#segments.find((s) => s.firstIndex <= index && index <= segmentLastIndex(s));
    if (segment === undefined) return 0;
    const header = new Uint8Array(RECORD_HEADER_BYTES);
    const fd = this.#fs.open(this.#path(segment.name), "read");
    try {
      const n = this.#fs.read(fd, header, segment.offsets[index - segment.firstIndex]);
      assert(n === RECORD_HEADER_BYTES, "a durable record header reads back whole");
    } finally {
      this.#fs.close(fd);
    }
    return getU64(new DataView(header.buffer), 8);
  }

  /** Atomic replacement: <name>.tmp written and fsynced, renamed over <name>, directory fsynced. */
  #replaceFile(name: string, parts: Uint8Array[]): void {
    const tmp = this.#path(name + TMP_SUFFIX);
    const fd = this.#fs.open(tmp, "replace");
    try {
      let at = 0;
      for (const part of parts) {
        writeFully(this.#fs, fd, part, at);
        at += part.length;
      }
      if (this.#fsync) this.#timedSync(() => this.#fs.sync(fd));
    } finally {
      this.#fs.close(fd);
    }
    this.#fs.rename(tmp, this.#path(name));
    if (this.#fsync) this.#timedSync(() => this.#fs.syncDir(this.#dir));
  }

  #reservePending(bytes: number): void {
    const needed = this.#pendingBytes + bytes;
    if (needed <= this.#pending.length) return;
    let size = this.#pending.length * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#pending.subarray(0, this.#pendingBytes));
    this.#pending = grown;
    this.#pendingView = new DataView(grown.buffer);
  }

  #timedSync(sync: () => void): void {
    const start = performance.now();
    sync();
    this.#fsyncMicros += (performance.now() - start) * 1000;
    this.#fsyncCount++;
  }

  #checkWritable(operation: string): void {
    assert(this.#opened, "open() first");
    if (this.#failed !== null) throw new StorageFailedError(operation, this.#failed.cause);
  }

  /** Runs an I/O step; any error fails the storage for good. */
  #guard<T>(operation: string, step: () => T): T {
    try {
      return step();
    } catch (e) {
      this.#failed = new StorageFailedError(operation, e);
      this.#log("warning", this.#failed.message);
      this.close();
      throw this.#failed;
    }
  }

  #path(name: string): string {
    return `${this.#dir}/${name}`;
  }
}
