// `bun bench/bus.ts`: Raft bus throughput between two buses in one process (sender and receiver
// share one thread, so each figure pays for both ends). Prints, never asserts: small heartbeats,
// 64 KiB MsgApp frames, and one 100 MiB entry. The sender keeps a bounded window in flight, as
// Raft's inflight limits do, so nothing is dropped.

import { Bus } from "../src/bus/bus.ts";
import { encodeMessage } from "../src/bus/codec.ts";
import { frameHeaderBytes } from "../src/bus/frame.ts";
import type { Message } from "../src/raft/types.ts";

function message(type: Message["type"], bytes: number, index: number): Message {
  return {
    type,
    from: 1,
    to: 2,
    term: 7,
    logTerm: 7,
    index,
    entries: bytes > 0 ? [{ term: 7, index: index + 1, type: "normal", data: new Uint8Array(bytes).fill(index & 0xff) }] : [],
    commit: index,
    reject: false,
    rejectHint: 0,
    context: new Uint8Array(0),
    snapshot: null,
  };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function pair(): Promise<{ a: Bus; b: Bus; got: () => number; stop: () => void }> {
  let received = 0;
  const common = { clusterId: "bench", password: "", listenHost: "127.0.0.1", listenPort: 0, connectionTimeoutMs: 3000, responseTimeoutMs: 10_000, reconnectIntervalMs: 50, log: () => {} };
  const b = new Bus({ ...common, nodeId: 2, onMessage: () => received++ });
  const a = new Bus({ ...common, nodeId: 1, onMessage: () => {} });
  const pb = await b.start();
  const pa = await a.start();
  a.setPeers(new Map([[2, `127.0.0.1:${pb}`]]), false);
  b.setPeers(new Map([[1, `127.0.0.1:${pa}`]]), false);
  while (a.peerStats()[0]!.state !== "connected") await nextTurn();
  return { a, b, got: () => received, stop: () => (a.stop(), b.stop()) };
}

async function run(label: string, make: (i: number) => Message, count: number, batch: number, window: number): Promise<void> {
  const { a, got, stop } = await pair();
  const frame = encodeMessage(make(0)).bytes.length + frameHeaderBytes;
  const start = performance.now();
  let sent = 0;
  while (sent < count) {
    while (sent - got() > window) await nextTurn();
    const n = Math.min(batch, count - sent);
    const msgs: Message[] = new Array(n);
    for (let i = 0; i < n; i++) msgs[i] = make(sent + i);
    a.send(msgs);
    sent += n;
    await nextTurn();
  }
  while (got() < count) await nextTurn();
  const seconds = (performance.now() - start) / 1000;
  const dropped = a.peerStats()[0]!.droppedMessages;
  stop();
  const rate = count / seconds;
  console.log(
    `| ${label.padEnd(22)} | ${String(frame).padStart(9)} B/frame | ${(rate / 1e3).toFixed(0).padStart(6)}k msg/s | ${((rate * frame) / 1e6).toFixed(0).padStart(5)} MB/s | dropped ${dropped} |`,
  );
}

async function bigEntry(): Promise<void> {
  const { a, got, stop } = await pair();
  const m = message("MsgApp", 100 * 1024 * 1024, 1);
  const start = performance.now();
  a.send([m]);
  while (got() < 1) await nextTurn();
  const seconds = (performance.now() - start) / 1000;
  stop();
  console.log(`| one 100 MiB entry      | ${(seconds * 1000).toFixed(0)} ms | ${(100 * 1.048576 / seconds).toFixed(0)} MB/s (encode, crc, write, read, crc, decode) |`);
}

console.log(`bus bench (Bun ${Bun.version}, sender and receiver on one thread)`);
await run("MsgHeartbeat", (i) => message("MsgHeartbeat", 0, i), 1_000_000, 1000, 20_000);
await run("MsgApp 64 KiB entry", (i) => message("MsgApp", 64 * 1024, i), 20_000, 16, 256);
await run("MsgApp 100 B entry", (i) => message("MsgApp", 100, i), 500_000, 1000, 20_000);
await bigEntry();
