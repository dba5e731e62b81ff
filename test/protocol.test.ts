// The wire protocol, byte for byte against redis-server 7.0: the same input gives the same
// output and the same decision to close, sent whole or in small pieces. A protocol error
// closes only the offending connection, after answering what came before it in the same
// packet. RESP3 through HELLO 3, back with HELLO 2, and NOPROTO.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RespClient } from "../src/client/resp-client.ts";
import { showReply, type RespValue } from "../src/resp/reply-parser.ts";
import { startRaftis, startRedis, type RunningServer } from "./helpers/processes.ts";
import { mb, rawConnect } from "./helpers/raw.ts";

let raftis: RunningServer;
let redis: RunningServer;

beforeAll(async () => {
  [raftis, redis] = await Promise.all([startRaftis(), startRedis()]);
});

afterAll(async () => {
  await Promise.all([raftis?.stop(), redis?.stop()]);
});

const marker = "end-of-case";
const markerReply = `$${marker.length}\r\n${marker}\r\n`;

/**
 * Sends `input` in `chunkSize` pieces (0 = whole). Unless the server closes the connection,
 * a final ECHO marks the end of the output. Returns what came back and whether it closed.
 */
async function exchange(port: number, input: string, chunkSize: number, closes: boolean): Promise<{ output: string; closed: boolean }> {
  const conn = await rawConnect(port);
  try {
    const full = closes ? input : input + mb("ECHO", marker);
    const size = chunkSize === 0 ? full.length : chunkSize;
    for (let i = 0; i < full.length; i += size) await conn.write(full.slice(i, i + size));
    if (closes) await conn.waitClosed();
    else await conn.waitFor(markerReply);
    const output = conn.received();
    return { output: closes ? output : output.slice(0, output.length - markerReply.length), closed: conn.closed() };
  } finally {
    conn.close();
  }
}

const cases: { name: string; input: string; closes?: boolean }[] = [
  { name: "pipelined multibulk", input: mb("SET", "p:a", "1") + mb("GET", "p:a") + mb("PING") + mb("ECHO", "x\r\ny") },
  { name: "inline commands", input: 'PING\r\nSET p:b "two words"\nGET p:b\r\nECHO \'it\\\'s\'\r\n' },
  { name: "blank lines, *0 and *-1 are ignored", input: "\r\n\n*0\r\n*-1\r\nPING\r\n" },
  { name: "unknown command and wrong arity", input: mb("NOPE", "a", "b") + mb("GET") + "nope x\r\n" },
  { name: "long unknown command text is cut at 128", input: mb("X".repeat(300), "y".repeat(200), "z") },
  { name: "binary arguments", input: mb("SET", "p:\x00\xff", "\r\n\x00") + mb("GET", "p:\x00\xff") },
  { name: "empty bulk argument", input: mb("SET", "p:e", "") + mb("GET", "p:e") + mb("ECHO", "") },
  { name: "bad multibulk count after a good command", input: mb("PING") + "*x\r\n" + mb("PING"), closes: true },
  { name: "multibulk count above INT_MAX", input: "*2147483648\r\n", closes: true },
  { name: "multibulk count with leading zero", input: mb("ECHO", "before") + "*01\r\n", closes: true },
  { name: "expected $", input: "*1\r\n:1\r\n", closes: true },
  { name: "negative bulk length", input: "*1\r\n$-1\r\n", closes: true },
  { name: "bulk length above proto-max-bulk-len", input: mb("PING") + "*2\r\n$3\r\nGET\r\n$536870913\r\n", closes: true },
  { name: "unbalanced quotes inline", input: 'ECHO ok\r\nECHO "unfinished\r\n', closes: true },
  { name: "too big inline request", input: "x".repeat(70 * 1024), closes: true },
  { name: "too big mbulk count string", input: `*${"1".repeat(70 * 1024)}`, closes: true },
  { name: "too big bulk count string", input: `*1\r\n$${"1".repeat(70 * 1024)}`, closes: true },
  { name: "QUIT answers then closes", input: mb("PING") + mb("QUIT") + mb("PING"), closes: true },
];

describe("same bytes as redis-server", () => {
  for (const c of cases) {
    for (const chunk of [0, 1, 7]) {
      // Byte-by-byte 70 KiB inputs would take long over TCP; their logic is covered by the unit tests.
      if (chunk === 1 && c.input.length > 4096) continue;
      test(`${c.name} (${chunk === 0 ? "whole" : `${chunk}-byte pieces`})`, async () => {
        const closes = c.closes === true;
        const [expected, actual] = await Promise.all([exchange(redis.port, c.input, chunk, closes), exchange(raftis.port, c.input, chunk, closes)]);
        expect(JSON.stringify(actual.output)).toBe(JSON.stringify(expected.output));
        expect(actual.closed).toBe(expected.closed);
      });
    }
  }
});

describe("connection isolation", () => {
  test("a protocol error closes only that connection", async () => {
    const other = await raftis.client();
    try {
      expect(showReply(await other.call("SET", "iso", "kept"))).toBe("+OK");
      const bad = await rawConnect(raftis.port);
      await bad.write(mb("GET", "iso") + "*1\r\n$x\r\n" + mb("PING"));
      await bad.waitClosed();
      expect(bad.received()).toBe("$4\r\nkept\r\n-ERR Protocol error: invalid bulk length\r\n");
      expect(showReply(await other.call("GET", "iso"))).toBe('"kept"');
      expect(showReply(await other.call("PING"))).toBe("+PONG");
    } finally {
      other.close();
    }
  });

  test("a request split across writes is completed later, others served meanwhile", async () => {
    const slow = await rawConnect(raftis.port);
    const other = await raftis.client();
    try {
      await slow.write("*3\r\n$3\r\nSET\r\n$5\r\nsplit\r\n$5\r\nhel");
      expect(showReply(await other.call("GET", "split"))).toBe("(nil bulk)");
      await slow.write("lo\r\n");
      await slow.waitFor("+OK\r\n");
      expect(showReply(await other.call("GET", "split"))).toBe('"hello"');
    } finally {
      slow.close();
      other.close();
    }
  });

  test("a *2147483647 header does not allocate: memory stays flat while others are served", async () => {
    const info = await raftis.client();
    try {
      const before = await usedMemory(info);
      const conns = await Promise.all(Array.from({ length: 8 }, () => rawConnect(raftis.port)));
      for (const c of conns) await c.write("*2147483647\r\n$536870912\r\nabc");
      expect(showReply(await info.call("PING"))).toBe("+PONG");
      const after = await usedMemory(info);
      // 8 × (2^31 pointers + 512 MiB) would be tens of GiB; allow ordinary noise.
      expect(after - before).toBeLessThan(64 * 1024 * 1024);
      for (const c of conns) c.close();
    } finally {
      info.close();
    }
  });
});

async function usedMemory(c: RespClient): Promise<number> {
  const r = await c.call("INFO", "memory");
  const text = r.t === "bulk" || r.t === "verbatim" ? r.v : "";
  const m = /used_memory:(\d+)/.exec(text);
  if (m === null) throw new Error(`no used_memory in ${text}`);
  return Number(m[1]);
}

describe("proto-max-bulk-len", () => {
  test("CONFIG SET proto-max-bulk-len applies to the next request", async () => {
    const admin = await raftis.client();
    try {
      expect(showReply(await admin.call("CONFIG", "SET", "proto-max-bulk-len", "1mb"))).toBe("+OK");
      const conn = await rawConnect(raftis.port);
      await conn.write(mb("ECHO", "x".repeat(1024 * 1024)));
      await conn.waitFor("x".repeat(100));
      await conn.write(`*2\r\n$4\r\nECHO\r\n$${1024 * 1024 + 1}\r\n`);
      await conn.waitClosed();
      expect(conn.received()).toEndWith("-ERR Protocol error: invalid bulk length\r\n");
      expect(showReply(await admin.call("CONFIG", "SET", "proto-max-bulk-len", "512mb"))).toBe("+OK");
    } finally {
      admin.close();
    }
  });
});

describe("RESP3", () => {
  /** HELLO's id differs between servers; everything else must match. */
  function normalizeHello(v: RespValue): string {
    // A raftis node is a cluster node: HELLO says mode "cluster" where redis-server says "standalone".
    return showReply(v)
      .replace(/"id": :\d+/, '"id": :ID')
      .replace(/"id", :\d+/, '"id", :ID')
      .replace('"mode": "cluster"', '"mode": "standalone"')
      .replace('"mode", "cluster"', '"mode", "standalone"');
  }

  async function both<T>(f: (c: RespClient) => Promise<T>): Promise<[T, T]> {
    const [a, b] = await Promise.all([redis.client(), raftis.client()]);
    try {
      return await Promise.all([f(a), f(b)]);
    } finally {
      a.close();
      b.close();
    }
  }

  test("HELLO 3 switches to RESP3, HELLO 2 back; both answer with the server map", async () => {
    const [e, a] = await both((c) => c.pipeline([["HELLO", "3"], ["GET", "resp3:none"], ["HELLO", "2"], ["GET", "resp3:none"], ["HELLO"]]));
    expect(a.map(normalizeHello)).toEqual(e.map(normalizeHello));
    expect(a[0].t).toBe("map");
    expect(showReply(a[1])).toBe("(nil resp3)");
    expect(a[2].t).toBe("array");
    expect(showReply(a[3])).toBe("(nil bulk)");
  });

  test("HELLO errors: NOPROTO, not a number, bad option, SETNAME", async () => {
    const cmds = [["HELLO", "4"], ["HELLO", "1"], ["HELLO", "x"], ["HELLO", "3", "BOGUS"], ["HELLO", "3", "AUTH", "default"], ["HELLO", "3", "SETNAME", "a b"], ["HELLO", "3", "SETNAME", "okname"], ["CLIENT", "GETNAME"]];
    const [e, a] = await both((c) => c.pipeline(cmds));
    expect(a.map(normalizeHello)).toEqual(e.map(normalizeHello));
    expect(showReply(a[0])).toBe("-NOPROTO unsupported protocol version");
  });

  test("maps, sets, nulls and verbatim text where Redis uses them", async () => {
    const cmds = [
      ["HELLO", "3"],
      ["CONFIG", "GET", "maxmemory"],
      ["CLIENT", "TRACKINGINFO"],
      ["COMMAND", "INFO", "get", "nosuchcommand"],
      ["COMMAND", "INFO", "client|getname"],
      ["COMMAND", "DOCS", "nosuchcommand"],
      ["CLIENT", "GETNAME"],
      ["INFO", "keyspace"],
      ["DEL", "resp3:z"],
      ["ZADD", "resp3:z", "1.5", "a", "2", "b"],
      ["ZSCORE", "resp3:z", "a"],
      ["ZSCORE", "resp3:z", "nope"],
      ["ZRANGE", "resp3:z", "0", "-1", "WITHSCORES"],
      ["ZINCRBY", "resp3:z", "0.1", "a"],
      ["INCRBYFLOAT", "resp3:f", "1.1"],
      ["GETEX", "resp3:none"],
    ];
    const [e, a] = await both((c) => c.pipeline(cmds));
    // INFO keyspace differs by content (other tests' keys); compare its type only.
    expect(a[7].t).toBe(e[7].t);
    expect(a.slice(0, 7).map(normalizeHello)).toEqual(e.slice(0, 7).map(normalizeHello));
    expect(a.slice(8).map(showReply)).toEqual(e.slice(8).map(showReply));
    expect(a[10].t).toBe("double");
  });
});

describe("client-query-buffer-limit", () => {
  async function withLimit<T>(server: RunningServer, f: () => Promise<T>): Promise<T> {
    const admin = await server.client();
    try {
      expect(showReply(await admin.call("CONFIG", "SET", "client-query-buffer-limit", "1mb"))).toBe("+OK");
      return await f();
    } finally {
      await admin.call("CONFIG", "SET", "client-query-buffer-limit", "1gb");
      admin.close();
    }
  }

  test("a request bigger than the limit closes the client without a reply, as Redis", async () => {
    const outputs = await Promise.all(
      [redis, raftis].map((server) =>
        withLimit(server, async () => {
          const c = await rawConnect(server.port);
          await c.write(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${2 * 1024 * 1024}\r\n`);
          for (let i = 0; i < 24 && !c.closed(); i++) await c.write("v".repeat(64 * 1024));
          await c.waitClosed();
          return c.received();
        }),
      ),
    );
    expect(outputs).toEqual(["", ""]);
  });

  test("so does a request of very many empty arguments (raftis counts each argument's cost)", async () => {
    await withLimit(raftis, async () => {
      const c = await rawConnect(raftis.port);
      await c.write("*100000000\r\n");
      const chunk = "$0\r\n\r\n".repeat(10000);
      for (let i = 0; i < 20 && !c.closed(); i++) await c.write(chunk);
      await c.waitClosed();
      expect(c.received()).toBe("");
    });
  });
});

