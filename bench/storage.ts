// `bun bench/storage.ts [--quick]`: group-commit figures of FileStorage on this machine's disk.
// For batches of 1, 100 and 1000 records of 100 bytes: flushes (one write + one fsync each) per
// second, records per second and the average fsync. Prints, never asserts.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { logPreallocateChunkBytes } from "../src/constants.ts";
import { FileStorage, type FileStorageOptions } from "../src/storage/file-storage.ts";
import type { LogEntry } from "../src/storage/types.ts";

const quick = process.argv.includes("--quick");
const secondsPerRun = quick ? 0.4 : 1.5;
const payload = new Uint8Array(100).fill(42);

function run(label: string, batch: number, options: FileStorageOptions): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "raftis-bench-storage-"));
  try {
    const storage = new FileStorage(dir, { ...options, log: () => {} });
    storage.open();
    const entries: LogEntry[] = new Array(batch);
    let index = 1;
    const start = performance.now();
    const deadline = start + secondsPerRun * 1000;
    while (performance.now() < deadline) {
      for (let i = 0; i < batch; i++) entries[i] = { index: index++, term: 1, type: 0, data: payload };
      storage.append(entries);
      storage.flush();
    }
    const seconds = (performance.now() - start) / 1000;
    const stats = storage.stats();
    storage.close();
    const fsyncAvg = stats.fsyncCount > 0 ? `${(stats.fsyncMicrosTotal / stats.fsyncCount).toFixed(0)} µs` : "-";
    console.log(
      `| ${label.padEnd(34)} | ${String(batch).padStart(5)} | ${(stats.flushCount / seconds).toFixed(0).padStart(7)} | ${(stats.recordsWritten / seconds / 1000).toFixed(0).padStart(6)}k | ${String(stats.fsyncCount).padStart(6)} | ${fsyncAvg.padStart(7)} |`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`storage bench (Bun ${Bun.version}, ${os.tmpdir()}, 100-byte records, ${secondsPerRun} s per row)`);
console.log("| configuration                      | batch | flush/s | records/s | fsyncs | avg fsync |");
console.log("|------------------------------------|-------|---------|-----------|--------|-----------|");
for (const batch of [1, 100, 1000]) {
  run(`fsync, preallocated ${logPreallocateChunkBytes >> 20} MiB chunks`, batch, {});
  run("fsync, appending (no preallocation)", batch, { preallocateBytes: 0 });
  run("no fsync (raft.log-fsync no)", batch, { fsync: false });
}
