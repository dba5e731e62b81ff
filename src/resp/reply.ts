// A connection's reply buffer: handlers append RESP here (like Redis's addReply*), and the
// server writes it to the socket once per event-loop turn. The protocol version (HELLO 2/3)
// picks the encoding of maps, sets, doubles and nulls.

import { replyBufferInitialBytes, replyBufferKeepBytes } from "../constants.ts";
import { assert } from "../util/assert.ts";
import { writeBinary } from "../util/bytes.ts";
import { formatDouble17g, formatInteger } from "../util/number.ts";

export type RespVersion = 2 | 3;

const CRLF = "\r\n";

/** A position reserved by deferredLen(), filled in by setDeferred*(). */
export interface DeferredLen {
  readonly offset: number;
}

export class Reply {
  resp: RespVersion = 2;
  #buf: Buffer;
  #len = 0;
  /** Deferred headers not yet filled; they must all be set before the bytes are taken. */
  #deferred = 0;
  /** Error replies written so far (commandstats failed_calls, errorstats). */
  errorCount = 0;
  /** Told about every error reply (the server counts them by code for INFO errorstats). */
  onError: ((message: string) => void) | null = null;

  constructor(initialBytes = replyBufferInitialBytes) {
    this.#buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Bytes the buffer can hold before it grows (CLIENT LIST rbs). */
  get capacity(): number {
    return this.#buf.length;
  }

  /** Bytes written since the last take(). */
  get length(): number {
    return this.#len;
  }

  /** The bytes written so far (a view, valid until the next write), and resets. */
  take(): Buffer {
    assert(this.#deferred === 0, "every deferred length is set before the reply is sent");
    const out = this.#buf.subarray(0, this.#len);
    this.#len = 0;
    return out;
  }

  /** Drops what was written since `mark` (a length read earlier). */
  truncate(mark: number): void {
    assert(mark >= 0 && mark <= this.#len, "truncate within the buffer");
    this.#len = mark;
  }

  /** Forgets an oversized buffer after a flush so idle connections give memory back. */
  shrink(): void {
    if (this.#len === 0 && this.#buf.length > replyBufferKeepBytes) {
      this.#buf = Buffer.allocUnsafe(replyBufferInitialBytes);
    }
  }

  #reserve(extra: number): void {
    const need = this.#len + extra;
    if (need <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }

  /** Appends a binary string as-is (already RESP). */
  raw(s: string): void {
    this.#reserve(s.length);
    this.#len += writeBinary(this.#buf, s, this.#len);
  }

  rawBytes(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
  }

  simple(s: string): void {
    this.raw(`+${s}${CRLF}`);
  }

  ok(): void {
    this.raw("+OK\r\n");
  }

  /** An error line; `message` starts with its code (`ERR ...`, `WRONGTYPE ...`). */
  error(message: string): void {
    // Redis replaces newlines so an error is always one line.
    const clean = message.includes("\n") || message.includes("\r") ? message.replace(/[\r\n]/g, " ") : message;
    this.errorCount++;
    if (this.onError !== null) this.onError(clean);
    this.raw(`-${clean}${CRLF}`);
  }

  int(n: number | bigint): void {
    this.raw(`:${formatInteger(n)}${CRLF}`);
  }

  /** A bulk string from a binary string. */
  bulk(s: string): void {
    this.#reserve(s.length + 24);
    this.#len += writeBinary(this.#buf, `$${s.length}\r\n`, this.#len);
    this.#len += writeBinary(this.#buf, s, this.#len);
    this.#buf[this.#len++] = 13;
    this.#buf[this.#len++] = 10;
  }

  bulkBytes(bytes: Uint8Array): void {
    this.raw(`$${bytes.length}${CRLF}`);
    this.rawBytes(bytes);
    this.raw(CRLF);
  }

  /** A bulk string, or the null bulk when `s` is undefined. */
  bulkOrNull(s: string | undefined): void {
    if (s === undefined) this.nullBulk();
    else this.bulk(s);
  }

  /** A number sent as a bulk string (Redis's addReplyBulkLongLong). */
  bulkInt(n: number | bigint): void {
    this.bulk(formatInteger(n));
  }

  nullBulk(): void {
    this.raw(this.resp === 3 ? "_\r\n" : "$-1\r\n");
  }

  nullArray(): void {
    this.raw(this.resp === 3 ? "_\r\n" : "*-1\r\n");
  }

  array(n: number): void {
    this.raw(`*${n}${CRLF}`);
  }

  /** A map of `n` pairs: `%n` in RESP3, a flat array of 2n in RESP2. */
  map(n: number): void {
    this.raw(this.resp === 3 ? `%${n}${CRLF}` : `*${n * 2}${CRLF}`);
  }

  /** A set of `n` elements: `~n` in RESP3, an array in RESP2. */
  set(n: number): void {
    this.raw(this.resp === 3 ? `~${n}${CRLF}` : `*${n}${CRLF}`);
  }

  /** A double as Redis 7.0 prints it (%.17g): `,d` in RESP3, a bulk string in RESP2. */
  double(d: number): void {
    const text = formatDouble17g(d);
    if (this.resp === 3) this.raw(`,${text}${CRLF}`);
    else this.bulk(text);
  }

  /** Text meant for humans (INFO, CLIENT LIST): `=len\r\ntxt:` in RESP3, a bulk string in RESP2. */
  verbatim(text: string, format = "txt"): void {
    if (this.resp === 3) {
      this.raw(`=${text.length + 4}${CRLF}${format}:`);
      this.raw(text);
      this.raw(CRLF);
    } else {
      this.bulk(text);
    }
  }

  bool(b: boolean): void {
    this.raw(this.resp === 3 ? (b ? "#t\r\n" : "#f\r\n") : b ? ":1\r\n" : ":0\r\n");
  }

  /** Bulk strings for every element. */
  bulkArray(items: readonly string[]): void {
    this.array(items.length);
    for (const item of items) this.bulk(item);
  }

  /**
   * Reserves room for an aggregate header whose count is not known yet (Redis's
   * addReplyDeferredLen). Fill it with setDeferredArray/Map/Set before take().
   */
  deferredLen(): DeferredLen {
    this.#deferred++;
    return { offset: this.#len };
  }

  setDeferredArray(at: DeferredLen, n: number): void {
    this.#insertHeader(at, `*${n}${CRLF}`);
  }

  setDeferredMap(at: DeferredLen, n: number): void {
    this.#insertHeader(at, this.resp === 3 ? `%${n}${CRLF}` : `*${n * 2}${CRLF}`);
  }

  setDeferredSet(at: DeferredLen, n: number): void {
    this.#insertHeader(at, this.resp === 3 ? `~${n}${CRLF}` : `*${n}${CRLF}`);
  }

  #insertHeader(at: DeferredLen, header: string): void {
    assert(this.#deferred > 0, "a deferred length is pending");
    assert(at.offset <= this.#len, "deferred offset within the buffer");
    this.#reserve(header.length);
    this.#buf.copyWithin(at.offset + header.length, at.offset, this.#len);
    writeBinary(this.#buf, header, at.offset);
    this.#len += header.length;
    this.#deferred--;
  }
}

/** Shared error replies, spelled exactly as Redis does. */
export const errors = {
  wrongType: "WRONGTYPE Operation against a key holding the wrong kind of value",
  notInteger: "ERR value is not an integer or out of range",
  notFloat: "ERR value is not a valid float",
  syntax: "ERR syntax error",
  noSuchKey: "ERR no such key",
  overflow: "ERR increment or decrement would overflow",
  outOfRange: "ERR index out of range",
  invalidExpire: (cmd: string) => `ERR invalid expire time in '${cmd}' command`,
  wrongArgs: (cmd: string) => `ERR wrong number of arguments for '${cmd}' command`,
} as const;
