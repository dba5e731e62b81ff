// The disk-fault hook behind RAFT.DEBUG DISKCRASH: unarmed it changes nothing; armed, the crash
// happens at the promised point, and what it leaves on disk is something recovery handles (a torn
// log tail is truncated, a half-written snapshot is ignored, a snapshot whose compaction never
// ran is paired with the log it covers).

import { afterEach, describe, expect, test } from "bun:test";
import { crashingFileSystem, DiskCrashSwitch, type DiskCrashPoint } from "../../src/chaos/disk-fault.ts";
import { Rng } from "../../src/engine/rng.ts";
import { FileStorage } from "../../src/storage/file-storage.ts";
import { nodeFileSystem } from "../../src/storage/fs.ts";
import { captureLog, expectEntries, makeEntries, removeScratchDirs, scratchDir } from "../storage/helpers.ts";

class Crashed extends Error {}

const crash = (): never => {
  throw new Crashed("crash point reached");
};

function open(dir: string, sw: DiskCrashSwitch) {
  const log = captureLog();
  const storage = new FileStorage(dir, { fs: crashingFileSystem(nodeFileSystem, sw, crash), log: log.log });
  return { storage, recovered: storage.open(), log };
}

afterEach(removeScratchDirs);

describe("crashingFileSystem", () => {
  test("unarmed, storage works as with the plain file system", () => {
    const dir = scratchDir();
    const sw = new DiskCrashSwitch();
    const entries = makeEntries(new Rng(1), 1, 50, 1);
    const a = open(dir, sw);
    a.storage.append(entries);
    a.storage.flush();
    a.storage.saveSnapshot({ lastIndex: 20, lastTerm: 1, config: new Uint8Array([1]) }, new Uint8Array(100).fill(7));
    a.storage.close();
    const b = open(dir, sw);
    expect(b.recovered.snapshot?.meta.lastIndex).toBe(20);
    expectEntries(b.recovered.entries, entries.slice(20));
  });

  test("torn-log: the next batch is written in part, never synced; recovery truncates it and keeps the earlier ones", () => {
    const dir = scratchDir();
    const sw = new DiskCrashSwitch();
    const rng = new Rng(2);
    const durable = makeEntries(rng, 1, 30, 1);
    const torn = makeEntries(rng, 31, 10, 1, 1000);
    const a = open(dir, sw);
    a.storage.append(durable);
    a.storage.flush();
    sw.armed = "torn-log";
    a.storage.append(torn);
    expect(() => a.storage.flush()).toThrow(/crash point reached/);
    const b = open(dir, new DiskCrashSwitch());
    const got = b.recovered.entries;
    expect(got.length).toBeGreaterThanOrEqual(durable.length);
    expect(got.length).toBeLessThan(durable.length + torn.length);
    expectEntries(got, [...durable, ...torn].slice(0, got.length));
    expect(b.log.lines.some((l) => l.includes("Truncating a torn write"))).toBe(true);
  });

  const snapshotCases: [DiskCrashPoint, number][] = [
    ["torn-snapshot", 10],
    ["after-snapshot", 25],
  ];
  for (const [point, expectedSnapshot] of snapshotCases) {
    test(`${point}: the node restarts with every entry, from the ${point === "torn-snapshot" ? "previous" : "new"} snapshot and the log`, () => {
      const dir = scratchDir();
      const sw = new DiskCrashSwitch();
      const entries = makeEntries(new Rng(3), 1, 40, 1);
      const a = open(dir, sw);
      a.storage.append(entries);
      a.storage.flush();
      a.storage.saveSnapshot({ lastIndex: 10, lastTerm: 1, config: new Uint8Array([1]) }, new Uint8Array(64).fill(1));
      sw.armed = point;
      expect(() => a.storage.saveSnapshot({ lastIndex: 25, lastTerm: 1, config: new Uint8Array([1]) }, new Uint8Array(5000).fill(2))).toThrow(/crash point reached/);
      const b = open(dir, new DiskCrashSwitch());
      expect(b.recovered.snapshot?.meta.lastIndex).toBe(expectedSnapshot);
      expectEntries(b.recovered.entries, entries.slice(expectedSnapshot));
    });
  }
});
