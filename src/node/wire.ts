// Little-endian binary writer and reader for the messages threads exchange over channels
// (thread-protocol.ts). Lengths are written before what they measure and checked on read, so a
// malformed message is an error, never an out-of-bounds read.

import { assert } from "../util/assert.ts";

export class WireError extends Error {
  override name = "WireError";
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

export class WireWriter {
  #buf: Uint8Array;
  #view: DataView;
  #at = 0;

  constructor(initialBytes = 256) {
    this.#buf = new Uint8Array(initialBytes);
    this.#view = new DataView(this.#buf.buffer);
  }

  get length(): number {
    return this.#at;
  }

  #reserve(n: number): void {
    if (this.#at + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#at + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#at));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.#reserve(1);
    this.#view.setUint8(this.#at, v);
    this.#at += 1;
    return this;
  }

  u32(v: number): this {
    assert(Number.isInteger(v) && v >= 0 && v <= 0xffffffff, "u32 in range");
    this.#reserve(4);
    this.#view.setUint32(this.#at, v, true);
    this.#at += 4;
    return this;
  }

  f64(v: number): this {
    this.#reserve(8);
    this.#view.setFloat64(this.#at, v, true);
    this.#at += 8;
    return this;
  }

  /** u32 length, then the bytes. */
  bytes(b: Uint8Array): this {
    this.u32(b.length);
    this.#reserve(b.length);
    this.#buf.set(b, this.#at);
    this.#at += b.length;
    return this;
  }

  /** UTF-8 text with a u32 length. */
  text(s: string): this {
    return this.bytes(textEncoder.encode(s));
  }

  /** The bytes written (a view until the next write). */
  view(): Uint8Array {
    return this.#buf.subarray(0, this.#at);
  }

  reset(): void {
    this.#at = 0;
  }
}

export class WireReader {
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  #at = 0;

  constructor(buf: Uint8Array) {
    this.#buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.#buf.length - this.#at;
  }

  #need(n: number): void {
    if (this.#at + n > this.#buf.length) {
      throw new WireError(`Cannot decode message: needs ${n} bytes at ${this.#at}, has ${this.#buf.length - this.#at}`);
    }
  }

  u8(): number {
    this.#need(1);
    return this.#view.getUint8(this.#at++);
  }

  u32(): number {
    this.#need(4);
    const v = this.#view.getUint32(this.#at, true);
    this.#at += 4;
    return v;
  }

  f64(): number {
    this.#need(8);
    const v = this.#view.getFloat64(this.#at, true);
    this.#at += 8;
    return v;
  }

  /** Bytes written by WireWriter.bytes: a view into the message (copy to keep). */
  bytes(): Uint8Array {
    const n = this.u32();
    this.#need(n);
    const b = this.#buf.subarray(this.#at, this.#at + n);
    this.#at += n;
    return b;
  }

  text(): string {
    return textDecoder.decode(this.bytes());
  }

  /** The rest of the message (a view). */
  rest(): Uint8Array {
    const b = this.#buf.subarray(this.#at);
    this.#at = this.#buf.length;
    return b;
  }

  /** Asserts the whole message was read. */
  end(): void {
    if (this.#at !== this.#buf.length) throw new WireError(`Cannot decode message: ${this.#buf.length - this.#at} trailing bytes`);
  }
}
