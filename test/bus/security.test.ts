// Who may talk to a bus: the handshake refuses strangers with a logged reason and closes, a
// recorded handshake cannot be replayed, garbage and huge length prefixes are refused without a
// crash, and an authenticated peer cannot speak for another node.

import { afterAll, describe, expect, test } from "bun:test";
import { encodeFrame, frameHeaderBytes } from "../../src/bus/frame.ts";
import { busHandshakeFrameBytesMax, busPendingHandshakesMax } from "../../src/constants.ts";
import type { NodeId } from "../../src/raft/types.ts";
import { waitFor } from "../helpers/wait.ts";
import { encode } from "@msgpack/msgpack";
import {
  emptyMessage,
  fakeAcceptor,
  fakeDialer,
  peersOf,
  startBus,
  stats,
  stopAllBuses,
  waitConnected,
  waitLog,
  type FakeAcceptor,
  type TestBus,
} from "./fixtures.ts";

const fakes: FakeAcceptor[] = [];
afterAll(() => {
  stopAllBuses();
  for (const f of fakes.splice(0)) f.stop();
});

/** `a` dials `b` (known to `a` as node `as`) and is refused: both sides log why, nothing crosses. */
async function expectRefused(a: TestBus, b: TestBus, acceptorSays: string, dialerSays: string, as: NodeId = b.id): Promise<void> {
  a.bus.setPeers(new Map([[as, b.addr()]]), false);
  a.bus.send([emptyMessage("MsgHeartbeat", a.id, as)]);
  await waitLog(b, acceptorSays);
  await waitLog(a, dialerSays);
  await waitFor("a second refused attempt", () => stats(a, as).connErrors >= 2);
  expect(stats(a, as).connOks).toBe(0);
  expect(b.inbox).toEqual([]);
}

describe("bus handshake refusals", () => {
  test("wrong cluster id", async () => {
    const a = await startBus({ nodeId: 1, clusterId: "other" });
    const b = await startBus({ nodeId: 2 });
    b.bus.setPeers(peersOf(a), false);
    await expectRefused(a, b, 'node 1: wrong cluster id "other"', "refused by the peer: wrong cluster id");
  });

  test("unknown node", async () => {
    const a = await startBus({ nodeId: 7 });
    const b = await startBus({ nodeId: 2 });
    b.bus.setPeers(new Map([[1, "127.0.0.1:1"]]), false);
    await expectRefused(a, b, "node 7: not a member of this cluster", "refused by the peer: node 7 is not a member");
  });

  test("wrong target id", async () => {
    const a = await startBus({ nodeId: 1 });
    const b = await startBus({ nodeId: 2 });
    b.bus.setPeers(peersOf(a), false);
    await expectRefused(a, b, "it wants node 3, this is node 2", "this is node 2, not 3", 3);
  });

  test("wrong password, missing password, and an acceptor without the password", async () => {
    const b = await startBus({ nodeId: 2, password: "right" });
    const a1 = await startBus({ nodeId: 1, password: "wrong" });
    const a3 = await startBus({ nodeId: 3 });
    b.bus.setPeers(peersOf(a1, a3), false);
    await expectRefused(a1, b, "node 1: bad password proof", "refused by the peer: authentication failed");
    await expectRefused(a3, b, "node 3: no password proof", "refused by the peer: authentication required");
    // The dialer checks the acceptor too: one that does not know the password cannot pose as a peer.
    const open = await startBus({ nodeId: 4 });
    open.bus.setPeers(peersOf(b), false);
    const c = await startBus({ nodeId: 5, password: "right" });
    open.bus.setPeers(peersOf(c), false);
    c.bus.setPeers(new Map([[4, open.addr()]]), false);
    c.bus.send([emptyMessage("MsgHeartbeat", 5, 4)]);
    await waitLog(c, "the peer could not prove it knows raft.cluster-password");
    expect(open.inbox).toEqual([]);
  });

  test("a node that does not know its identity yet refuses, then accepts once it does", async () => {
    const a = await startBus({ nodeId: 1 });
    const b = await startBus({ nodeId: 0, clusterId: "" });
    a.bus.setPeers(peersOf({ ...b, id: 2 }), false);
    await waitLog(b, "does not know its identity yet");
    await waitLog(a, "refused by the peer: node not ready");
    b.bus.setIdentity(2, "c0ffee");
    b.bus.setPeers(peersOf(a), false);
    await waitConnected(a, 2);
    a.bus.send([emptyMessage("MsgHeartbeat", 1, 2)]);
    await waitFor("the heartbeat", () => b.inbox.length === 1);
  });

  test("a replayed handshake is refused", async () => {
    // A dials a fake node 2 that records its hello; the recording is then replayed to the real node 2.
    const recorder = fakeAcceptor({ nodeId: 2, clusterId: "c0ffee", password: "pw" });
    fakes.push(recorder);
    const a = await startBus({ nodeId: 1, password: "pw" });
    a.bus.setPeers(new Map([[2, `127.0.0.1:${recorder.port}`]]), false);
    await waitFor("a recorded hello", () => recorder.helloFrames.length > 0);
    const b = await startBus({ nodeId: 2, password: "pw" });
    b.bus.setPeers(peersOf(a), false);
    const replay = await fakeDialer(b.port, { from: 1, to: 2, clusterId: "c0ffee", replay: recorder.helloFrames[0]! });
    expect(replay.welcome).toEqual({ ok: false, reason: "authentication failed", proof: new Uint8Array(0) });
    await waitLog(b, "node 1: bad password proof");
    await waitFor("the replayer is disconnected", () => replay.closed);
    expect(b.inbox).toEqual([]);
  });

  test("garbage bytes, a huge length prefix, and silence are refused before any handshake", async () => {
    const b = await startBus({ nodeId: 2, connectionTimeoutMs: 200 });
    const a = await startBus({ nodeId: 1 });
    b.bus.setPeers(peersOf(a), false);
    const garbage = await fakeDialer(b.port, { from: 1, to: 2, clusterId: "c0ffee", raw: new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n") });
    expect(garbage.closed).toBe(true);
    await waitLog(b, "bad handshake frame: frame of");
    const huge = new Uint8Array(frameHeaderBytes);
    new DataView(huge.buffer).setUint32(0, 0xfffffff0);
    const big = await fakeDialer(b.port, { from: 1, to: 2, clusterId: "c0ffee", raw: huge });
    expect(big.closed).toBe(true);
    await waitLog(b, `frame of ${0xfffffff0} bytes exceeds the limit of ${busHandshakeFrameBytesMax}`);
    const notHello = await fakeDialer(b.port, { from: 1, to: 2, clusterId: "c0ffee", raw: encodeFrame(encode(["x"]), 64) });
    expect(notHello.closed).toBe(true);
    await waitLog(b, "malformed hello");
    const quiet = await fakeDialer(b.port, { from: 1, to: 2, clusterId: "c0ffee", raw: new Uint8Array(0) });
    await waitFor("the silent dialer is dropped", () => quiet.closed);
    await waitLog(b, "no handshake within 200 ms");
    // The bus is unharmed.
    a.bus.setPeers(peersOf(b), false);
    await waitConnected(a, 2);
    a.bus.send([emptyMessage("MsgHeartbeat", 1, 2)]);
    await waitFor("a heartbeat from a real peer", () => b.inbox.length === 1);
  });

  test("a flood of connections that never finish the handshake is capped", async () => {
    const b = await startBus({ nodeId: 2 });
    const a = await startBus({ nodeId: 1 });
    b.bus.setPeers(peersOf(a), false);
    const sockets = [];
    for (let i = 0; i < busPendingHandshakesMax + 4; i++) {
      sockets.push(await Bun.connect({ hostname: "127.0.0.1", port: b.port, socket: { data() {}, close() {}, error() {} } }));
    }
    await waitLog(b, `${busPendingHandshakesMax} handshakes already pending`);
    for (const s of sockets) s.end();
    // Once they are gone, a real peer gets in.
    a.bus.setPeers(peersOf(b), false);
    await waitConnected(a, 2);
    a.bus.send([emptyMessage("MsgHeartbeat", 1, 2)]);
    await waitFor("a heartbeat from a real peer", () => b.inbox.length === 1);
  });
});

describe("bus after the handshake", () => {
  test("spoofed senders and misaddressed messages are dropped; the connection carries on", async () => {
    const b = await startBus({ nodeId: 2 });
    b.bus.setPeers(new Map([[1, "127.0.0.1:1"], [3, "127.0.0.1:1"]]), false);
    const d = await fakeDialer(b.port, { from: 1, to: 2, clusterId: "c0ffee" });
    expect(d.welcome?.ok).toBe(true);
    d.sendMessage(emptyMessage("MsgVote", 3, 2));
    d.sendMessage(emptyMessage("MsgVote", 1, 9));
    d.sendMessage({ ...emptyMessage("MsgHeartbeat", 1, 2), commit: 5 });
    await waitFor("the genuine message", () => b.inbox.length === 1);
    expect(b.inbox[0]).toMatchObject({ type: "MsgHeartbeat", from: 1, commit: 5 });
    await waitLog(b, "dropped a message claiming to be from node 3 on the connection from node 1 (spoofed sender");
    await waitLog(b, "dropped a message for node 9 on the connection from node 1 (wrong recipient");
    expect(d.closed).toBe(false);
    d.close();
  });

  test("a huge length prefix or a malformed message after the handshake closes the connection", async () => {
    const b = await startBus({ nodeId: 2 });
    b.bus.setPeers(new Map([[1, "127.0.0.1:1"]]), false);
    const d = await fakeDialer(b.port, { from: 1, to: 2, clusterId: "c0ffee" });
    const huge = new Uint8Array(frameHeaderBytes);
    new DataView(huge.buffer).setUint32(0, 0xf0000000);
    d.sendRaw(huge);
    await waitFor("closed", () => d.closed);
    await waitLog(b, `bad frame: frame of ${0xf0000000} bytes exceeds the limit`);
    const d2 = await fakeDialer(b.port, { from: 1, to: 2, clusterId: "c0ffee" });
    d2.sendRaw(encodeFrame(encode([1, 2, 3]), 64));
    await waitFor("closed", () => d2.closed);
    await waitLog(b, "malformed message: a message is an array of 12 fields");
    expect(b.inbox).toEqual([]);
  });

  test("acceptUnknown admits any node of the cluster until the membership is known", async () => {
    const joiner = await startBus({ nodeId: 2 });
    joiner.bus.setPeers(new Map(), true);
    const leader = await startBus({ nodeId: 5 });
    leader.bus.setPeers(peersOf(joiner), false);
    leader.bus.send([emptyMessage("MsgApp", 5, 2)]);
    await waitFor("the leader's append reaches the joiner", () => joiner.inbox.length === 1);
    const stranger = await startBus({ nodeId: 6, clusterId: "another" });
    stranger.bus.setPeers(peersOf(joiner), false);
    await waitLog(joiner, 'node 6: wrong cluster id "another"');
    // The joiner learns the membership (without node 5): 5's connection is closed and refused after.
    joiner.bus.setPeers(new Map([[7, "127.0.0.1:1"]]), false);
    await waitLog(joiner, "node 5 is no longer a peer");
    await waitLog(joiner, "node 5: not a member of this cluster");
    expect(leader.states).toContain("2:down");
  });
});
