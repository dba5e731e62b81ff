// Bus framing: every frame is `u32 payload length | u32 CRC-32 of the payload | payload`, both
// big-endian. The length is checked against a limit before anything is allocated, and the
// checksum catches a stream that went wrong (a bug, a proxy mangling bytes) before the decoder
// sees it. Both facts are asserted when a frame is built and checked when one is read.

import { assert } from "../util/assert.ts";

export const frameHeaderBytes = 8;

function crc32(bytes: Uint8Array): number {
  return Bun.hash.crc32(bytes) >>> 0;
}

/** Writes the header of a frame carrying `payload` at `target[offset..offset+8)`. */
export function writeFrameHeader(target: Uint8Array, offset: number, payload: Uint8Array, payloadBytesMax: number): void {
  assert(payload.length > 0, "a frame carries a payload");
  assert(payload.length <= payloadBytesMax, "frame payload within its limit");
  assert(offset + frameHeaderBytes <= target.length, "room for the frame header");
  const view = new DataView(target.buffer, target.byteOffset + offset, frameHeaderBytes);
  view.setUint32(0, payload.length);
  view.setUint32(4, crc32(payload));
}

/** One whole frame (header and payload) in a new buffer: for handshakes and tests. */
export function encodeFrame(payload: Uint8Array, payloadBytesMax: number): Uint8Array {
  const out = new Uint8Array(frameHeaderBytes + payload.length);
  writeFrameHeader(out, 0, payload, payloadBytesMax);
  out.set(payload, frameHeaderBytes);
  return out;
}

/**
 * Reassembles frames from a byte stream cut anywhere. Each payload handed out is its own copy
 * (decoded messages alias it, so it must not be a view of a buffer the socket reuses). After an
 * error the stream cannot be trusted: the caller closes the connection.
 */
export class FrameReader {
  /** Largest payload accepted; raised once a connection is authenticated. */
  payloadBytesMax: number;
  readonly #header = new Uint8Array(frameHeaderBytes);
  #headerFill = 0;
  /** The payload being filled, once its header is complete. */
  #payload: Uint8Array | null = null;
  #payloadFill = 0;
  #crc = 0;
  #failed: string | null = null;

  constructor(payloadBytesMax: number) {
    this.payloadBytesMax = payloadBytesMax;
  }

  /** Bytes of a frame received so far but not yet complete (for tests and stats). */
  get pendingBytes(): number {
    return this.#payload === null ? this.#headerFill : frameHeaderBytes + this.#payloadFill;
  }

  /**
   * Consumes `chunk`, calling `onFrame` for each complete frame in order; `onFrame` returns
   * false to stop reading (the connection is closing). Returns why the stream is broken, or null.
   */
  feed(chunk: Uint8Array, onFrame: (payload: Uint8Array) => boolean): string | null {
    if (this.#failed !== null) return this.#failed;
    let pos = 0;
    while (pos < chunk.length) {
      if (this.#payload === null) {
        // Fast path: a whole frame inside the chunk, header included.
        if (this.#headerFill === 0 && chunk.length - pos >= frameHeaderBytes) {
          const view = new DataView(chunk.buffer, chunk.byteOffset + pos, frameHeaderBytes);
          const length = view.getUint32(0);
          const crc = view.getUint32(4);
          const bad = this.#checkLength(length);
          if (bad !== null) return this.#fail(bad);
          pos += frameHeaderBytes;
          if (chunk.length - pos >= length) {
            const payload = chunk.slice(pos, pos + length);
            pos += length;
            if (crc32(payload) !== crc) return this.#fail(`frame checksum mismatch (${length} bytes)`);
            if (!onFrame(payload)) return null;
            continue;
          }
          this.#startPayload(length, crc);
          continue;
        }
        const take = Math.min(frameHeaderBytes - this.#headerFill, chunk.length - pos);
        this.#header.set(chunk.subarray(pos, pos + take), this.#headerFill);
        this.#headerFill += take;
        pos += take;
        if (this.#headerFill < frameHeaderBytes) break;
        const view = new DataView(this.#header.buffer);
        const length = view.getUint32(0);
        const bad = this.#checkLength(length);
        if (bad !== null) return this.#fail(bad);
        this.#startPayload(length, view.getUint32(4));
        continue;
      }
      const payload = this.#payload;
      const take = Math.min(payload.length - this.#payloadFill, chunk.length - pos);
      payload.set(chunk.subarray(pos, pos + take), this.#payloadFill);
      this.#payloadFill += take;
      pos += take;
      if (this.#payloadFill < payload.length) break;
      this.#payload = null;
      this.#headerFill = 0;
      if (crc32(payload) !== this.#crc) return this.#fail(`frame checksum mismatch (${payload.length} bytes)`);
      if (!onFrame(payload)) return null;
    }
    return null;
  }

  #checkLength(length: number): string | null {
    if (length === 0) return "empty frame";
    if (length > this.payloadBytesMax) return `frame of ${length} bytes exceeds the limit of ${this.payloadBytesMax}`;
    return null;
  }

  /** The length was checked against the limit: only now is the payload allocated. */
  #startPayload(length: number, crc: number): void {
    assert(length > 0 && length <= this.payloadBytesMax, "frame length checked before allocating");
    this.#payload = new Uint8Array(length);
    this.#payloadFill = 0;
    this.#crc = crc;
    this.#headerFill = frameHeaderBytes;
  }

  #fail(why: string): string {
    this.#failed = why;
    this.#payload = null;
    return why;
  }
}
