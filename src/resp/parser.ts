// Incremental parser for client requests: RESP multibulk (`*N\r\n$len\r\n...`) and inline
// commands (`SET k v\n`), resumable at any byte, with Redis's limits checked before anything is
// allocated and Redis's exact error texts (networking.c, processMultibulkBuffer/processInline).

import {
  protoBigArgBytes,
  protoInlineMaxBytes,
  protoMaxBulkLenBytesDefault,
  protoMultibulkMaxCount,
  protoUnauthBulkMaxBytes,
  protoUnauthMultibulkMaxCount,
} from "../constants.ts";
import { assert } from "../util/assert.ts";
import { bytesToBinary } from "../util/bytes.ts";
import { splitArgs } from "../util/split-args.ts";

/** The client broke the protocol: reply `-ERR Protocol error: <reason>` and close. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
}

const CR = 13;
/** Bytes of a header line scanned in JS before falling back to a native search. */
const headerScanBytes = 24;
/** Command names up to this long are compared with the previous one to reuse its string. */
const commandNameReuseMaxBytes = 32;
const LF = 10;

export interface ParserLimits {
  /** proto-max-bulk-len, read on every bulk header so CONFIG SET takes effect at once. */
  maxBulkLen(): number;
  /**
   * The client has not authenticated yet (requirepass): like Redis, it may then only send
   * small requests, so an unauthenticated stranger cannot make us buffer much.
   */
  authRequired(): boolean;
}

const defaultLimits: ParserLimits = { maxBulkLen: () => protoMaxBulkLenBytesDefault, authRequired: () => false };

export class RequestParser {
  /** Unconsumed input; bytes before #pos are consumed. */
  #buf: Buffer = Buffer.alloc(0);
  #pos = 0;
  /** #buf is the caller's chunk, valid only until detach(). */
  #borrowed = false;
  /** The last command name seen (see #commandName). */
  #lastName = "";
  /** Arguments of the multibulk request being read; null between requests. */
  #argv: string[] | null = null;
  /** Arguments still to read for #argv. */
  #argsLeft = 0;
  /** Length of the bulk being read, or -1 while its `$len` header is awaited. */
  #bulkLen = -1;
  /** A big bulk argument gathered as chunks (avoids re-concatenating the input). */
  #bigChunks: Buffer[] | null = null;
  #bigHave = 0;
  /** Bytes of the arguments read so far for #argv. */
  #argvBytes = 0;
  readonly #limits: ParserLimits;

  constructor(limits: ParserLimits = defaultLimits) {
    this.#limits = limits;
  }

  /** Bytes received but not yet consumed (for CLIENT LIST qbuf). */
  get buffered(): number {
    return this.#buf.length - this.#pos + this.#bigHave;
  }

  /** Bytes held in the arguments of the request being read (CLIENT LIST argv-mem). */
  get argvBytes(): number {
    return this.#argvBytes;
  }

  /** Arguments read so far for the request being read. */
  get argvCount(): number {
    return this.#argv === null ? 0 : this.#argv.length;
  }

  feed(chunk: Uint8Array): void {
    const data = chunk instanceof Buffer ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.#bigChunks !== null) {
      this.#feedBig(data);
      return;
    }
    if (this.#pos >= this.#buf.length) {
      // Nothing left over: parse straight from the chunk, copying only what detach() keeps.
      this.#buf = data;
      this.#borrowed = true;
    } else {
      this.#buf = Buffer.concat([this.#buf.subarray(this.#pos), data]);
      this.#borrowed = false;
    }
    this.#pos = 0;
  }

  /**
   * Call before the chunk given to feed() goes back to its owner: copies the unconsumed tail
   * (a partial request, or requests left for a later turn) into memory the parser owns.
   */
  detach(): void {
    if (!this.#borrowed) return;
    this.#buf = this.#pos >= this.#buf.length ? Buffer.alloc(0) : Buffer.from(this.#buf.subarray(this.#pos));
    this.#pos = 0;
    this.#borrowed = false;
  }

  /**
   * The next complete request's arguments, or null when more input is needed. Empty requests
   * (`*0`, `*-1`, blank inline lines) are skipped, as Redis does. Throws ProtocolError.
   */
  next(): string[] | null {
    for (;;) {
      if (this.#bigChunks !== null) return null;
      if (this.#argv === null) {
        if (this.#pos >= this.#buf.length) return null;
        if (this.#buf[this.#pos] !== 0x2a /* '*' */) {
          const inline = this.#parseInline();
          if (inline === null) return null;
          if (inline.length === 0) continue;
          return inline;
        }
        if (!this.#parseMultibulkHeader()) return null;
        if (this.#argv === null) continue; // *0 or negative count: nothing to run
      }
      const done = this.#parseBulks();
      if (!done) return null;
      const argv = this.#argv as string[] | null;
      assert(argv !== null && argv.length > 0, "complete request has arguments");
      this.#argv = null;
      this.#argvBytes = 0;
      return argv;
    }
  }

  #findByte(byte: number, from: number): number {
    return this.#buf.indexOf(byte, from);
  }

  /**
   * The next CR from `from`, or -1. Header lines (`*3`, `$5`) are a few bytes long: a JS loop
   * finds their end faster than a native indexOf call; longer searches fall back to it.
   */
  #findCR(from: number): number {
    const buf = this.#buf;
    const end = Math.min(buf.length, from + headerScanBytes);
    for (let i = from; i < end; i++) if (buf[i] === CR) return i;
    return end === buf.length ? -1 : buf.indexOf(CR, end);
  }

  #parseInline(): string[] | null {
    const newline = this.#findByte(LF, this.#pos);
    if (newline < 0) {
      if (this.#buf.length - this.#pos > protoInlineMaxBytes) {
        throw new ProtocolError("too big inline request");
      }
      return null;
    }
    let end = newline;
    if (end > this.#pos && this.#buf[end - 1] === CR) end--;
    const line = bytesToBinary(this.#buf, this.#pos, end);
    this.#pos = newline + 1;
    const argv = splitArgs(line);
    if (argv === null) throw new ProtocolError("unbalanced quotes in request");
    return argv;
  }

  /** Reads `*N\r\n`. Returns false when the line is incomplete. */
  #parseMultibulkHeader(): boolean {
    const cr = this.#findCR(this.#pos);
    if (cr < 0) {
      if (this.#buf.length - this.#pos > protoInlineMaxBytes) {
        throw new ProtocolError("too big mbulk count string");
      }
      return false;
    }
    if (cr + 1 >= this.#buf.length) return false; // the \n has not arrived
    const count = parseLongLong(this.#buf, this.#pos + 1, cr);
    if (count === null || count > protoMultibulkMaxCount) {
      throw new ProtocolError("invalid multibulk length");
    }
    if (count > protoUnauthMultibulkMaxCount && this.#limits.authRequired()) {
      throw new ProtocolError("unauthenticated multibulk length");
    }
    this.#pos = cr + 2;
    if (count <= 0) return true;
    this.#argv = [];
    this.#argsLeft = count;
    this.#bulkLen = -1;
    return true;
  }

  /** Reads bulk arguments until the request is complete (true) or input runs out (false). */
  #parseBulks(): boolean {
    const argv = this.#argv;
    assert(argv !== null, "parsing bulks inside a request");
    while (this.#argsLeft > 0) {
      if (this.#bulkLen < 0) {
        const cr = this.#findCR(this.#pos);
        if (cr < 0) {
          if (this.#buf.length - this.#pos > protoInlineMaxBytes) {
            throw new ProtocolError("too big bulk count string");
          }
          return false;
        }
        if (cr + 1 >= this.#buf.length) return false;
        const first = this.#buf[this.#pos];
        if (first !== 0x24 /* '$' */) {
          throw new ProtocolError(`expected '$', got '${String.fromCharCode(first)}'`);
        }
        const len = parseLongLong(this.#buf, this.#pos + 1, cr);
        if (len === null || len < 0 || len > this.#limits.maxBulkLen()) {
          throw new ProtocolError("invalid bulk length");
        }
        if (len > protoUnauthBulkMaxBytes && this.#limits.authRequired()) {
          throw new ProtocolError("unauthenticated bulk length");
        }
        this.#pos = cr + 2;
        this.#bulkLen = len;
        const have = this.#buf.length - this.#pos;
        if (len >= protoBigArgBytes && have < len + 2) {
          // Gather a big argument chunk by chunk; allocation follows what actually arrives.
          this.#bigChunks = [Buffer.from(this.#buf.subarray(this.#pos))];
          this.#bigHave = have;
          this.#buf = Buffer.alloc(0);
          this.#pos = 0;
          return false;
        }
      }
      const len = this.#bulkLen;
      if (this.#buf.length - this.#pos < len + 2) return false;
      // Like Redis, the two bytes after the data are skipped without being checked.
      argv.push(argv.length === 0 ? this.#commandName(len) : bytesToBinary(this.#buf, this.#pos, this.#pos + len));
      this.#argvBytes += len;
      this.#pos += len + 2;
      this.#bulkLen = -1;
      this.#argsLeft--;
    }
    return true;
  }

  /**
   * argv[0] of the request at #pos. Pipelines repeat the same few names, so the previous
   * name's string is reused when the bytes match: no allocation, and its hash is already
   * computed for the command table lookup.
   */
  #commandName(len: number): string {
    const last = this.#lastName;
    if (last.length === len && len <= commandNameReuseMaxBytes) {
      const buf = this.#buf;
      const pos = this.#pos;
      let i = 0;
      while (i < len && buf[pos + i] === last.charCodeAt(i)) i++;
      if (i === len) return last;
    }
    const name = bytesToBinary(this.#buf, this.#pos, this.#pos + len);
    if (len <= commandNameReuseMaxBytes) this.#lastName = name;
    return name;
  }

  #feedBig(data: Buffer): void {
    const chunks = this.#bigChunks;
    assert(chunks !== null, "feeding a big argument");
    chunks.push(Buffer.from(data));
    this.#bigHave += data.length;
    if (this.#bigHave < this.#bulkLen + 2) return;
    const whole = Buffer.concat(chunks, this.#bigHave);
    this.#bigChunks = null;
    this.#bigHave = 0;
    this.#buf = whole;
    this.#pos = 0;
    this.#borrowed = false;
  }
}

/**
 * Redis's string2ll on bytes [start, end): optional '-', digits, no leading zeros or '+',
 * within int64. Returns null when the text is not such a number. Values beyond 2^53 are
 * returned approximately; callers only compare them against far smaller limits.
 */
export function parseLongLong(buf: Uint8Array, start: number, end: number): number | null {
  const n = end - start;
  if (n <= 0 || n > 20) return null;
  let i = start;
  let negative = false;
  if (buf[i] === 0x2d) {
    negative = true;
    i++;
    if (i === end) return null;
  }
  if (buf[i] === 0x30) return i + 1 === end && !negative ? 0 : null;
  let value = 0;
  for (; i < end; i++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 9) return null;
    value = value * 10 + d;
  }
  if (value > 9223372036854775807) return null;
  return negative ? -value : value;
}
