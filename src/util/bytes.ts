// Redis strings are bytes. raftis holds them as "binary" JS strings: one char per byte
// (latin1), so keys work as Map keys, `<` orders them like memcmp, and length is byte length.
// These helpers are the only place bytes and such strings are converted.

interface Latin1Buffer extends Buffer {
  latin1Slice(start: number, end: number): string;
  latin1Write(value: string, offset: number, length?: number): number;
}

/** Bytes [start, end) of `buf` as a binary string. */
export function bytesToBinary(buf: Uint8Array, start = 0, end = buf.length): string {
  const b = (buf instanceof Buffer ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)) as Latin1Buffer;
  return b.latin1Slice(start, end);
}

/** Writes binary string `s` into `buf` at `offset`; returns bytes written (s.length). */
export function writeBinary(buf: Buffer, s: string, offset: number): number {
  return (buf as Latin1Buffer).latin1Write(s, offset, s.length);
}

/** A binary string as a fresh Buffer. */
export function binaryToBytes(s: string): Buffer {
  return Buffer.from(s, "latin1");
}

/** A UTF-8 JS string (as typed by a person) as a binary string. */
export function utf8ToBinary(s: string): string {
  return Buffer.from(s, "utf8").toString("latin1");
}

/** A binary string holding UTF-8 as a normal JS string (for logs and messages). */
export function binaryToUtf8(s: string): string {
  return Buffer.from(s, "latin1").toString("utf8");
}

/** `parts` back to back in one buffer (a single part is returned as it is, not copied). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
