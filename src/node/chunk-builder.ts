// Collects many small encoded records into a few large chunks. A snapshot of 1M keys is 1M
// msgpack records; keeping them as 1M arrays would cost memory and GC, and concatenating them
// into one buffer would copy hundreds of MB on the main thread at the end. Chunks of
// `chunkBytes` are the middle ground: each record is copied once, and the consumer (storage,
// the Raft worker) takes the list of chunks as it is.

import { assert } from "../util/assert.ts";

/** Records up to this long are copied byte by byte (cheaper than a view and a set() call). */
const smallCopyMaxBytes = 128;

export class ChunkBuilder {
  readonly #chunkBytes: number;
  /** The chunk being filled; null until the first record after a seal. */
  #buf: Uint8Array | null = null;
  #used = 0;
  /** Sealed chunks not yet taken. */
  #chunks: Uint8Array[] = [];
  /** Bytes appended so far (sealed and not). */
  #total = 0;

  constructor(chunkBytes: number) {
    assert(chunkBytes > 0, "chunks hold bytes");
    this.#chunkBytes = chunkBytes;
  }

  get totalBytes(): number {
    return this.#total;
  }

  /** Copies `bytes` in; the caller may reuse its buffer right after. */
  append(bytes: Uint8Array): void {
    this.appendFrom(bytes, bytes.length);
  }

  /**
   * Copies the first `length` bytes of `src` in (a record encoder's scratch buffer): no view
   * object per record, which for 1M small records was GC work of its own.
   */
  appendFrom(src: Uint8Array, length: number): void {
    assert(length <= src.length, "appending bytes the source holds");
    this.#total += length;
    if (this.#buf !== null && length > this.#buf.length - this.#used) this.#seal();
    if (length >= this.#chunkBytes) {
      // A record at least a chunk long travels alone rather than being split.
      this.#chunks.push(Uint8Array.prototype.slice.call(src, 0, length)); // a copy, even of a Buffer
      return;
    }
    if (this.#buf === null) this.#buf = new Uint8Array(this.#chunkBytes);
    const buf = this.#buf;
    const at = this.#used;
    if (length <= smallCopyMaxBytes) {
      for (let i = 0; i < length; i++) buf[at + i] = src[i];
    } else {
      buf.set(src.subarray(0, length), at);
    }
    this.#used += length;
  }

  /**
   * The chunks sealed since the last take, in order, leaving the one being filled: lets a
   * consumer stream them out while appending goes on.
   */
  takeSealed(): Uint8Array[] {
    const out = this.#chunks;
    this.#chunks = [];
    return out;
  }

  /**
   * The remaining chunks, in order: with those taken before, their concatenation is everything
   * appended. Ends the builder.
   */
  finish(): Uint8Array[] {
    this.#seal();
    return this.takeSealed();
  }

  #seal(): void {
    if (this.#buf === null) return;
    if (this.#used > 0) this.#chunks.push(this.#buf.subarray(0, this.#used));
    this.#buf = null;
    this.#used = 0;
  }
}

