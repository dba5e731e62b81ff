// Messages of any size cross a channel whole and in order, through a full ring and fragments.

import { describe, expect, test } from "bun:test";
import { Rng } from "../../src/engine/rng.ts";
import { ChannelReceiver, ChannelSender } from "../../src/node/channel.ts";
import { RingConsumer } from "../../src/ring/consumer.ts";
import { createRingBuffer } from "../../src/ring/layout.ts";
import { RingProducer } from "../../src/ring/producer.ts";
import { testSeed } from "../helpers/diff.ts";

function channel(bytes: number): { tx: ChannelSender; rx: ChannelReceiver } {
  const buffer = createRingBuffer(bytes);
  return { tx: new ChannelSender(new RingProducer(buffer, { spinChecks: 0 })), rx: new ChannelReceiver(new RingConsumer(buffer, { spinChecks: 0 })) };
}

function message(rng: Rng, i: number): Uint8Array {
  const size = rng.nextInt(10) === 0 ? rng.nextInt(20_000) : rng.nextInt(200);
  const m = new Uint8Array(size + 4);
  new DataView(m.buffer).setUint32(0, i, true);
  for (let j = 4; j < m.length; j++) m[j] = (i * 31 + j) & 255;
  return m;
}

describe("channel", () => {
  test("random sizes arrive in order and intact, including fragmented ones", async () => {
    const seed = testSeed();
    const rng = new Rng(seed);
    const { tx, rx } = channel(4096);
    const sent: Uint8Array[] = [];
    const received: Uint8Array[] = [];
    let sawBacklog = false;
    for (let i = 0; i < 3000; i++) {
      const m = message(rng, i);
      sent.push(m);
      tx.sendBytes(m);
      if (tx.backlogged) sawBacklog = true;
      if (rng.nextInt(4) === 0) rx.drain((v) => received.push(v.slice()));
      // Let the backlog pump (it waits for ring space asynchronously).
      if (rng.nextInt(8) === 0) await Bun.sleep(0);
    }
    for (let spins = 0; received.length < sent.length && spins < 100_000; spins++) {
      rx.drain((v) => received.push(v.slice()));
      await Bun.sleep(0);
    }
    expect(sawBacklog).toBe(true);
    expect(received.length).toBe(sent.length);
    for (let i = 0; i < sent.length; i++) {
      if (!Buffer.from(received[i]).equals(Buffer.from(sent[i]))) throw new Error(`message ${i} differs (seed ${seed})`);
    }
    expect(tx.backlogged).toBe(false);
  });

  test("a message larger than the ring is reassembled", async () => {
    const { tx, rx } = channel(1024);
    const big = new Uint8Array(100_000).map((_, i) => i % 251);
    let drained = false;
    tx.onDrained = () => {
      drained = true;
    };
    tx.sendBytes(big);
    let got: Uint8Array | null = null;
    while (got === null) {
      rx.drain((v) => {
        got = v.slice();
      });
      await Bun.sleep(0);
    }
    expect(Buffer.from(got as Uint8Array).equals(Buffer.from(big))).toBe(true);
    expect(drained).toBe(true);
  });
});
