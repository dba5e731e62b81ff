// Buses on real sockets: thousands of random messages between two and three nodes arrive intact
// and in order per sender; a 100 MiB entry crosses; a restarted acceptor is reached again.

import { afterAll, describe, expect, test } from "bun:test";
import { busPeerQueueBytesMaxDefault } from "../../src/constants.ts";
import type { Message, NodeId } from "../../src/raft/types.ts";
import { Rng, testSeed } from "../helpers/diff.ts";
import { waitFor } from "../helpers/wait.ts";
import { emptyMessage, firstMismatch, nextTurn, peersOf, randomMessage, startBus, stats, stopAllBuses, waitConnected, type TestBus } from "./fixtures.ts";

afterAll(stopAllBuses);

function received(to: TestBus, from: NodeId): Message[] {
  return to.inbox.filter((m) => m.from === from);
}

async function exchange(nodes: TestBus[], rounds: number, seed: number): Promise<void> {
  const rng = new Rng(seed);
  for (const n of nodes) n.bus.setPeers(peersOf(...nodes), false);
  for (const a of nodes) for (const b of nodes) if (a !== b) await waitConnected(a, b.id);
  const sent = new Map<string, Message[]>();
  for (let r = 0; r < rounds; r++) {
    for (const a of nodes) {
      const batch: Message[] = [];
      for (let k = rng.nextInt(12); k > 0; k--) {
        const b = nodes[rng.nextInt(nodes.length)]!;
        if (b === a) continue;
        const m = randomMessage(rng, a.id, b.id);
        batch.push(m);
        const key = `${a.id}>${b.id}`;
        sent.set(key, [...(sent.get(key) ?? []), m]);
      }
      // Several send() calls in one turn, as a driver carrying out a ready does.
      const cut = rng.nextInt(batch.length + 1);
      a.bus.send(batch.slice(0, cut));
      a.bus.send(batch.slice(cut));
    }
    if (rng.nextInt(4) === 0) await nextTurn();
  }
  let total = 0;
  for (const a of nodes) {
    for (const b of nodes) {
      if (a === b) continue;
      const want = sent.get(`${a.id}>${b.id}`) ?? [];
      total += want.length;
      await waitFor(`${want.length} messages ${a.id}>${b.id}`, () => received(b, a.id).length >= want.length);
      expect(firstMismatch(want, received(b, a.id)), `${a.id}>${b.id} seed ${seed}`).toBe(-1);
      expect(stats(a, b.id).droppedMessages).toBe(0);
    }
  }
  expect(total).toBeGreaterThan(rounds * 2);
}

describe("bus exchange", () => {
  test("two buses: thousands of random messages both ways, intact and in order", async () => {
    const seed = testSeed();
    const nodes = [await startBus({ nodeId: 1 }), await startBus({ nodeId: 2 })];
    await exchange(nodes, 600, seed);
    expect(nodes[0]!.states).toEqual(["2:up"]);
  });

  test("three buses with a password: thousands of random messages, intact and in order per sender", async () => {
    const seed = testSeed();
    const nodes = [
      await startBus({ nodeId: 11, password: "pw" }),
      await startBus({ nodeId: 12, password: "pw" }),
      await startBus({ nodeId: 13, password: "pw" }),
    ];
    await exchange(nodes, 400, seed);
  });

  test("a 100 MiB entry crosses, bytes intact; the queue limit holds back what follows until it drains", async () => {
    const a = await startBus({ nodeId: 21 });
    const b = await startBus({ nodeId: 22 });
    a.bus.setPeers(peersOf(b), false);
    b.bus.setPeers(peersOf(a), false);
    await waitConnected(a, b.id);
    const data = new Uint8Array(100 * 1024 * 1024);
    const words = new Uint32Array(data.buffer);
    let x = 0x9e3779b9;
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[i] = x >>> 0;
    }
    const big = emptyMessage("MsgApp", 21, 22);
    big.entries = [
      { term: 3, index: 10, type: "normal", data: new Uint8Array([1, 2, 3]) },
      { term: 3, index: 11, type: "normal", data },
    ];
    const heartbeat = (commit: number): Message => ({ ...emptyMessage("MsgHeartbeat", 21, 22), commit });
    // One message larger than the queue limit goes out when the queue is empty...
    a.bus.send([big]);
    // ...and what follows it is dropped while the queue is over its limit (Raft retransmits).
    a.bus.send([heartbeat(1)]);
    expect(stats(a, 22).droppedMessages).toBe(1);
    await waitFor("room in the queue", () => stats(a, 22).queuedBytes < busPeerQueueBytesMaxDefault - 1024);
    a.bus.send([heartbeat(2)]);
    await waitFor("the big entry and the heartbeat", () => b.inbox.length >= 2, 60_000);
    expect(b.inbox.map((m) => `${m.type}:${m.commit}`)).toEqual(["MsgApp:0", "MsgHeartbeat:2"]);
    const got = b.inbox[0]!.entries[1]!.data;
    expect(got.length).toBe(data.length);
    expect(Buffer.compare(got, data)).toBe(0);
    expect([...b.inbox[0]!.entries[0]!.data]).toEqual([1, 2, 3]);
    await waitFor("the queue empties", () => stats(a, b.id).queuedBytes === 0);
  }, 60_000);

  test("the dialer reconnects after the acceptor restarts on the same port", async () => {
    const a = await startBus({ nodeId: 31 });
    let b = await startBus({ nodeId: 32 });
    const port = b.port;
    a.bus.setPeers(peersOf(b), false);
    b.bus.setPeers(peersOf(a), false);
    await waitConnected(a, 32);
    a.bus.send([emptyMessage("MsgHeartbeat", 31, 32)]);
    await waitFor("first heartbeat", () => b.inbox.length === 1);
    b.bus.stop();
    await waitFor("the link goes down", () => a.states.includes("32:down"));
    await waitFor("a failed reconnect attempt", () => stats(a, 32).connErrors >= 2);
    b = await startBus({ nodeId: 32, listenPort: port });
    b.bus.setPeers(peersOf(a), false);
    await waitConnected(a, 32);
    a.bus.send([emptyMessage("MsgVote", 31, 32)]);
    await waitFor("the vote after the restart", () => b.inbox.length === 1);
    expect(b.inbox[0]!.type).toBe("MsgVote");
    expect(a.states).toEqual(["32:up", "32:down", "32:up"]);
    expect(stats(a, 32).connOks).toBe(2);
  });
});

test("an exception thrown by onMessage ends the process instead of closing the connection", async () => {
  const proc = Bun.spawn(["bun", new URL("./throwing-callback.ts", import.meta.url).pathname], { stdout: "pipe", stderr: "pipe" });
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  expect(out).not.toContain("still alive");
  expect(err).toContain("a broken invariant in the node");
  expect(code).not.toBe(0);
}, 15_000);
