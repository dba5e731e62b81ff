// Framing: frames survive any cut of the stream, and a bad length or checksum breaks it for good.

import { describe, expect, test } from "bun:test";
import { encodeFrame, frameHeaderBytes, FrameReader } from "../../src/bus/frame.ts";
import { Rng, testSeed } from "../helpers/diff.ts";
import { randomBytes } from "./fixtures.ts";

function readAll(reader: FrameReader, chunks: Uint8Array[]): { frames: Uint8Array[]; error: string | null } {
  const frames: Uint8Array[] = [];
  for (const c of chunks) {
    const error = reader.feed(c, (p) => {
      frames.push(p);
      return true;
    });
    if (error !== null) return { frames, error };
  }
  return { frames, error: null };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

describe("FrameReader", () => {
  const seed = testSeed();
  const rng = new Rng(seed);
  const payloads = Array.from({ length: 6 }, (_, i) => randomBytes(rng, i === 3 ? 3000 : 1 + rng.nextInt(40)));
  const stream = concat(payloads.map((p) => encodeFrame(p, 1 << 20)));

  test(`whole stream, byte by byte, and split at every position (seed ${seed})`, () => {
    expect(readAll(new FrameReader(1 << 20), [stream]).frames).toEqual(payloads);
    expect(readAll(new FrameReader(1 << 20), Array.from(stream, (b) => new Uint8Array([b]))).frames).toEqual(payloads);
    for (let cut = 1; cut < stream.length; cut++) {
      const got = readAll(new FrameReader(1 << 20), [stream.subarray(0, cut), stream.subarray(cut)]);
      expect(got.error).toBeNull();
      expect(got.frames).toEqual(payloads);
    }
  });

  test("payloads are copies, not views of the caller's chunk", () => {
    const chunk = stream.slice();
    const { frames } = readAll(new FrameReader(1 << 20), [chunk]);
    chunk.fill(0);
    expect(frames).toEqual(payloads);
  });

  test("a length over the limit is refused before any allocation, and the reader stays broken", () => {
    const reader = new FrameReader(100);
    const header = new Uint8Array(frameHeaderBytes);
    new DataView(header.buffer).setUint32(0, 0xffffffff);
    const got = readAll(reader, [header.subarray(0, 3), header.subarray(3)]);
    expect(got.error).toBe("frame of 4294967295 bytes exceeds the limit of 100");
    expect(reader.pendingBytes).toBe(frameHeaderBytes);
    expect(readAll(reader, [encodeFrame(new Uint8Array([1]), 100)]).error).toContain("exceeds the limit");
  });

  test("an empty frame and a flipped bit are refused", () => {
    expect(readAll(new FrameReader(100), [new Uint8Array(frameHeaderBytes)]).error).toBe("empty frame");
    for (const at of [frameHeaderBytes, stream.length - 1, 5]) {
      const bad = stream.slice();
      bad[at]! ^= 0x10;
      const got = readAll(new FrameReader(1 << 20), [bad]);
      expect(got.error).toContain("checksum mismatch");
    }
  });

  test("the limit can rise between frames (after a handshake)", () => {
    const reader = new FrameReader(8);
    const big = randomBytes(new Rng(1), 64);
    const frames: Uint8Array[] = [];
    const error = reader.feed(concat([encodeFrame(new Uint8Array([7]), 8), encodeFrame(big, 64)]), (p) => {
      frames.push(p);
      reader.payloadBytesMax = 64;
      return true;
    });
    expect(error).toBeNull();
    expect(frames).toEqual([new Uint8Array([7]), big]);
  });

  test("building a frame over its limit is an assertion", () => {
    expect(() => encodeFrame(new Uint8Array(9), 8)).toThrow("frame payload within its limit");
    expect(() => encodeFrame(new Uint8Array(0), 8)).toThrow("a frame carries a payload");
  });
});
