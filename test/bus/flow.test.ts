// Flow control: a peer that stops reading makes the sender drop messages to it instead of
// growing past its queue limit, other peers keep receiving, and a peer stuck for longer than
// raft.response-timeout has its connection closed and dialed again.

import { afterAll, describe, expect, test } from "bun:test";
import type { Message } from "../../src/raft/types.ts";
import { waitFor } from "../helpers/wait.ts";
import { emptyMessage, fakeAcceptor, nextTurn, peersOf, startBus, stats, stopAllBuses, waitConnected, waitLog, type FakeAcceptor } from "./fixtures.ts";

const fakes: FakeAcceptor[] = [];
afterAll(() => {
  stopAllBuses();
  for (const f of fakes.splice(0)) f.stop();
});

function append(from: number, to: number, index: number, bytes: number): Message {
  const m = emptyMessage("MsgApp", from, to);
  m.index = index;
  m.entries = [{ term: 1, index: index + 1, type: "normal", data: new Uint8Array(bytes).fill(index & 0xff) }];
  return m;
}

describe("bus flow control", () => {
  test("a peer that stops reading: the sender drops past its queue limit, the other peer gets everything", async () => {
    const queueMax = 1024 * 1024;
    const stuck = fakeAcceptor({ nodeId: 2, clusterId: "c0ffee", stopReading: true });
    fakes.push(stuck);
    const a = await startBus({ nodeId: 1, peerQueueBytesMax: queueMax });
    const c = await startBus({ nodeId: 3 });
    a.bus.setPeers(new Map([...peersOf(c), [2, `127.0.0.1:${stuck.port}`]]), false);
    c.bus.setPeers(peersOf(a), false);
    await waitConnected(a, 2);
    await waitConnected(a, 3);
    const count = 2000;
    const size = 8 * 1024;
    let maxQueued = 0;
    for (let i = 0; i < count; i++) {
      a.bus.send([append(1, 2, i, size), append(1, 3, i, size)]);
      maxQueued = Math.max(maxQueued, stats(a, 2).queuedBytes);
      if (i % 20 === 19) await nextTurn();
    }
    await waitFor("everything reaches the reading peer", () => c.inbox.length === count);
    expect(c.inbox.map((m) => m.index)).toEqual(Array.from({ length: count }, (_, i) => i));
    const s = stats(a, 2);
    // 16 MiB went to a peer whose kernel buffers hold a few: most of it was dropped.
    expect(s.droppedMessages).toBeGreaterThan(count / 4);
    expect(maxQueued).toBeLessThanOrEqual(queueMax);
    expect(s.queuedBytes).toBeLessThanOrEqual(queueMax);
    expect(s.state).toBe("connected");
    expect(stats(a, 3).droppedMessages).toBe(0);
  });

  test("a peer stuck past raft.response-timeout is disconnected and dialed again", async () => {
    const stuck = fakeAcceptor({ nodeId: 2, clusterId: "c0ffee", stopReading: true });
    fakes.push(stuck);
    const a = await startBus({ nodeId: 1, responseTimeoutMs: 200, peerQueueBytesMax: 4 * 1024 * 1024 });
    a.bus.setPeers(new Map([[2, `127.0.0.1:${stuck.port}`]]), false);
    await waitConnected(a, 2);
    for (let i = 0; i < 400 && a.states.length < 2; i++) {
      a.bus.send([append(1, 2, i, 64 * 1024)]);
      await nextTurn();
    }
    await waitLog(a, "the peer read nothing for");
    await waitFor("a second handshake", () => stuck.welcomed >= 2);
    await waitConnected(a, 2);
    expect(a.states.slice(0, 3)).toEqual(["2:up", "2:down", "2:up"]);
    expect(stats(a, 2).connErrors).toBeGreaterThanOrEqual(1);
  });

  test("a peer that accepts but never speaks: the handshake times out, messages to it are bounded, others flow", async () => {
    const silent = fakeAcceptor({ nodeId: 2, clusterId: "c0ffee", silent: true });
    fakes.push(silent);
    const queueMax = 256 * 1024;
    const a = await startBus({ nodeId: 1, connectionTimeoutMs: 150, peerQueueBytesMax: queueMax });
    const c = await startBus({ nodeId: 3 });
    a.bus.setPeers(new Map([...peersOf(c), [2, `127.0.0.1:${silent.port}`]]), false);
    c.bus.setPeers(peersOf(a), false);
    await waitConnected(a, 3);
    for (let i = 0; i < 200; i++) {
      a.bus.send([append(1, 2, i, 4096), append(1, 3, i, 4096)]);
      expect(stats(a, 2).queuedBytes).toBeLessThanOrEqual(queueMax);
      if (i % 10 === 9) await nextTurn();
    }
    await waitLog(a, "no connection and handshake within 150 ms");
    await waitFor("everything reaches the other peer", () => c.inbox.length === 200);
    await waitFor("a second failed attempt", () => stats(a, 2).connErrors >= 2);
    const s = stats(a, 2);
    expect(s.state).not.toBe("connected");
    expect(s.droppedMessages).toBeGreaterThan(0);
    expect(a.states).not.toContain("2:up");
  });
});
