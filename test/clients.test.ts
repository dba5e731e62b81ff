// Real client libraries against raftis, side by side with redis-server: ioredis (RESP2, ready
// check through INFO) and node-redis v6 (RESP3 by default, and RESP2), each running the same
// scenario on both servers (commands, pipelines, MULTI/EXEC, WATCH aborts, errors, binary
// values); the transcripts must be equal.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { createClient, WatchError } from "redis";
import { startRaftis, startRedis, type RunningServer } from "./helpers/processes.ts";

let raftis: RunningServer;
let redis: RunningServer;

beforeAll(async () => {
  [raftis, redis] = await Promise.all([startRaftis(), startRedis()]);
});

afterAll(async () => {
  await Promise.all([raftis?.stop(), redis?.stop()]);
});

/** A JSON view of whatever a client returned (Buffers as hex, errors by message). */
function show(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (x instanceof Error) return `Error: ${x.message}`;
    if (typeof x === "bigint") return `${x}n`;
    if (x !== null && typeof x === "object" && "type" in x && x.type === "Buffer" && "data" in x && Array.isArray(x.data)) {
      return `hex:${Buffer.from(x.data as number[]).toString("hex")}`;
    }
    if (x instanceof Map) return Object.fromEntries(x);
    return x;
  });
}

/** Runs `scenario` and turns a thrown error into a line, so a transcript shows both. */
async function attempt(f: () => Promise<unknown>): Promise<string> {
  try {
    return show(await f());
  } catch (e) {
    return `throws ${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
}

describe("ioredis", () => {
  async function scenario(port: number): Promise<string[]> {
    const client = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
    const other = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
    await client.connect();
    await other.connect();
    const out: string[] = [];
    try {
      await client.flushall();
      out.push(await attempt(() => client.ping()));
      out.push(await attempt(() => client.set("io:a", "1")));
      out.push(await attempt(() => client.incrby("io:a", 41)));
      out.push(await attempt(() => client.get("io:a")));
      out.push(await attempt(() => client.set("io:bin", Buffer.from([0, 255, 13, 10, 1]))));
      out.push(await attempt(() => client.getBuffer("io:bin")));
      out.push(await attempt(() => client.mget("io:a", "io:none", "io:bin")));
      out.push(await attempt(() => client.set("io:ttl", "x", "EX", 100, "NX")));
      out.push(await attempt(() => client.incr("io:bin")));
      out.push(await attempt(() => client.call("NOSUCH", "x")));
      out.push(await attempt(() => client.pipeline().set("io:p", "1").incr("io:p").get("io:p").incr("io:bin").exec()));
      out.push(await attempt(() => client.multi().set("io:m", "v").get("io:m").incr("io:m").exec()));
      out.push(await attempt(() => client.multi().set("io:m2", "v").call("NOSUCH").exec()));
      // WATCH abort: another connection changes the key between WATCH and EXEC.
      out.push(await attempt(() => client.watch("io:w")));
      out.push(await attempt(() => other.set("io:w", "theirs")));
      out.push(await attempt(() => client.multi().set("io:w", "mine").exec()));
      out.push(await attempt(() => client.get("io:w")));
      out.push(await attempt(() => client.client("SETNAME", "io-client")));
      out.push(await attempt(() => client.client("GETNAME")));
      out.push(await attempt(() => client.config("GET", "maxmemory")));
      out.push(await attempt(() => client.dbsize()));
      out.push(await attempt(() => client.echo("hello")));
      return out;
    } finally {
      client.disconnect();
      other.disconnect();
    }
  }

  test("connects (ready check reads INFO loading:0) and behaves as with redis-server", async () => {
    const [e, a] = await Promise.all([scenario(redis.port), scenario(raftis.port)]);
    expect(a).toEqual(e);
    expect(a[5]).toBe('"hex:00ff0d0a01"');
    expect(a[15]).toBe("null"); // the WATCH abort
    expect(a[11]).toBe('[[null,"OK"],[null,"v"],["Error: ERR value is not an integer or out of range"]]');
  });

  test("CLIENT LIST shows ioredis's library name and version", async () => {
    const client = new Redis({ port: raftis.port, host: "127.0.0.1" });
    try {
      await client.ping();
      const info = (await client.client("INFO")) as string;
      expect(info).toMatch(/lib-name=ioredis lib-ver=\d+\.\d+\.\d+/);
    } finally {
      client.disconnect();
    }
  });

  test("connects with a password when requirepass is set", async () => {
    const admin = new Redis({ port: raftis.port, host: "127.0.0.1" });
    try {
      await admin.config("SET", "requirepass", "pw");
      const noAuth = new Redis({ port: raftis.port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, enableReadyCheck: false });
      await noAuth.connect();
      expect(await attempt(() => noAuth.get("x"))).toBe("throws ReplyError: NOAUTH Authentication required.");
      noAuth.disconnect();
      const withAuth = new Redis({ port: raftis.port, host: "127.0.0.1", password: "pw" });
      expect(await withAuth.ping()).toBe("PONG");
      withAuth.disconnect();
    } finally {
      await admin.config("SET", "requirepass", "");
      admin.disconnect();
    }
  });
});

describe("node-redis", () => {
  async function scenario(port: number, resp: 2 | 3): Promise<string[]> {
    const client = createClient({ socket: { host: "127.0.0.1", port, reconnectStrategy: false }, RESP: resp });
    const other = createClient({ socket: { host: "127.0.0.1", port, reconnectStrategy: false }, RESP: resp });
    client.on("error", () => {});
    other.on("error", () => {});
    await client.connect();
    await other.connect();
    const out: string[] = [];
    try {
      await client.flushAll();
      out.push(await attempt(() => client.ping()));
      out.push(await attempt(() => client.hello()));
      out.push(await attempt(() => client.set("nr:a", "1")));
      out.push(await attempt(() => client.incrBy("nr:a", 41)));
      out.push(await attempt(() => client.get("nr:a")));
      out.push(await attempt(() => client.get("nr:none")));
      out.push(await attempt(() => client.mGet(["nr:a", "nr:none"])));
      out.push(await attempt(() => client.set("nr:s", "text", { expiration: { type: "EX", value: 100 } })));
      out.push(await attempt(() => client.incr("nr:s")));
      out.push(await attempt(() => client.sendCommand(["NOSUCH", "x"])));
      out.push(await attempt(() => client.sendCommand(["CONFIG", "GET", "maxmemory"])));
      out.push(await attempt(() => client.sendCommand(["CLIENT", "TRACKINGINFO"])));
      out.push(await attempt(() => client.multi().set("nr:m", "v").get("nr:m").incr("nr:m2").exec()));
      out.push(await attempt(() => client.multi().set("nr:m", "v").incr("nr:s").exec()));
      out.push(await attempt(() => client.multi().set("nr:x", "1").addCommand(["NOSUCH"]).exec()));
      // WATCH, then another client writes: EXEC fails with WatchError.
      out.push(await attempt(() => client.watch("nr:w")));
      out.push(await attempt(() => other.set("nr:w", "theirs")));
      out.push(
        await attempt(async () => {
          try {
            return await client.multi().set("nr:w", "mine").exec();
          } catch (e) {
            return e instanceof WatchError ? "WatchError" : String(e);
          }
        }),
      );
      out.push(await attempt(() => client.get("nr:w")));
      out.push(await attempt(() => client.dbSize()));
      // A raftis node is a cluster node: HELLO says mode "cluster" where redis-server says "standalone".
      return out.map((line) => line.replace(/"id":\d+/, '"id":"ID"').replace('"mode":"cluster"', '"mode":"standalone"'));
    } finally {
      client.destroy();
      other.destroy();
    }
  }

  for (const resp of [3, 2] as const) {
    test(`RESP${resp}: behaves as with redis-server`, async () => {
      const [e, a] = await Promise.all([scenario(redis.port, resp), scenario(raftis.port, resp)]);
      expect(a).toEqual(e);
      expect(a[1]).toContain(`"proto":${resp}`);
      expect(a[17]).toBe('"WatchError"');
    });
  }

  test("the default is RESP3 and the library identifies itself", async () => {
    const client = createClient({ socket: { host: "127.0.0.1", port: raftis.port, reconnectStrategy: false } });
    client.on("error", () => {});
    await client.connect();
    try {
      const info = String(await client.sendCommand(["CLIENT", "INFO"]));
      expect(info).toMatch(/ resp=3 lib-name=node-redis lib-ver=\d+\.\d+\.\d+/);
    } finally {
      client.destroy();
    }
  });
});
