// Shared pieces of the storage tests: scratch directories, seeded entries, captured log lines.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "bun:test";
import { Rng } from "../../src/engine/rng.ts";
import type { LogLevel } from "../../src/util/log.ts";
import type { LogEntry } from "../../src/storage/types.ts";

const made: string[] = [];

export function scratchDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "raftis-storage-"));
  made.push(dir);
  return dir;
}

export function removeScratchDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** `count` entries from `first` in `term`, payloads of 0..maxBytes seeded random bytes. */
export function makeEntries(rng: Rng, first: number, count: number, term: number, maxBytes = 300): LogEntry[] {
  const out: LogEntry[] = [];
  for (let i = 0; i < count; i++) {
    const data = new Uint8Array(rng.nextInt(maxBytes + 1));
    for (let j = 0; j < data.length; j++) data[j] = rng.nextU32() & 0xff;
    out.push({ index: first + i, term, type: rng.nextInt(4), data });
  }
  return out;
}

/** Compares entries field by field (data as bytes). */
export function expectEntries(got: readonly LogEntry[], want: readonly LogEntry[]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    expect({ index: got[i].index, term: got[i].term, type: got[i].type }).toEqual({ index: want[i].index, term: want[i].term, type: want[i].type });
    expect(Buffer.from(got[i].data).equals(Buffer.from(want[i].data))).toBe(true);
  }
}

export interface CapturedLog {
  readonly lines: string[];
  readonly log: (level: LogLevel, message: string) => void;
}

export function captureLog(): CapturedLog {
  const lines: string[] = [];
  return { lines, log: (level, message) => void lines.push(`${level}: ${message}`) };
}

export function segmentFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.endsWith(".seg")).sort();
}
