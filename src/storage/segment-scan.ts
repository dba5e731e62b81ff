// Reading one log segment back at recovery. Every record must decode (length, CRC), carry the
// next index and a term no lower than the one before. A segment other than the last must be
// perfect to its end. In the last one, the first bad record may be a torn write: it is the tail
// (to be truncated) only if nothing valid follows it, since a crash can only cut the batch that
// was being written, and that batch was never acknowledged. Trailing zeros are the normal end of
// a preallocated segment.

import { decodeRecord, getU64, RECORD_HEADER_BYTES } from "./codec.ts";
import { type LogEntry, StorageCorruptError } from "./types.ts";

export interface ScannedSegment {
  readonly entries: LogEntry[];
  /** Byte offset of each record: offsets[i] holds index firstIndex + i. */
  readonly offsets: number[];
  /** End of the last good record; the file may be longer (preallocation or a torn tail). */
  readonly dataEnd: number;
  /** Why bytes after dataEnd are not records (a torn write), or null for none / only zeros. */
  readonly torn: string | null;
}

/**
 * Scans `bytes` of segment `file` whose first record must have index `firstIndex`; `prevTerm` is
 * the term of the entry before it (0 for none). Throws StorageCorruptError on corruption.
 */
export function scanSegment(file: string, bytes: Uint8Array, firstIndex: number, prevTerm: number, isLast: boolean): ScannedSegment {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries: LogEntry[] = [];
  const offsets: number[] = [];
  let at = 0;
  let term = prevTerm;
  while (at < bytes.length) {
    const expected = firstIndex + entries.length;
    const record = decodeRecord(bytes, dv, at, bytes.length);
    if (record.ok) {
      const { entry } = record;
      if (entry.index !== expected) throw new StorageCorruptError(file, at, `record holds index ${entry.index} where ${expected} was expected`);
      if (entry.term < term) throw new StorageCorruptError(file, at, `record for index ${expected} has term ${entry.term}, below the previous ${term}`);
      entries.push(entry);
      offsets.push(at);
      term = entry.term;
      at += record.size;
      continue;
    }
    const reason = `${record.reason} (record for index ${expected})`;
    if (!isLast) throw new StorageCorruptError(file, at, reason);
    if (zeroFrom(bytes, at)) return { entries, offsets, dataEnd: at, torn: null };
    const later = findValidRecord(bytes, dv, at + 1, expected, term);
    if (later >= 0) throw new StorageCorruptError(file, at, `${reason}, yet a valid record follows at byte ${later}`);
    return { entries, offsets, dataEnd: at, torn: reason };
  }
  return { entries, offsets, dataEnd: at, torn: null };
}

function zeroFrom(bytes: Uint8Array, at: number): boolean {
  for (let i = at; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** Offset of the first decodable record at or after `from` with index ≥ minIndex, or -1. */
function findValidRecord(bytes: Uint8Array, dv: DataView, from: number, minIndex: number, minTerm: number): number {
  const maxIndex = minIndex + bytes.length;
  for (let at = from; at + RECORD_HEADER_BYTES <= bytes.length; at++) {
    const index = getU64(dv, at + 16);
    if (index < minIndex || index > maxIndex) continue;
    const record = decodeRecord(bytes, dv, at, bytes.length);
    if (record.ok && record.entry.term >= minTerm) return at;
  }
  return -1;
}
