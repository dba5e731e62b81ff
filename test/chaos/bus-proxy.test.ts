// The fault-injecting bus proxy on real sockets: it relays both ways, learns the source node from
// the dialer's hello, and per directed link passes, delays (keeping order) or cuts (closing open
// connections and refusing new ones once their hello is read).

import { afterEach, describe, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { BusProxy, passLink, readHelloSource, type LinkState } from "../../src/chaos/bus-proxy.ts";
import { encodeFrame } from "../../src/bus/frame.ts";
import { busProtocolVersion, encodeHello, newNonce } from "../../src/bus/handshake.ts";
import { waitFor } from "../helpers/wait.ts";

function helloFrame(from: number, to: number): Uint8Array {
  return encodeFrame(encodeHello({ version: busProtocolVersion, clusterId: "c1", from, to, nonce: newNonce(), proof: new Uint8Array(0) }), 4096);
}

/** A stand-in for a node's bus: says "hi" on accept, records what each connection sent. */
function fakeBus(): { listener: TCPSocketListener<{ got: number[] }>; conns: { got: number[] }[] } {
  const conns: { got: number[] }[] = [];
  const listener = Bun.listen<{ got: number[] }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        s.data = { got: [] };
        conns.push(s.data);
        s.write("hi");
      },
      data(s, chunk) {
        s.data.got.push(...chunk);
      },
    },
  });
  return { listener, conns };
}

interface Dialer {
  received: number[];
  closed: boolean;
  socket: Socket<undefined>;
}

async function dial(port: number): Promise<Dialer> {
  const d = { received: [] as number[], closed: false } as Dialer;
  d.socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data: (_s, chunk) => void d.received.push(...chunk),
      close: () => void (d.closed = true),
      error: () => void (d.closed = true),
    },
  });
  return d;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function setup(): { proxy: BusProxy; bus: ReturnType<typeof fakeBus>; links: Map<number, LinkState> } {
  const bus = fakeBus();
  const links = new Map<number, LinkState>();
  const proxy = new BusProxy({ host: "127.0.0.1", port: 0, upstreamPort: bus.listener.port, linkFrom: (from) => links.get(from) ?? passLink });
  cleanups.push(() => proxy.stop(), () => bus.listener.stop(true));
  return { proxy, bus, links };
}

describe("BusProxy", () => {
  test("readHelloSource: waits for the whole frame, then names the dialer; garbage is unreadable", () => {
    const frame = helloFrame(7, 9);
    expect(readHelloSource(frame.subarray(0, 5))).toBeUndefined();
    expect(readHelloSource(frame.subarray(0, frame.length - 1))).toBeUndefined();
    expect(readHelloSource(frame)).toBe(7);
    expect(readHelloSource(new Uint8Array([0, 0, 0, 3, 0, 0, 0, 0, 1, 2, 3]))).toBeNull();
  });

  test("passes bytes both ways once the hello is read, split anywhere", async () => {
    const { proxy, bus } = setup();
    const d = await dial(proxy.port);
    await waitFor("the acceptor's greeting", () => d.received.length === 2, 5000);
    const frame = helloFrame(3, 1);
    d.socket.write(frame.subarray(0, 4));
    await Bun.sleep(20);
    d.socket.write(frame.subarray(4));
    d.socket.write(new Uint8Array([42, 43]));
    await waitFor("hello and payload upstream", () => bus.conns[0]?.got.length === frame.length + 2, 5000);
    expect(bus.conns[0].got.slice(-2)).toEqual([42, 43]);
    d.socket.end();
  });

  test("a cut link closes open connections and new ones from that source, not others", async () => {
    const { proxy, bus, links } = setup();
    const fromA = await dial(proxy.port);
    const fromB = await dial(proxy.port);
    fromA.socket.write(helloFrame(1, 9));
    fromB.socket.write(helloFrame(2, 9));
    await waitFor("both hellos upstream", () => bus.conns.length === 2 && bus.conns.every((c) => c.got.length > 0), 5000);
    links.set(1, { kind: "cut" });
    proxy.refresh();
    await waitFor("A's connection closed", () => fromA.closed, 5000);
    expect(fromB.closed).toBe(false);
    const again = await dial(proxy.port);
    again.socket.write(helloFrame(1, 9));
    await waitFor("A's new connection closed", () => again.closed, 5000);
    expect(proxy.stats.cut).toBe(2);
    links.delete(1);
    const healed = await dial(proxy.port);
    healed.socket.write(helloFrame(1, 9));
    await waitFor("A passes again", () => bus.conns.length === 4 && bus.conns[3].got.length > 0, 5000);
    expect(healed.closed).toBe(false);
    fromB.socket.end();
    healed.socket.end();
  });

  test("a delayed link holds bytes for the delay and keeps their order", async () => {
    const { proxy, bus, links } = setup();
    const d = await dial(proxy.port);
    const frame = helloFrame(5, 9);
    d.socket.write(frame);
    await waitFor("hello upstream", () => bus.conns[0]?.got.length === frame.length, 5000);
    links.set(5, { kind: "delay", ms: 200 });
    const sent = performance.now();
    d.socket.write(new Uint8Array([1]));
    await Bun.sleep(20);
    links.set(5, passLink);
    d.socket.write(new Uint8Array([2]));
    await waitFor("both bytes upstream", () => bus.conns[0].got.length === frame.length + 2, 5000);
    expect(performance.now() - sent).toBeGreaterThanOrEqual(190);
    // The byte sent after the link healed did not overtake the delayed one.
    expect(bus.conns[0].got.slice(-2)).toEqual([1, 2]);
    d.socket.end();
  });
});
