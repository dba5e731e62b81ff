// Recovery from damaged directories: a torn tail cut at every byte of the last record (with and
// without preallocated zeros), bit flips in the middle (a clear error naming file and offset)
// and in the tail (truncated), crashes between write and rename, interrupted compaction and
// snapshot installs, gaps, and unreadable snapshots and hard state.

import * as fs from "node:fs";
import { afterAll, describe, expect, test } from "bun:test";
import { Rng } from "../../src/engine/rng.ts";
import { HARD_STATE_FILE, RECORD_HEADER_BYTES, segmentName, snapshotName } from "../../src/storage/codec.ts";
import { FileStorage, type FileStorageOptions } from "../../src/storage/file-storage.ts";
import { type LogEntry, StorageCorruptError, StorageFailedError } from "../../src/storage/types.ts";
import { FaultFileSystem } from "./fault-fs.ts";
import { captureLog, expectEntries, makeEntries, removeScratchDirs, scratchDir, segmentFiles } from "./helpers.ts";

afterAll(removeScratchDirs);

const quick: FileStorageOptions = { fsync: false, preallocateBytes: 0 };
const config = new Uint8Array([4, 2]);

/** A directory holding `entries` written in batches of `batch`; returns it closed. */
function writeLog(entries: LogEntry[], batch: number, options: FileStorageOptions = quick): string {
  const dir = scratchDir();
  const s = new FileStorage(dir, options);
  s.open();
  for (let i = 0; i < entries.length; i += batch) {
    s.append(entries.slice(i, i + batch));
    s.flush();
  }
  s.close();
  return dir;
}

function reopen(dir: string, options: FileStorageOptions = quick): { entries: readonly LogEntry[]; lines: string[]; storage: FileStorage } {
  const captured = captureLog();
  const storage = new FileStorage(dir, { ...options, log: captured.log });
  const state = storage.open();
  return { entries: state.entries, lines: captured.lines, storage };
}

function corruptError(dir: string): StorageCorruptError {
  try {
    reopen(dir);
  } catch (e) {
    if (e instanceof StorageCorruptError) return e;
    throw e;
  }
  throw new Error("recovery accepted a corrupt directory");
}

/** Start offsets of the records of a segment file written from `entries` (recomputed). */
function recordOffsets(entries: LogEntry[]): number[] {
  const offsets: number[] = [];
  let at = 0;
  for (const e of entries) {
    offsets.push(at);
    at += RECORD_HEADER_BYTES + e.data.length;
  }
  return offsets;
}

describe("storage recovery", () => {
  const entries = makeEntries(new Rng(11), 1, 20, 1, 60);
  const lastStart = recordOffsets(entries)[19];
  const fileBytes = lastStart + RECORD_HEADER_BYTES + entries[19].data.length;

  test("a tail cut at every byte of the last record is truncated; earlier records survive", () => {
    const dir = writeLog(entries, 7);
    const file = `${dir}/${segmentName(1)}`;
    const whole = fs.readFileSync(file);
    expect(whole.length).toBe(fileBytes);
    for (let cut = lastStart; cut < fileBytes; cut++) {
      fs.writeFileSync(file, whole.subarray(0, cut));
      const { entries: got, lines, storage } = reopen(dir);
      expectEntries(got, entries.slice(0, 19));
      expect(lines.some((l) => l.includes("Truncating a torn write") && l.includes(segmentName(1)))).toBe(cut > lastStart);
      // The torn bytes are gone: the log continues cleanly and reads back.
      storage.append([entries[19]]);
      storage.flush();
      storage.close();
      expectEntries(reopen(dir).entries, entries);
    }
  });

  test("in a preallocated segment, a last record partly zeros is a torn tail; all zeros is the normal end", () => {
    const dir = writeLog(entries, 7, { fsync: false, preallocateBytes: 4096 });
    const file = `${dir}/${segmentName(1)}`;
    const whole = new Uint8Array(fs.readFileSync(file));
    // Reopening trims the zeros; rebuild the preallocated shape by hand for each cut.
    const shaped = new Uint8Array(4096);
    for (let cut = lastStart; cut <= fileBytes; cut++) {
      shaped.fill(0);
      shaped.set(whole.subarray(0, cut));
      fs.writeFileSync(file, shaped);
      const { entries: got, lines, storage } = reopen(dir);
      storage.close();
      expectEntries(got, entries.slice(0, cut === fileBytes ? 20 : 19));
      // A cut inside the header's first 8 bytes can leave only zeros after the last good record.
      const tornBytes = whole.subarray(lastStart, cut).some((b) => b !== 0);
      expect(lines.some((l) => l.includes("Truncating a torn write"))).toBe(cut < fileBytes && tornBytes);
      expect(fs.statSync(file).size).toBe(cut === fileBytes ? fileBytes : lastStart);
    }
  });

  test("a flipped bit anywhere in a middle record stops recovery, naming the file and the record's offset", () => {
    const dir = writeLog(entries, 5);
    const file = `${dir}/${segmentName(1)}`;
    const whole = fs.readFileSync(file);
    const offsets = recordOffsets(entries);
    const start = offsets[9];
    const end = offsets[10];
    for (let at = start; at < end; at++) {
      const damaged = Buffer.from(whole);
      damaged[at] ^= 1 << (at % 8);
      fs.writeFileSync(file, damaged);
      const err = corruptError(dir);
      expect(err.file).toBe(segmentName(1));
      expect(err.offset).toBe(start);
      expect(err.message).toContain(`${segmentName(1)} at byte ${start}`);
      expect(err.message).toContain("record for index 10");
    }
  });

  test("a flipped bit in a segment other than the last is an error even in its final record", () => {
    const many = makeEntries(new Rng(12), 1, 60, 1, 100);
    const dir = writeLog(many, 4, { ...quick, segmentBytes: 1024 });
    const segments = segmentFiles(dir);
    expect(segments.length).toBeGreaterThan(2);
    const first = `${dir}/${segments[0]}`;
    const bytes = fs.readFileSync(first);
    bytes[bytes.length - 1] ^= 0x10;
    fs.writeFileSync(first, bytes);
    const err = corruptError(dir);
    expect(err.file).toBe(segments[0]);
    expect(err.message).toContain("CRC mismatch");
  });

  test("a flipped bit in the last record of the last segment is a torn tail: truncated and logged", () => {
    const dir = writeLog(entries, 5);
    const file = `${dir}/${segmentName(1)}`;
    const bytes = fs.readFileSync(file);
    bytes[lastStart + RECORD_HEADER_BYTES + 1] ^= 0x80;
    fs.writeFileSync(file, bytes);
    const { entries: got, lines } = reopen(dir);
    expectEntries(got, entries.slice(0, 19));
    expect(lines.some((l) => l.includes(`from byte ${lastStart}`) && l.includes("CRC mismatch"))).toBe(true);
  });

  test("garbage after the last record is truncated; a valid record beyond garbage is corruption", () => {
    const dir = writeLog(entries, 5);
    const file = `${dir}/${segmentName(1)}`;
    const whole = fs.readFileSync(file);
    fs.writeFileSync(file, Buffer.concat([whole, Buffer.from("not a record at all, just bytes")]));
    const { entries: got, lines, storage } = reopen(dir);
    storage.close();
    expectEntries(got, entries);
    expect(lines.some((l) => l.includes("Truncating a torn write"))).toBe(true);
    // Damage record 18's length field so it seems to run past the end, with record 19 intact.
    const damaged = Buffer.from(whole);
    damaged.writeUInt32LE(100_000, recordOffsets(entries)[17]);
    fs.writeFileSync(file, damaged);
    const err = corruptError(dir);
    expect(err.offset).toBe(recordOffsets(entries)[17]);
    expect(err.message).toContain("yet a valid record follows");
  });

  test("a record holding the wrong index (a misnamed segment) is corruption", () => {
    const dir = writeLog(entries, 5);
    fs.renameSync(`${dir}/${segmentName(1)}`, `${dir}/${segmentName(2)}`);
    // Also a gap: no snapshot covers index 1.
    expect(corruptError(dir).message).toContain("record holds index 1 where 2 was expected");
  });

  test("gaps: a missing middle segment, a log that starts late, a log that starts after the snapshot", () => {
    const many = makeEntries(new Rng(13), 1, 60, 1, 100);
    const dir = writeLog(many, 4, { ...quick, segmentBytes: 1024 });
    const segments = segmentFiles(dir);
    fs.unlinkSync(`${dir}/${segments[1]}`);
    const err = corruptError(dir);
    expect(err.file).toBe(segments[2]);
    expect(err.message).toContain("ends at");
    fs.unlinkSync(`${dir}/${segments[0]}`);
    expect(corruptError(dir).message).toContain("no snapshot covers the entries before it");

    const dir2 = writeLog(many, 4, { ...quick, segmentBytes: 1024 });
    const s = new FileStorage(dir2, quick);
    s.open();
    s.saveSnapshot({ lastIndex: 10, lastTerm: 1, config }, new Uint8Array(3));
    s.close();
    const kept = segmentFiles(dir2);
    for (const name of kept.slice(0, -1)) fs.unlinkSync(`${dir2}/${name}`);
    expect(corruptError(dir2).message).toMatch(/the snapshot ends at 10: entries 11\.\.\d+ are missing/);
  });

  test("a crash between writing and renaming the hard state keeps the old one; the tmp file is removed", () => {
    for (const crashOp of ["rename", "sync", "write"] as const) {
      const dir = scratchDir();
      const faults = new FaultFileSystem();
      const s = new FileStorage(dir, { fs: faults, log: captureLog().log });
      s.open();
      s.setHardState({ term: 1, vote: 1, clusterId: "c1", nodeId: 1 });
      s.flush();
      faults.crashBefore = (op, path) => op === crashOp && path.endsWith(`${HARD_STATE_FILE}.tmp`);
      s.setHardState({ term: 2, vote: 3, clusterId: "c1", nodeId: 1 });
      expect(() => s.flush()).toThrow(StorageFailedError);
      expect(fs.existsSync(`${dir}/${HARD_STATE_FILE}.tmp`)).toBe(true);
      const captured = captureLog();
      const state = new FileStorage(dir, { log: captured.log }).open();
      expect(state.hardState).toEqual({ term: 1, vote: 1, clusterId: "c1", nodeId: 1 });
      expect(fs.existsSync(`${dir}/${HARD_STATE_FILE}.tmp`)).toBe(false);
      expect(captured.lines.some((l) => l.includes(`${HARD_STATE_FILE}.tmp`))).toBe(true);
    }
  });

  test("a crash before a snapshot's rename keeps the previous snapshot", () => {
    const dir = writeLog(entries, 5);
    const faults = new FaultFileSystem();
    const s = new FileStorage(dir, { ...quick, fs: faults });
    s.open();
    s.saveSnapshot({ lastIndex: 5, lastTerm: 1, config }, new Uint8Array([5]));
    faults.crashBefore = (op) => op === "rename";
    expect(() => s.saveSnapshot({ lastIndex: 15, lastTerm: 1, config }, new Uint8Array([15]))).toThrow(StorageFailedError);
    const state = new FileStorage(dir, quick).open();
    expect(state.snapshot?.meta.lastIndex).toBe(5);
    expect([...(state.snapshot?.data ?? [])]).toEqual([5]);
    expectEntries(state.entries, entries.slice(5));
    expect(fs.readdirSync(dir).some((n) => n.endsWith(".tmp"))).toBe(false);
  });

  test("a crash during compaction: segments the snapshot covers are removed at the next open", () => {
    const many = makeEntries(new Rng(14), 1, 80, 1, 100);
    const dir = writeLog(many, 4, { ...quick, segmentBytes: 1024 });
    const before = segmentFiles(dir).length;
    const faults = new FaultFileSystem();
    const s = new FileStorage(dir, { ...quick, fs: faults, segmentBytes: 1024 });
    s.open();
    s.saveSnapshot({ lastIndex: 60, lastTerm: 1, config }, new Uint8Array(1));
    let unlinks = 0;
    faults.crashBefore = (op) => op === "unlink" && ++unlinks === 2;
    expect(() => s.compactTo(60)).toThrow(StorageFailedError);
    expect(segmentFiles(dir).length).toBe(before - 1);
    const { entries: got } = reopen(dir, { ...quick, segmentBytes: 1024 });
    expectEntries(got, many.slice(60));
    expect(segmentFiles(dir).length).toBeLessThan(before - 1);
  });

  test("a crash while a snapshot install discards a conflicting log: recovery finishes the discard", () => {
    const many = makeEntries(new Rng(15), 1, 80, 1, 100);
    const dir = writeLog(many, 4, { ...quick, segmentBytes: 1024 });
    const faults = new FaultFileSystem();
    const s = new FileStorage(dir, { ...quick, fs: faults, segmentBytes: 1024 });
    s.open();
    faults.crashBefore = (op, path) => op === "unlink" && path.endsWith(".seg");
    expect(() => s.saveSnapshot({ lastIndex: 50, lastTerm: 2, config }, new Uint8Array(1))).toThrow(StorageFailedError);
    const { entries: got, lines, storage } = reopen(dir, { ...quick, segmentBytes: 1024 });
    expect(got).toEqual([]);
    expect(storage.lastIndex).toBe(50);
    expect(lines.some((l) => l.includes("discarding the log"))).toBe(true);
    const after = makeEntries(new Rng(16), 51, 5, 2);
    storage.append(after);
    storage.flush();
    storage.close();
    expectEntries(reopen(dir, { ...quick, segmentBytes: 1024 }).entries, after);
  });

  test("an unreadable newest snapshot: fall back to the older one only if the log covers the difference", () => {
    const dir = writeLog(entries, 5);
    const s = new FileStorage(dir, quick);
    s.open();
    s.saveSnapshot({ lastIndex: 5, lastTerm: 1, config }, new Uint8Array([5]));
    s.saveSnapshot({ lastIndex: 12, lastTerm: 1, config }, new Uint8Array([12]));
    s.close();
    const newest = `${dir}/${snapshotName(12)}`;
    const bytes = fs.readFileSync(newest);
    bytes[bytes.length - 6] ^= 1;
    fs.writeFileSync(newest, bytes);
    const { entries: got, lines, storage } = reopen(dir);
    storage.close();
    expectEntries(got, entries.slice(5));
    expect(lines.some((l) => l.includes(snapshotName(12)) && l.includes("unreadable"))).toBe(true);
    // Once the log no longer covers 6..12, the same damage is fatal.
    const t = new FileStorage(dir, quick);
    t.open();
    t.compactTo(5);
    t.truncateFrom(8);
    t.close();
    const err = corruptError(dir);
    expect(err.file).toBe(snapshotName(12));
    expect(err.message).toContain("does not hold the entries it covered");
  });

  test("an unreadable hard state stops recovery", () => {
    const dir = scratchDir();
    const s = new FileStorage(dir, quick);
    s.open();
    s.setHardState({ term: 9, vote: 1, clusterId: "x", nodeId: 2 });
    s.flush();
    const file = `${dir}/${HARD_STATE_FILE}`;
    const bytes = fs.readFileSync(file);
    bytes[6] ^= 4;
    fs.writeFileSync(file, bytes);
    const err = corruptError(dir);
    expect(err.file).toBe(HARD_STATE_FILE);
    expect(err.message).toContain("CRC mismatch");
  });
});
