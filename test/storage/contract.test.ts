// The Storage contract, run against FileStorage (several option sets) and MemoryStorage: round
// trips through a restart, hard state, truncation across segments, snapshots and compaction,
// snapshot installs that discard a conflicting log, and a seeded random walk checked against a
// model after every restart.

import { afterAll, describe, expect, test } from "bun:test";
import { Rng } from "../../src/engine/rng.ts";
import { FileStorage, type FileStorageOptions } from "../../src/storage/file-storage.ts";
import { MemoryStorage } from "../../src/storage/memory-storage.ts";
import type { LogEntry, Storage } from "../../src/storage/types.ts";
import { testSeed } from "../helpers/diff.ts";
import { captureLog, expectEntries, makeEntries, removeScratchDirs, scratchDir, segmentFiles } from "./helpers.ts";

afterAll(removeScratchDirs);

interface Subject {
  /** A fresh store, opened, and a way to restart it (close, then open what is durable). */
  fresh(): { storage: Storage; dir: string | null; restart(): Storage };
}

function fileSubject(options: FileStorageOptions): Subject {
  return {
    fresh() {
      const dir = scratchDir();
      const make = (): Storage => new FileStorage(dir, { log: captureLog().log, ...options });
      let storage = make();
      return {
        storage,
        dir,
        restart() {
          storage.close();
          storage = make();
          return storage;
        },
      };
    },
  };
}

const memorySubject: Subject = {
  fresh() {
    const storage = new MemoryStorage();
    return { storage, dir: null, restart: () => storage };
  },
};

const subjects: [string, Subject][] = [
  ["file, fsync, preallocated, 4 KiB segments", fileSubject({ segmentBytes: 4096, preallocateBytes: 8192 })],
  ["file, no fsync, no preallocation, 2 KiB segments", fileSubject({ segmentBytes: 2048, preallocateBytes: 0, fsync: false })],
  ["file, default sizes", fileSubject({})],
  ["memory", memorySubject],
];

const hs = { term: 3, vote: 2, clusterId: "a1b2c3d4-ñ", nodeId: 7 };
const config = new Uint8Array([1, 2, 3]);

for (const [name, subject] of subjects) {
  describe(`storage contract: ${name}`, () => {
    test("a new store is empty and uninitialized", () => {
      const { storage } = subject.fresh();
      expect(storage.open()).toEqual({ hardState: null, snapshot: null, entries: [] });
      expect(storage.lastIndex).toBe(0);
    });

    test("flushed entries and hard state survive a restart; unflushed ones do not", () => {
      const rng = new Rng(1);
      const s = subject.fresh();
      s.storage.open();
      const entries = makeEntries(rng, 1, 50, 1);
      s.storage.setHardState(hs);
      s.storage.append(entries.slice(0, 30));
      s.storage.flush();
      s.storage.append(entries.slice(30));
      expect(s.storage.lastIndex).toBe(50);
      const again = s.restart();
      const got = again.open();
      expect(got.hardState).toEqual(hs);
      expectEntries(got.entries, entries.slice(0, 30));
      expect(again.lastIndex).toBe(30);
      // The log continues where the durable part ends.
      again.append(entries.slice(30));
      again.setHardState({ ...hs, term: 4, vote: 0 });
      again.flush();
      const third = s.restart().open();
      expectEntries(third.entries, entries);
      expect(third.hardState).toEqual({ ...hs, term: 4, vote: 0 });
    });

    test("the caller's buffers may be reused after append", () => {
      const s = subject.fresh();
      s.storage.open();
      const data = new Uint8Array([9, 9, 9]);
      s.storage.append([{ index: 1, term: 1, type: 0, data }]);
      data.fill(0);
      s.storage.flush();
      expect([...s.restart().open().entries[0].data]).toEqual([9, 9, 9]);
    });

    test("truncateFrom removes a suffix: queued, within a segment, and across segment boundaries", () => {
      const rng = new Rng(2);
      const s = subject.fresh();
      s.storage.open();
      const log = makeEntries(rng, 1, 300, 1);
      for (let i = 0; i < 300; i += 25) {
        s.storage.append(log.slice(i, i + 25));
        s.storage.flush();
      }
      s.storage.append(makeEntries(rng, 301, 10, 1));
      s.storage.truncateFrom(305); // queued only
      expect(s.storage.lastIndex).toBe(304);
      s.storage.truncateFrom(290); // queued and durable
      s.storage.truncateFrom(120); // across several segments
      expect(s.storage.lastIndex).toBe(119);
      const replaced = makeEntries(rng, 120, 40, 2);
      s.storage.append(replaced);
      s.storage.flush();
      const got = s.restart().open();
      expectEntries(got.entries, [...log.slice(0, 119), ...replaced]);
    });

    test("truncating everything leaves an empty log that restarts from index 1", () => {
      const rng = new Rng(3);
      const s = subject.fresh();
      s.storage.open();
      s.storage.append(makeEntries(rng, 1, 40, 1));
      s.storage.flush();
      s.storage.truncateFrom(1);
      expect(s.storage.lastIndex).toBe(0);
      const fresh = makeEntries(rng, 1, 5, 2);
      s.storage.append(fresh);
      s.storage.flush();
      expectEntries(s.restart().open().entries, fresh);
    });

    test("a snapshot then compaction: recovery returns the snapshot and the log after it", () => {
      const rng = new Rng(4);
      const s = subject.fresh();
      s.storage.open();
      const log = makeEntries(rng, 1, 200, 1);
      for (let i = 0; i < 200; i += 20) {
        s.storage.append(log.slice(i, i + 20));
        s.storage.flush();
      }
      const data = new Uint8Array(5000).map((_, i) => i & 0xff);
      const filesBefore = s.dir === null ? 0 : segmentFiles(s.dir).length;
      s.storage.saveSnapshot({ lastIndex: 150, lastTerm: 1, config }, data);
      s.storage.compactTo(150);
      expect(s.storage.lastIndex).toBe(200);
      if (s.dir !== null && filesBefore > 2) expect(segmentFiles(s.dir).length).toBeLessThan(filesBefore);
      const snap = s.storage.readSnapshot();
      expect(snap?.meta.lastIndex).toBe(150);
      const got = s.restart().open();
      expect(got.snapshot?.meta.lastIndex).toBe(150);
      expect(got.snapshot?.meta.lastTerm).toBe(1);
      expect([...(got.snapshot?.meta.config ?? [])]).toEqual([1, 2, 3]);
      expect(Buffer.from(got.snapshot?.data ?? []).equals(Buffer.from(data))).toBe(true);
      expectEntries(got.entries, log.slice(150));
    });

    test("installing a snapshot whose last entry the log does not hold discards the log", () => {
      const rng = new Rng(5);
      const s = subject.fresh();
      s.storage.open();
      s.storage.append(makeEntries(rng, 1, 100, 1));
      s.storage.flush();
      s.storage.saveSnapshot({ lastIndex: 80, lastTerm: 2, config }, new Uint8Array(10));
      expect(s.storage.lastIndex).toBe(80);
      const after = makeEntries(rng, 81, 10, 2);
      s.storage.append(after);
      s.storage.flush();
      const got = s.restart().open();
      expect(got.snapshot?.meta.lastIndex).toBe(80);
      expectEntries(got.entries, after);
      // A snapshot beyond the end of the log: everything before it goes too.
      const t = subject.fresh();
      t.storage.open();
      t.storage.append(makeEntries(rng, 1, 30, 1));
      t.storage.flush();
      t.storage.saveSnapshot({ lastIndex: 500, lastTerm: 3, config }, new Uint8Array(1));
      expect(t.storage.lastIndex).toBe(500);
      const later = makeEntries(rng, 501, 3, 3);
      t.storage.append(later);
      t.storage.flush();
      const got2 = t.restart().open();
      expect(got2.snapshot?.meta.lastIndex).toBe(500);
      expectEntries(got2.entries, later);
    });

    const seed = testSeed();
    test(`a seeded random walk matches the model after every restart (seed ${seed})`, () => {
      const rng = new Rng(seed);
      const s = subject.fresh();
      let storage = s.storage;
      storage.open();
      let model: LogEntry[] = []; // every entry appended and not truncated, from index 1
      let durableUpTo = 0;
      let snapIndex = 0;
      let term = 1;
      let restarts = 0;
      const lastIndex = (): number => (model.length > 0 ? model[model.length - 1].index : snapIndex);
      for (let step = 0; step < 400; step++) {
        const op = rng.nextInt(100);
        if (op < 45) {
          const batch = makeEntries(rng, lastIndex() + 1, 1 + rng.nextInt(30), term, 200);
          storage.append(batch);
          model.push(...batch);
        } else if (op < 70) {
          storage.flush();
          durableUpTo = lastIndex();
        } else if (op < 80 && lastIndex() > snapIndex) {
          term += rng.nextInt(2);
          const from = snapIndex + 1 + rng.nextInt(lastIndex() - snapIndex);
          storage.truncateFrom(from);
          model = model.filter((e) => e.index < from);
          durableUpTo = Math.min(durableUpTo, from - 1);
        } else if (op < 86 && lastIndex() > snapIndex) {
          const at = snapIndex + 1 + rng.nextInt(lastIndex() - snapIndex);
          const atTerm = model.find((e) => e.index === at)?.term ?? term;
          storage.saveSnapshot({ lastIndex: at, lastTerm: atTerm, config }, new Uint8Array(rng.nextInt(100)));
          durableUpTo = lastIndex();
          snapIndex = at;
          if (rng.nextInt(2) === 0) storage.compactTo(at);
        } else if (op < 92) {
          storage = s.restart();
          restarts++;
          const got = storage.open();
          model = model.filter((e) => e.index <= durableUpTo);
          expect(got.snapshot?.meta.lastIndex ?? 0).toBe(snapIndex);
          expectEntries(got.entries, model.filter((e) => e.index > snapIndex));
          expect(storage.lastIndex).toBe(Math.max(snapIndex, durableUpTo));
        }
        expect(storage.lastIndex).toBe(lastIndex());
      }
      expect(restarts).toBeGreaterThan(5);
    });
  });
}
