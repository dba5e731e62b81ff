// Bytes waiting to go out on one connection. Bun's socket.write() takes what the kernel accepts
// and keeps nothing else (BUN-NOTES), so the unsent tail is ours: kept here, in order, and
// written again when the socket drains. Large frames thus leave in pieces as the peer reads.

import { assert } from "../util/assert.ts";

/** Where bytes go: returns how many it accepted (Bun's socket.write; -1 means closed). */
export interface ByteSink {
  write(bytes: Uint8Array): number;
}

/** Chunks consumed from the front before the array is compacted. */
const compactAfterChunks = 1024;

export class OutQueue {
  #chunks: Uint8Array[] = [];
  /** Index of the first unsent chunk. */
  #head = 0;
  /** Bytes of chunks[head] already written. */
  #offset = 0;
  /** Unsent bytes; equals the sum of the chunks past head, minus offset. */
  #bytes = 0;

  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Appends `bytes`, writing at once what `sink` takes when nothing is waiting before them.
   * `owned` false: the caller reuses the memory, so whatever is kept is copied. Returns how many
   * bytes were written now.
   */
  push(bytes: Uint8Array, owned: boolean, sink: ByteSink | null): number {
    if (bytes.length === 0) return 0;
    let written = 0;
    if (this.#bytes === 0 && sink !== null) {
      written = Math.max(0, sink.write(bytes));
      assert(written <= bytes.length, "a socket accepts at most what it was given");
      if (written === bytes.length) return written;
    }
    const rest = written === 0 ? bytes : bytes.subarray(written);
    this.#chunks.push(owned ? rest : rest.slice());
    this.#bytes += rest.length;
    return written;
  }

  /** Writes queued bytes until the sink takes less than offered; returns how many it took. */
  pump(sink: ByteSink): number {
    let written = 0;
    while (this.#head < this.#chunks.length) {
      const chunk = this.#chunks[this.#head]!;
      const part = this.#offset === 0 ? chunk : chunk.subarray(this.#offset);
      const n = Math.max(0, sink.write(part));
      assert(n <= part.length, "a socket accepts at most what it was given");
      written += n;
      this.#bytes -= n;
      if (n < part.length) {
        this.#offset += n;
        break;
      }
      this.#offset = 0;
      this.#head++;
    }
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
    } else if (this.#head >= compactAfterChunks) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
    assert(this.#bytes >= 0, "queued bytes never negative");
    return written;
  }

  clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#offset = 0;
    this.#bytes = 0;
  }
}
