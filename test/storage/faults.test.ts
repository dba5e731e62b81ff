// Disk faults: a full disk on a log write, on preallocation, on the hard state; a failing fsync.
// Each time the error is clear, the storage refuses every later write (the node must never
// acknowledge what is not durable), and a restart recovers everything that was flushed before.
// As root, also a real tiny tmpfs that fills up.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { afterAll, describe, expect, test } from "bun:test";
import { Rng } from "../../src/engine/rng.ts";
import { FileStorage, type FileStorageOptions } from "../../src/storage/file-storage.ts";
import { type LogEntry, StorageFailedError, type Storage } from "../../src/storage/types.ts";
import { FaultFileSystem } from "./fault-fs.ts";
import { captureLog, expectEntries, makeEntries, removeScratchDirs, scratchDir } from "./helpers.ts";

const mounts: string[] = [];
afterAll(() => {
  for (const dir of mounts) execFileSync("umount", [dir]);
  removeScratchDirs();
});

const hs = { term: 2, vote: 1, clusterId: "c", nodeId: 1 };

/** Every mutating call now throws StorageFailedError naming the original fault. */
function expectRefusesWrites(s: Storage, code: string): void {
  const one = makeEntries(new Rng(1), s.lastIndex + 1, 1, 5);
  const calls: [string, () => void][] = [
    ["append", () => s.append(one)],
    ["flush", () => s.flush()],
    ["setHardState", () => s.setHardState(hs)],
    ["truncateFrom", () => s.truncateFrom(s.lastIndex)],
    ["saveSnapshot", () => s.saveSnapshot({ lastIndex: s.lastIndex, lastTerm: 1, config: new Uint8Array(0) }, new Uint8Array(1))],
    ["compactTo", () => s.compactTo(0)],
  ];
  for (const [name, call] of calls) {
    let thrown: unknown = null;
    try {
      call();
    } catch (e) {
      thrown = e;
    }
    expect({ name, failed: thrown instanceof StorageFailedError }).toEqual({ name, failed: true });
    expect((thrown as Error).message).toContain(code);
    expect((thrown as Error).message).toContain("refuses further writes");
  }
}

/**
 * Every acknowledged (flushed) entry is recovered; after them may come a prefix of the batch
 * whose write failed: never acknowledged, so Raft may keep or lose it.
 */
function expectAckedThenPrefix(got: readonly LogEntry[], acked: LogEntry[], failed: LogEntry[]): void {
  expect(got.length).toBeGreaterThanOrEqual(acked.length);
  expect(got.length).toBeLessThanOrEqual(acked.length + failed.length);
  expectEntries(got, [...acked, ...failed].slice(0, got.length));
}

function faulty(dir: string, options: FileStorageOptions = {}): { storage: FileStorage; faults: FaultFileSystem; lines: string[] } {
  const faults = new FaultFileSystem();
  const captured = captureLog();
  const storage = new FileStorage(dir, { fs: faults, log: captured.log, ...options });
  storage.open();
  return { storage, faults, lines: captured.lines };
}

describe("storage under disk faults", () => {
  const rng = new Rng(21);
  const first = makeEntries(rng, 1, 30, 1, 200);
  const second = makeEntries(rng, 31, 30, 1, 200);

  for (const preallocateBytes of [0, 4096]) {
    test(`ENOSPC in the middle of a log write (preallocation ${preallocateBytes}): clear error, no more writes, flushed data intact`, () => {
      const dir = scratchDir();
      const { storage, faults, lines } = faulty(dir, { preallocateBytes });
      storage.append(first);
      storage.flush();
      // A short write, then a full disk (with preallocation: while extending the zeros).
      faults.spaceLeft = preallocateBytes > 0 ? 100 : 1000;
      storage.append(second);
      expect(() => storage.flush()).toThrow(/Cannot write the log: storage failed \(ENOSPC/);
      expect(lines.some((l) => l.includes("ENOSPC"))).toBe(true);
      expectRefusesWrites(storage, "ENOSPC");
      const captured = captureLog();
      const again = new FileStorage(dir, { log: captured.log, preallocateBytes }).open();
      expectAckedThenPrefix(again.entries, first, second);
      expect(again.entries.length).toBeLessThan(60);
      if (preallocateBytes === 0) expect(captured.lines.some((l) => l.includes("Truncating a torn write"))).toBe(true);
    });
  }

  test("a failing fsync fails the storage: the batch is not acknowledged and nothing more is written", () => {
    const dir = scratchDir();
    const { storage, faults } = faulty(dir);
    storage.append(first);
    storage.flush();
    faults.failSyncWith = "EIO";
    storage.append(second);
    expect(() => storage.flush()).toThrow(/Cannot write the log: storage failed \(EIO/);
    faults.failSyncWith = null; // even once the disk "recovers", the storage stays failed
    expectRefusesWrites(storage, "EIO");
    // The page cache may or may not have kept the unacknowledged batch; the flushed part is there.
    expectAckedThenPrefix(new FileStorage(dir).open().entries, first, second);
  });

  test("ENOSPC while writing the hard state keeps the previous hard state", () => {
    const dir = scratchDir();
    const { storage, faults } = faulty(dir);
    storage.setHardState(hs);
    storage.flush();
    faults.spaceLeft = 10;
    storage.setHardState({ ...hs, term: 3 });
    expect(() => storage.flush()).toThrow(/Cannot write the hard state: storage failed \(ENOSPC/);
    expectRefusesWrites(storage, "ENOSPC");
    expect(new FileStorage(dir).open().hardState).toEqual(hs);
  });

  test("ENOSPC while saving a snapshot keeps the previous state and the log", () => {
    const dir = scratchDir();
    const { storage, faults } = faulty(dir);
    storage.append(first);
    storage.flush();
    faults.spaceLeft = 1000;
    expect(() => storage.saveSnapshot({ lastIndex: 20, lastTerm: 1, config: new Uint8Array(0) }, new Uint8Array(5000))).toThrow(
      /Cannot save a snapshot: storage failed \(ENOSPC/,
    );
    const again = new FileStorage(dir).open();
    expect(again.snapshot).toBeNull();
    expectEntries(again.entries, first);
  });

  const root = process.getuid?.() === 0;
  test.skipIf(!root)("a real 256 KiB tmpfs that fills up: the write fails with ENOSPC and recovery keeps every flushed entry", () => {
    const dir = scratchDir();
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", dir], { stdio: "ignore" });
    } catch {
      console.log("tmpfs mount not permitted here; the fault file system tests cover ENOSPC");
      return;
    }
    mounts.push(dir);
    const storage = new FileStorage(dir, { preallocateBytes: 0, log: captureLog().log });
    storage.open();
    const flushed: LogEntry[] = [];
    let failed: LogEntry[] = [];
    let failure: unknown = null;
    const fill = new Rng(22);
    for (let index = 1; failure === null; index += 10) {
      const batch = makeEntries(fill, index, 10, 1, 2000);
      storage.append(batch);
      try {
        storage.flush();
        flushed.push(...batch);
      } catch (e) {
        failure = e;
        failed = batch;
      }
    }
    expect(failure).toBeInstanceOf(StorageFailedError);
    expect((failure as Error).message).toContain("ENOSPC");
    expect(flushed.length).toBeGreaterThan(50);
    expectRefusesWrites(storage, "ENOSPC");
    const again = new FileStorage(dir, { preallocateBytes: 0, log: captureLog().log }).open();
    expectAckedThenPrefix(again.entries, flushed, failed);
    expect(fs.readdirSync(dir).some((n) => n.endsWith(".seg"))).toBe(true);
  });
});
