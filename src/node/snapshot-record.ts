// Encodes one key of a node snapshot (a record of snapshot-codec.ts's format) as msgpack,
// written by hand into one reused buffer. The bytes decode with @msgpack/msgpack to exactly the
// arrays the format describes:
//   [key: bin, type: uint, payload, expireAt: uint (0 = none), flag: uint]
//   string  payload bin                                      flag 0
//   hash    [field, value, field, value, ...] (bins)         flag 1 = listpack
//   list    [item, ...]                                      flag 0
//   set     intset: [member, ...]                            flag 1
//           hash table: [[member | nil per slot], [free slot, ...]]  flag 0 (slot layout: SPOP)
//   zset    [member, score, ...] (score int or float64)      flag 1 = listpack
// Why by hand: the generic encoder needs a Buffer per string and an array per record and per
// collection first; for 1M keys that garbage was most of an encode's time, and the collections
// it caused lengthened the incremental writer's slices.

import type { Value } from "../engine/value.ts";
import { assert } from "../util/assert.ts";
import type { ChunkBuilder } from "./chunk-builder.ts";

/** Value type tags of the snapshot format. */
export const snapshotTypeTag = { string: 0, hash: 1, list: 2, set: 3, zset: 4 } as const;

const T = snapshotTypeTag;
/** Strings at least this long are copied by the runtime rather than a byte loop. */
const nativeCopyMinChars = 32;
const twoTo32 = 2 ** 32;

export class SnapshotRecordEncoder {
  #buf: Buffer = Buffer.allocUnsafe(64 * 1024);
  #view = new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.byteLength);
  #pos = 0;

  /**
   * One key's record. The bytes are a view into this encoder's buffer, valid until its next
   * call: copy them out (ChunkBuilder.append) before encoding another.
   */
  encode(key: string, value: Value, expireAt: number | undefined): Uint8Array {
    this.#encode(key, value, expireAt);
    return new Uint8Array(this.#buf.buffer, this.#buf.byteOffset, this.#pos);
  }

  /** One key's record, appended to `out` (no allocation per record). */
  encodeInto(out: ChunkBuilder, key: string, value: Value, expireAt: number | undefined): void {
    this.#encode(key, value, expireAt);
    out.appendFrom(this.#buf, this.#pos);
  }

  #encode(key: string, value: Value, expireAt: number | undefined): void {
    this.#pos = 0;
    this.#arrayHeader(5);
    this.#bin(key);
    let flag = 0;
    if (typeof value === "string") {
      this.#number(T.string);
      this.#bin(value);
    } else {
      switch (value.type) {
        case "hash":
          this.#number(T.hash);
          this.#arrayHeader(value.size * 2);
          for (const [f, x] of value.entries()) {
            this.#bin(f);
            this.#bin(x);
          }
          flag = value.isListpack ? 1 : 0;
          break;
        case "list":
          this.#number(T.list);
          this.#arrayHeader(value.size);
          for (let i = 0; i < value.size; i++) this.#bin(value.at(i));
          break;
        case "set": {
          this.#number(T.set);
          const layout = value.layout();
          if (layout === null) {
            this.#arrayHeader(value.size);
            for (const m of value.members()) this.#bin(m);
            flag = 1;
          } else {
            this.#arrayHeader(2);
            this.#arrayHeader(layout.slots.length);
            for (const m of layout.slots) {
              if (m === null) this.#nil();
              else this.#bin(m);
            }
            this.#arrayHeader(layout.free.length);
            for (const slot of layout.free) this.#number(slot);
          }
          break;
        }
        case "zset":
          this.#number(T.zset);
          this.#arrayHeader(value.size * 2);
          for (const [m, score] of value.entries()) {
            this.#bin(m);
            this.#number(score);
          }
          flag = value.isListpack ? 1 : 0;
          break;
      }
    }
    this.#number(expireAt ?? 0);
    this.#number(flag);
  }

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
    this.#view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  #nil(): void {
    this.#ensure(1);
    this.#buf[this.#pos++] = 0xc0;
  }

  #arrayHeader(n: number): void {
    assert(Number.isInteger(n) && n >= 0 && n < twoTo32, "array length fits msgpack");
    this.#ensure(5);
    if (n < 16) {
      this.#buf[this.#pos++] = 0x90 | n;
    } else if (n < 0x10000) {
      this.#buf[this.#pos++] = 0xdc;
      this.#view.setUint16(this.#pos, n);
      this.#pos += 2;
    } else {
      this.#buf[this.#pos++] = 0xdd;
      this.#view.setUint32(this.#pos, n);
      this.#pos += 4;
    }
  }

  /** A binary string (one char per byte) as msgpack bin. */
  #bin(s: string): void {
    const n = s.length;
    this.#ensure(5 + n);
    const buf = this.#buf;
    if (n < 0x100) {
      buf[this.#pos++] = 0xc4;
      buf[this.#pos++] = n;
    } else if (n < 0x10000) {
      buf[this.#pos++] = 0xc5;
      this.#view.setUint16(this.#pos, n);
      this.#pos += 2;
    } else {
      assert(n < twoTo32, "a string fits msgpack bin");
      buf[this.#pos++] = 0xc6;
      this.#view.setUint32(this.#pos, n);
      this.#pos += 4;
    }
    if (n >= nativeCopyMinChars) {
      buf.write(s, this.#pos, n, "latin1");
    } else {
      for (let i = 0; i < n; i++) buf[this.#pos + i] = s.charCodeAt(i);
    }
    this.#pos += n;
  }

  /**
   * A number as the smallest msgpack integer that holds it exactly, or float64 (fractions,
   * infinities, -0, integers beyond 32-bit negatives or 2^53): decodes to the same number.
   */
  #number(x: number): void {
    this.#ensure(9);
    const buf = this.#buf;
    const view = this.#view;
    if (Number.isSafeInteger(x) && !Object.is(x, -0)) {
      if (x >= 0) {
        if (x < 0x80) {
          buf[this.#pos++] = x;
        } else if (x < 0x100) {
          buf[this.#pos++] = 0xcc;
          buf[this.#pos++] = x;
        } else if (x < 0x10000) {
          buf[this.#pos++] = 0xcd;
          view.setUint16(this.#pos, x);
          this.#pos += 2;
        } else if (x < twoTo32) {
          buf[this.#pos++] = 0xce;
          view.setUint32(this.#pos, x);
          this.#pos += 4;
        } else {
          buf[this.#pos++] = 0xcf;
          view.setUint32(this.#pos, Math.floor(x / twoTo32));
          view.setUint32(this.#pos + 4, x >>> 0);
          this.#pos += 8;
        }
        return;
      }
      if (x >= -0x20) {
        buf[this.#pos++] = x & 0xff;
        return;
      }
      if (x >= -0x80000000) {
        buf[this.#pos++] = 0xd2;
        view.setInt32(this.#pos, x);
        this.#pos += 4;
        return;
      }
    }
    buf[this.#pos++] = 0xcb;
    view.setFloat64(this.#pos, x);
    this.#pos += 8;
  }
}
