// Group commit: whatever was queued goes to disk in one write call and one fsync per flush
// (BUN-NOTES: separate writes per record cap throughput), and the stats report them.

import { afterAll, expect, test } from "bun:test";
import { Rng } from "../../src/engine/rng.ts";
import { FileStorage } from "../../src/storage/file-storage.ts";
import { FaultFileSystem } from "./fault-fs.ts";
import { expectEntries, makeEntries, removeScratchDirs, scratchDir } from "./helpers.ts";

afterAll(removeScratchDirs);

test("each flush is one write and one fsync, however many records it carries", () => {
  const faults = new FaultFileSystem();
  const dir = scratchDir();
  const storage = new FileStorage(dir, { fs: faults, preallocateBytes: 0 });
  storage.open();
  const rng = new Rng(31);
  const all = makeEntries(rng, 1, 2000, 1, 100);
  // The first flush also creates the segment (one directory fsync).
  storage.append(all.slice(0, 1));
  storage.flush();
  const writes = faults.writes;
  const syncs = faults.syncs;
  for (let i = 1; i < 2000; i += 111) {
    // Entries arrive in several append calls between flushes, as they come off the ring.
    for (let j = i; j < Math.min(i + 111, 2000); j += 37) storage.append(all.slice(j, Math.min(j + 37, i + 111, 2000)));
    storage.flush();
  }
  const flushes = Math.ceil(1999 / 111);
  expect(faults.writes - writes).toBe(flushes);
  expect(faults.syncs - syncs).toBe(flushes);
  storage.flush(); // nothing queued: no I/O at all
  expect(faults.writes - writes).toBe(flushes);
  const stats = storage.stats();
  expect(stats.flushCount).toBe(flushes + 1);
  expect(stats.recordsWritten).toBe(2000);
  expect(stats.fsyncCount).toBe(faults.syncs + 1); // plus the directory fsync
  expect(stats.fsyncMicrosTotal).toBeGreaterThan(0);
  storage.close();
  expectEntries(new FileStorage(dir).open().entries, all);
});

test("fsync off: the same single write per flush and no fsync at all", () => {
  const faults = new FaultFileSystem();
  const storage = new FileStorage(scratchDir(), { fs: faults, fsync: false, preallocateBytes: 0 });
  storage.open();
  storage.append(makeEntries(new Rng(32), 1, 500, 1));
  storage.flush();
  storage.setHardState({ term: 1, vote: 0, clusterId: "c", nodeId: 1 });
  storage.flush();
  expect(faults.syncs).toBe(0);
  expect(storage.stats().fsyncCount).toBe(0);
  expect(faults.writes).toBe(2);
});
