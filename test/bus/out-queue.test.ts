// The outgoing byte queue: whatever a socket does not take is kept and resent in order.

import { expect, test } from "bun:test";
import { parseHostPort } from "../../src/bus/address.ts";
import { OutQueue, type ByteSink } from "../../src/bus/out-queue.ts";
import { Rng, testSeed } from "../helpers/diff.ts";
import { randomBytes } from "./fixtures.ts";

/** A socket that accepts a random share of each write, sometimes nothing. */
class StingySink implements ByteSink {
  readonly got: number[] = [];
  constructor(readonly rng: Rng) {}
  write(bytes: Uint8Array): number {
    const n = this.rng.nextInt(3) === 0 ? 0 : this.rng.nextInt(bytes.length + 1);
    for (let i = 0; i < n; i++) this.got.push(bytes[i]!);
    return n;
  }
}

test("bytes arrive in order and complete whatever the socket accepts", () => {
  const seed = testSeed();
  const rng = new Rng(seed);
  const sink = new StingySink(rng);
  const q = new OutQueue();
  const sent: number[] = [];
  const scratch = new Uint8Array(512);
  for (let i = 0; i < 3000; i++) {
    const owned = rng.nextInt(2) === 0;
    const data = randomBytes(rng, 1 + rng.nextInt(300));
    sent.push(...data);
    if (owned) q.push(data, true, rng.nextInt(4) === 0 ? null : sink);
    else {
      // Not owned: the caller reuses its buffer right after, so kept bytes must be copies.
      scratch.set(data);
      q.push(scratch.subarray(0, data.length), false, sink);
      scratch.fill(0xee);
    }
    if (rng.nextInt(3) === 0) q.pump(sink);
    expect(q.bytes).toBe(sent.length - sink.got.length);
  }
  while (q.bytes > 0) q.pump(sink);
  expect(sink.got.length, `seed ${seed}`).toBe(sent.length);
  expect(sink.got).toEqual(sent);
});

test("a closed socket (-1) takes nothing and nothing is lost", () => {
  const q = new OutQueue();
  q.push(new Uint8Array([1, 2, 3]), false, { write: () => -1 });
  expect(q.bytes).toBe(3);
  const got: number[] = [];
  q.pump({ write: (b) => (got.push(...b), b.length) });
  expect(got).toEqual([1, 2, 3]);
  q.push(new Uint8Array([4]), true, null);
  q.clear();
  expect(q.bytes).toBe(0);
});

test("bus addresses", () => {
  expect(parseHostPort("10.0.0.1:16379")).toEqual({ host: "10.0.0.1", port: 16379 });
  expect(parseHostPort("node-a.local:1")).toEqual({ host: "node-a.local", port: 1 });
  expect(parseHostPort("[::1]:16379")).toEqual({ host: "::1", port: 16379 });
  for (const bad of ["", "host", ":1", "h:0", "h:65536", "h:x", "::1:5", "[::1:5", "h:-1", "h:1 "]) expect(parseHostPort(bad)).toBeNull();
});
