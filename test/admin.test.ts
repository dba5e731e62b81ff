// Connection and server commands (PING ECHO SELECT AUTH HELLO RESET CLIENT CONFIG INFO COMMAND
// TIME LASTSAVE SAVE BGSAVE SHUTDOWN DEBUG) against redis-server 7.0: same replies and error
// texts where both have the feature; properties where values are the node's own (ids, times,
// memory). Also requirepass/NOAUTH and maxmemory/OOM, side by side with redis-server.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { showReply, type RespValue } from "../src/resp/reply-parser.ts";
import { sortPairs, sortReply } from "./helpers/diff.ts";
import { startRaftis, startRedis, type RunningServer } from "./helpers/processes.ts";
import { mb, rawConnect } from "./helpers/raw.ts";
import { waitFor } from "./helpers/wait.ts";

let raftis: RunningServer;
let redis: RunningServer;

beforeAll(async () => {
  [raftis, redis] = await Promise.all([startRaftis(), startRedis()]);
});

afterAll(async () => {
  await Promise.all([raftis?.stop(), redis?.stop()]);
});

/** Runs the same pipeline on fresh connections to both servers. */
async function both(cmds: string[][], servers: [RunningServer, RunningServer] = [redis, raftis]): Promise<[RespValue[], RespValue[]]> {
  const [a, b] = await Promise.all([servers[0].client(), servers[1].client()]);
  try {
    return await Promise.all([a.pipeline(cmds), b.pipeline(cmds)]);
  } finally {
    a.close();
    b.close();
  }
}

/** Compares command by command, naming the command on a mismatch. */
function expectSameReplies(cmds: string[][], expected: RespValue[], actual: RespValue[], normalize: (v: RespValue) => string = showReply): void {
  const diffs: string[] = [];
  for (let i = 0; i < cmds.length; i++) {
    const e = normalize(expected[i]);
    const a = normalize(actual[i]);
    if (e !== a) diffs.push(`${cmds[i].join(" ")}\n    redis:  ${e}\n    raftis: ${a}`);
  }
  expect(diffs).toEqual([]);
}

function text(v: RespValue): string {
  if (v.t === "bulk" || v.t === "verbatim" || v.t === "simple") return v.v;
  throw new Error(`expected text, got ${showReply(v)}`);
}

function num(v: RespValue): number {
  if (v.t !== "int") throw new Error(`expected an integer, got ${showReply(v)}`);
  return Number(v.v);
}

describe("replies and errors as redis-server", () => {
  test("connection commands", async () => {
    const cmds = [
      ["PING"],
      ["PING", "hello"],
      ["PING", "a", "b"],
      ["ECHO"],
      ["ECHO", "a", "b"],
      ["ECHO", "\x00bin\xff"],
      ["SELECT", "0"],
      ["SELECT", "16"],
      ["SELECT", "-1"],
      ["SELECT", "x"],
      ["SELECT", "99999999999"],
      ["RESET", "x"],
      ["AUTH", "x"],
      ["AUTH", "default", "anything"],
      ["AUTH", "nobody", "x"],
      ["AUTH", "a", "b", "c"],
      ["AUTH", "default"],
      ["HELLO", "x"],
      ["HELLO", "9"],
      ["HELLO", "2", "SETNAME"],
      ["HELLO", "2", "AUTH", "default"],
      ["HELLO", "2", "AUTH", "nobody", "pw"],
      ["NOSUCHCOMMAND", "with", "args"],
      ["nosuchcommand"],
      ["GET"],
      ["get", "a", "b"],
    ];
    const [e, a] = await both(cmds);
    expectSameReplies(cmds, e, a);
  });

  test("CLIENT", async () => {
    const cmds = [
      ["CLIENT"],
      ["CLIENT", "BOGUS"],
      ["client", "bogus", "x"],
      ["CLIENT", "ID", "x"],
      ["CLIENT", "SETNAME", "a b"],
      ["CLIENT", "SETNAME", "a\nb"],
      ["CLIENT", "GETNAME"],
      ["CLIENT", "SETNAME", "conn-1"],
      ["CLIENT", "GETNAME"],
      ["CLIENT", "SETNAME", ""],
      ["CLIENT", "GETNAME"],
      ["CLIENT", "KILL", "1.2.3.4:5"],
      ["CLIENT", "KILL", "bogus"],
      ["CLIENT", "KILL", "ID", "abc"],
      ["CLIENT", "KILL", "ID", "0"],
      ["CLIENT", "KILL", "ID", "999999"],
      ["CLIENT", "KILL", "TYPE", "bogus"],
      ["CLIENT", "KILL", "TYPE", "pubsub"],
      ["CLIENT", "KILL", "TYPE", "master"],
      ["CLIENT", "KILL", "SKIPME", "maybe"],
      ["CLIENT", "KILL", "ADDR", "1.2.3.4:5", "LADDR", "x"],
      ["CLIENT", "KILL", "foo", "bar"],
      ["CLIENT", "KILL", "ID", "1", "ID"],
      ["CLIENT", "KILL", "USER", "bob"],
      ["CLIENT", "KILL", "USER", "default", "ADDR", "1.2.3.4:5"],
      ["CLIENT", "LIST", "TYPE", "bogus"],
      ["CLIENT", "LIST", "ID", "abc"],
      ["CLIENT", "LIST", "ID", "999999"],
      ["CLIENT", "LIST", "TYPE", "pubsub"],
      ["CLIENT", "LIST", "bogus"],
      ["CLIENT", "NO-EVICT", "maybe"],
      ["CLIENT", "NO-EVICT", "on"],
      ["CLIENT", "NO-EVICT", "off"],
      ["CLIENT", "REPLY", "bogus"],
      ["CLIENT", "REPLY", "ON"],
      ["CLIENT", "TRACKING", "maybe"],
      ["CLIENT", "TRACKING", "off"],
      ["CLIENT", "TRACKINGINFO"],
      ["CLIENT", "GETREDIR"],
      ["CLIENT", "CACHING", "yes"],
      ["CLIENT", "UNBLOCK", "999"],
      ["CLIENT", "UNBLOCK", "x"],
      ["CLIENT", "UNBLOCK", "1", "bogus"],
      ["CLIENT", "UNPAUSE"],
    ];
    const [e, a] = await both(cmds);
    expectSameReplies(cmds, e, a);
  });

  test("CLIENT HELP is Redis's, plus SETINFO (Redis 7.2)", async () => {
    const [[e], [a]] = await both([["CLIENT", "HELP"]]);
    const lines = (v: RespValue): string[] => (v.t === "array" ? v.v.map(text) : []);
    const withoutSetinfo = lines(a).filter((l) => !/SETINFO|LIB-NAME|LIB-VER|meta attr/.test(l));
    expect(withoutSetinfo).toEqual(lines(e));
  });

  test("CONFIG", async () => {
    const cmds = [
      ["CONFIG"],
      ["CONFIG", "BOGUS"],
      ["CONFIG", "GET"],
      ["CONFIG", "GET", "maxmemory"],
      ["CONFIG", "GET", "MAXMEMORY"],
      ["CONFIG", "GET", "nosuchparam"],
      ["CONFIG", "SET", "maxmemory"],
      ["CONFIG", "SET", "maxmemory", "1", "hz"],
      ["CONFIG", "SET", "bogus", "1"],
      ["CONFIG", "SET", "hz", "10", "bogus", "1"],
      ["CONFIG", "SET", "maxmemory", "abc"],
      ["CONFIG", "SET", "maxmemory", "-1"],
      ["CONFIG", "SET", "maxmemory", "1.5gb"],
      ["CONFIG", "SET", "maxmemory", "1GB"],
      ["CONFIG", "GET", "maxmemory"],
      ["CONFIG", "SET", "maxmemory", "10K"],
      ["CONFIG", "GET", "maxmemory"],
      ["CONFIG", "SET", "maxmemory", "0"],
      ["CONFIG", "SET", "hz", "abc"],
      ["CONFIG", "SET", "hz", "-1"],
      ["CONFIG", "SET", "hz", "1000"],
      ["CONFIG", "GET", "hz"],
      ["CONFIG", "SET", "hz", "0"],
      ["CONFIG", "GET", "hz"],
      ["CONFIG", "SET", "hz", "10"],
      ["CONFIG", "SET", "timeout", "-1"],
      ["CONFIG", "SET", "timeout", "05"],
      ["CONFIG", "SET", "timeout", "+5"],
      ["CONFIG", "SET", "timeout", " 5"],
      ["CONFIG", "SET", "maxclients", "0"],
      ["CONFIG", "SET", "proto-max-bulk-len", "1"],
      ["CONFIG", "SET", "client-output-buffer-limit", "normal 1 2"],
      ["CONFIG", "SET", "client-output-buffer-limit", "bogus 1 2 3"],
      ["CONFIG", "SET", "client-output-buffer-limit", "normal x 2 3"],
      ["CONFIG", "SET", "client-output-buffer-limit", "normal 10mb 5mb 60"],
      ["CONFIG", "GET", "client-output-buffer-limit"],
      ["CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0"],
      ["CONFIG", "SET", "save", "bad"],
      ["CONFIG", "SET", "appendonly", "maybe"],
      ["CONFIG", "SET", "loglevel", "bogus"],
      ["CONFIG", "SET", "loglevel", "NOTICE"],
      ["CONFIG", "SET", "databases", "2"],
      ["CONFIG", "SET", "maxmemory", "10", "maxmemory", "20"],
      ["CONFIG", "SET", "maxmemory", "100mb", "hz", "x"],
      ["CONFIG", "GET", "maxmemory"],
      ["CONFIG", "SET", "timeout", "7", "tcp-keepalive", "60"],
      ["CONFIG", "GET", "timeout"],
      ["CONFIG", "SET", "timeout", "0", "tcp-keepalive", "300"],
      ["CONFIG", "RESETSTAT", "x"],
      ["CONFIG", "HELP"],
      ["CONFIG", "HELP", "x"],
    ];
    const [e, a] = await both(cmds);
    expectSameReplies(cmds, e, a);
  });

  test("CONFIG GET with several names and globs (order is Redis's dict order, compared sorted)", async () => {
    const cmds = [
      ["CONFIG", "GET", "maxmemory", "hz", "timeout"],
      ["CONFIG", "GET", "max*"],
      ["CONFIG", "GET", "maxmemory", "max*", "maxmemory"],
      ["CONFIG", "GET", "hash-max-ziplist-entries"],
      ["CONFIG", "GET", "appendonly", "save"],
    ];
    const names = (v: RespValue): string[] => (v.t === "array" ? v.v.filter((_, i) => i % 2 === 0).map(text).sort() : []);
    const [e, a] = await both(cmds);
    expect(showReply(sortPairs(a[0]))).toBe(showReply(sortPairs(e[0])));
    expect(showReply(sortPairs(a[4]))).toBe(showReply(sortPairs(e[4])));
    // Redis has more max* parameters (eviction tuning raftis lacks): ours must be among them.
    for (const i of [1, 2]) for (const n of names(a[i])) expect(names(e[i])).toContain(n);
    expect(names(a[3])).toEqual(["hash-max-ziplist-entries"]);
  });

  test("every parameter CONFIG GET * lists is a Redis parameter, or a raft.* one", async () => {
    const [[e], [a]] = await both([["CONFIG", "GET", "*"]]);
    const names = (v: RespValue): string[] => (v.t === "array" ? v.v.filter((_, i) => i % 2 === 0).map(text) : []);
    const redisNames = new Set(names(e));
    const unknown = names(a).filter((n) => !n.startsWith("raft.") && !redisNames.has(n));
    expect(unknown).toEqual([]);
  });

  test("COMMAND errors, GETKEYS, GETKEYSANDFLAGS, HELP", async () => {
    const cmds = [
      ["COMMAND", "BOGUS"],
      ["COMMAND", "COUNT", "x"],
      ["COMMAND", "GETKEYS", "get"],
      ["COMMAND", "GETKEYS", "bogus", "x"],
      ["COMMAND", "GETKEYS", "ping", "x"],
      ["COMMAND", "GETKEYS", "get", "a", "b"],
      ["COMMAND", "GETKEYS", "set", "a", "b"],
      ["COMMAND", "GETKEYS", "GET", "key"],
      ["COMMAND", "GETKEYS", "client", "list"],
      ["COMMAND", "GETKEYS", "client", "bogus"],
      ["COMMAND", "GETKEYSANDFLAGS", "get", "a"],
      ["COMMAND", "LIST", "FILTERBY", "pattern"],
      ["COMMAND", "LIST", "bogus"],
      ["COMMAND", "LIST", "FILTERBY", "module", "x"],
      ["COMMAND", "INFO", "bogus"],
      ["COMMAND", "DOCS", "bogus"],
      ["COMMAND", "HELP"],
    ];
    const [e, a] = await both(cmds);
    expectSameReplies(cmds, e, a);
  });

  test("server commands", async () => {
    const cmds = [
      ["TIME", "x"],
      ["LASTSAVE", "x"],
      ["SAVE", "x"],
      ["BGSAVE", "x", "y"],
      ["SHUTDOWN", "bogus"],
      ["SHUTDOWN", "ABORT"],
      ["SHUTDOWN", "NOSAVE", "SAVE"],
      ["SHUTDOWN", "ABORT", "NOW"],
      ["DEBUG"],
      ["INFO", "bogus"],
      ["ROLE"],
      ["MULTI"],
      ["SAVE"],
      ["SHUTDOWN"],
      ["PING"],
      ["EXEC"],
    ];
    const [e, a] = await both(cmds);
    expectSameReplies(cmds, e, a);
  });
});

describe("connection limits", () => {
  test("maxclients: the connection over the limit gets Redis's error and is closed", async () => {
    const run = async (server: RunningServer): Promise<string[]> => {
      const admin = await server.client();
      await admin.call("CONFIG", "SET", "maxclients", "3");
      const conns = await Promise.all([0, 1, 2].map(() => rawConnect(server.port)));
      try {
        for (const c of conns) await c.write(mb("PING"));
        await Promise.all(conns.map((c) => waitFor("a reply or a close", () => c.received() !== "" || c.closed())));
        return conns.map((c) => `${c.received()}${c.closed() ? " [closed]" : ""}`).sort();
      } finally {
        for (const c of conns) c.close();
        await admin.call("CONFIG", "SET", "maxclients", "10000");
        admin.close();
      }
    };
    const [e, a] = await Promise.all([run(redis), run(raftis)]);
    expect(a).toEqual(e);
    expect(a).toEqual(["+PONG\r\n", "+PONG\r\n", "-ERR max number of clients reached\r\n [closed]"]);
  });

  test("timeout: an idle client is closed, as by Redis", async () => {
    const run = async (server: RunningServer): Promise<boolean> => {
      const setTimeoutParam = async (seconds: string): Promise<void> => {
        const admin = await server.client();
        await admin.call("CONFIG", "SET", "timeout", seconds);
        admin.close();
      };
      await setTimeoutParam("1");
      const idle = await rawConnect(server.port);
      try {
        await idle.write(mb("PING"));
        await idle.waitClosed(10000);
        return idle.received() === "+PONG\r\n";
      } finally {
        idle.close();
        await setTimeoutParam("0");
      }
    };
    expect(await Promise.all([run(redis), run(raftis)])).toEqual([true, true]);
  }, 15000);
});

describe("raftis's own choices", () => {
  test("SELECT: only database 0 exists", async () => {
    const c = await raftis.client();
    try {
      expect((await c.pipeline([["SELECT", "0"], ["SELECT", "1"]])).map(showReply)).toEqual(["+OK", "-ERR DB index is out of range"]);
    } finally {
      c.close();
    }
  });

  test("SAVE/BGSAVE say why they are not there; DEBUG does the minimum", async () => {
    const c = await raftis.client();
    try {
      const r = await c.pipeline([["SAVE"], ["BGSAVE"], ["BGSAVE", "SCHEDULE"], ["DEBUG", "SLEEP", "0"], ["DEBUG", "SLEEP", "x"], ["DEBUG", "bogus"], ["DEBUG", "SET-ACTIVE-EXPIRE", "0"], ["DEBUG", "SET-ACTIVE-EXPIRE", "1"]]);
      const saveError = "-ERR SAVE and BGSAVE are not supported: raftis makes writes durable through its Raft log";
      expect(r.map(showReply)).toEqual([saveError, saveError, saveError, "+OK", "-ERR value is not a valid float", "-ERR unknown subcommand 'bogus'. Try DEBUG HELP.", "+OK", "+OK"]);
    } finally {
      c.close();
    }
  });

  test("unsupported CLIENT features answer with a clear error", async () => {
    const c = await raftis.client();
    try {
      const r = await c.pipeline([["CLIENT", "REPLY", "OFF"], ["CLIENT", "TRACKING", "ON"], ["CLIENT", "PAUSE", "100"], ["PING"]]);
      expect(r.map(showReply)).toEqual([
        "-ERR CLIENT REPLY OFF and SKIP are not supported by raftis",
        "-ERR client-side caching (CLIENT TRACKING) is not supported by raftis",
        "-ERR CLIENT PAUSE is not supported by raftis",
        "+PONG",
      ]);
    } finally {
      c.close();
    }
  });

  test("TIME and LASTSAVE are the node's clock", async () => {
    const c = await raftis.client();
    try {
      const [time, lastsave] = await c.pipeline([["TIME"], ["LASTSAVE"]]);
      if (time.t !== "array") throw new Error(showReply(time));
      const [sec, usec] = time.v.map((v) => Number(text(v)));
      expect(Math.abs(sec * 1000 + usec / 1000 - Date.now())).toBeLessThan(5000);
      expect(usec).toBeGreaterThanOrEqual(0);
      expect(usec).toBeLessThan(1e6);
      expect(num(lastsave)).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    } finally {
      c.close();
    }
  });
});

describe("CLIENT LIST, INFO, KILL, SETINFO", () => {
  const redisFields = "id addr laddr fd name age idle flags db sub psub ssub multi qbuf qbuf-free argv-mem multi-mem rbs rbp obl oll omem tot-mem events cmd user redir resp".split(" ");

  function fields(line: string): Map<string, string> {
    return new Map(line.trim().split(" ").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
  }

  test("CLIENT INFO has Redis's fields in Redis's order, then lib-name and lib-ver", async () => {
    const [[e], [a]] = await both([["CLIENT", "INFO"]]);
    expect([...fields(text(e)).keys()]).toEqual(redisFields);
    expect([...fields(text(a)).keys()]).toEqual([...redisFields, "lib-name", "lib-ver"]);
    expect(text(a)).toEndWith("\n");
  });

  test("CLIENT LIST shows every connection with its name, command, MULTI state and library", async () => {
    const a = await raftis.client();
    const b = await raftis.client();
    try {
      const [idA] = await a.pipeline([["CLIENT", "ID"], ["CLIENT", "SETNAME", "alpha"], ["CLIENT", "SETINFO", "LIB-NAME", "mylib"], ["CLIENT", "SETINFO", "lib-ver", "1.2"]]);
      const [idB] = await b.pipeline([["CLIENT", "ID"], ["MULTI"], ["PING"]]);
      const list = text(await a.call("CLIENT", "LIST"));
      const lines = list.split("\n").filter((l) => l !== "").map(fields);
      const la = lines.find((f) => f.get("id") === String(num(idA)));
      const lb = lines.find((f) => f.get("id") === String(num(idB)));
      expect(la?.get("name")).toBe("alpha");
      expect(la?.get("cmd")).toBe("client|list");
      expect(la?.get("lib-name")).toBe("mylib");
      expect(la?.get("lib-ver")).toBe("1.2");
      expect(la?.get("flags")).toBe("N");
      expect(lb?.get("flags")).toBe("x");
      expect(lb?.get("multi")).toBe("1");
      expect(lb?.get("cmd")).toBe("ping");
      const only = text(await a.call("CLIENT", "LIST", "ID", String(num(idB)), "999999"));
      expect(only.split("\n").filter((l) => l !== "").length).toBe(1);
      expect(showReply(await a.call("CLIENT", "SETINFO", "LIB-NAME", "bad name"))).toBe("-ERR LIB-NAME cannot contain spaces, newlines or special characters.");
      expect(showReply(await a.call("CLIENT", "SETINFO", "bogus", "x"))).toBe("-ERR Unrecognized option 'bogus'");
    } finally {
      a.close();
      b.close();
    }
  });

  test("CLIENT KILL by ID, ADDR, LADDR and the old ip:port form; SKIPME", async () => {
    const killer = await raftis.client();
    const victims = await Promise.all([raftis.client(), raftis.client(), raftis.client()]);
    try {
      const ids = await Promise.all(victims.map(async (v) => num(await v.call("CLIENT", "ID"))));
      const info = await Promise.all(victims.map(async (v) => fields(text(await v.call("CLIENT", "INFO")))));
      expect(num(await killer.call("CLIENT", "KILL", "ID", String(ids[0])))).toBe(1);
      await victims[0].waitClosed();
      expect(showReply(await killer.call("CLIENT", "KILL", info[1].get("addr") ?? ""))).toBe("+OK");
      await victims[1].waitClosed();
      expect(num(await killer.call("CLIENT", "KILL", "ADDR", info[2].get("addr") ?? "", "SKIPME", "yes"))).toBe(1);
      await victims[2].waitClosed();
      // LADDR matches everyone on this port but the caller (SKIPME defaults to yes).
      const others = await Promise.all([raftis.client(), raftis.client()]);
      const laddr = fields(text(await killer.call("CLIENT", "INFO"))).get("laddr") ?? "";
      expect(num(await killer.call("CLIENT", "KILL", "LADDR", laddr))).toBeGreaterThanOrEqual(2);
      await Promise.all(others.map((o) => o.waitClosed()));
      expect(showReply(await killer.call("PING"))).toBe("+PONG");
      // Killing oneself: the reply still arrives, then the connection closes.
      const myId = num(await killer.call("CLIENT", "ID"));
      expect(num(await killer.call("CLIENT", "KILL", "ID", String(myId), "SKIPME", "no"))).toBe(1);
      await killer.waitClosed();
    } finally {
      killer.close();
      for (const v of victims) v.close();
    }
  });
});

describe("INFO", () => {
  function headers(v: RespValue): string[] {
    return text(v)
      .split("\r\n")
      .filter((l) => l.startsWith("# "));
  }

  test("sections for default, all, everything and lists of names match Redis (no latencystats)", async () => {
    const cmds = [["INFO"], ["INFO", "default"], ["INFO", "all"], ["INFO", "everything"], ["INFO", "server", "clients"], ["INFO", "CPU", "errorstats", "bogus"], ["INFO", "default", "commandstats"], ["INFO", "keyspace"]];
    const [e, a] = await both(cmds);
    // A raftis node adds its Raft section (with `everything`, as Redis module sections).
    for (let i = 0; i < cmds.length; i++) expect(headers(a[i]).filter((h) => h !== "# Raft")).toEqual(headers(e[i]).filter((h) => h !== "# Latencystats"));
    expect(headers(a[3])).toContain("# Raft");
  });

  test("the text is sections joined by a blank line, lines end with CRLF", async () => {
    const c = await raftis.client();
    try {
      const t = text(await c.call("INFO", "cpu", "cluster"));
      // A raftis node is a cluster node: cluster-aware clients follow its leader.
      expect(t).toMatch(/^# CPU\r\n(used_cpu_\w+:\d+\.\d{6}\r\n)+\r\n# Cluster\r\ncluster_enabled:1\r\n$/);
    } finally {
      c.close();
    }
  });

  test("field names are Redis's (raftis adds a few, named here)", async () => {
    const [[e], [a]] = await both([["INFO", "everything"]]);
    const names = (v: RespValue): string[] =>
      text(v)
        .split("\r\n")
        .filter((l) => l.includes(":") && !l.startsWith("#"))
        .map((l) => l.slice(0, l.indexOf(":")));
    const ours = new Set(["raftis_version", "bun_version", "client_output_buffer_limit_disconnections"]);
    const redisNames = new Set(names(e));
    const unknown = names(a).filter((n) => !redisNames.has(n) && !ours.has(n) && !/^(cmdstat_|errorstat_|db\d|raft_)/.test(n));
    expect(unknown).toEqual([]);
    const info = text(a);
    expect(info).toContain("redis_version:7.0.15\r\n");
    expect(info).toContain("loading:0\r\n");
    expect(info).toMatch(/raftis_version:\d+\.\d+\.\d+/);
  });

  test("used_memory is real: it grows when 16 MiB of values are stored", async () => {
    const c = await raftis.client();
    try {
      const used = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(text(await c.call("INFO", "memory")))?.[1]);
      const before = await used();
      await c.pipeline(Array.from({ length: 16 }, (_, i) => ["SET", `mem:${i}`, "m".repeat(1024 * 1024)]));
      const after = await used();
      expect(after - before).toBeGreaterThan(8 * 1024 * 1024);
    } finally {
      c.close();
    }
  });

  test("commandstats, errorstats and CONFIG RESETSTAT", async () => {
    const c = await raftis.client();
    try {
      await c.call("CONFIG", "RESETSTAT");
      await c.pipeline([["PING"], ["PING"], ["PING", "x"], ["GET"], ["NOSUCH"], ["HELLO", "7"], ["CLIENT", "GETNAME"], ["MULTI"], ["SET", "cs", "1"], ["PING"], ["EXEC"]]);
      const stats = text(await c.call("INFO", "commandstats"));
      expect(stats).toMatch(/cmdstat_ping:calls=4,usec=\d+,usec_per_call=\d+\.\d{2},rejected_calls=0,failed_calls=0\r\n/);
      expect(stats).toMatch(/cmdstat_set:calls=1,/);
      expect(stats).toMatch(/cmdstat_exec:calls=1,/);
      expect(stats).toMatch(/cmdstat_get:calls=0,usec=0,usec_per_call=0\.00,rejected_calls=1,failed_calls=0\r\n/);
      expect(stats).toMatch(/cmdstat_hello:calls=1,usec=\d+,usec_per_call=\d+\.\d{2},rejected_calls=0,failed_calls=1\r\n/);
      expect(stats).toMatch(/cmdstat_client\|getname:calls=1,/);
      const errs = text(await c.call("INFO", "errorstats"));
      expect(errs).toBe("# Errorstats\r\nerrorstat_ERR:count=2\r\nerrorstat_NOPROTO:count=1\r\n");
      expect(text(await c.call("INFO", "stats"))).toMatch(/total_error_replies:3\r\n/);
      await c.call("CONFIG", "RESETSTAT");
      expect(text(await c.call("INFO", "errorstats"))).toBe("# Errorstats\r\n");
      expect(text(await c.call("INFO", "commandstats"))).toMatch(/^# Commandstats\r\ncmdstat_config\|resetstat:calls=1,/);
    } finally {
      c.close();
    }
  });
});

describe("COMMAND", () => {
  type Info = [string, number, string[], number, number, number, string[]];

  function infoOf(v: RespValue): Info {
    if (v.t !== "array") throw new Error(showReply(v));
    const strs = (x: RespValue): string[] => (x.t === "array" || x.t === "set" ? x.v.map(text) : []);
    return [text(v.v[0]), num(v.v[1]), strs(v.v[2]), num(v.v[3]), num(v.v[4]), num(v.v[5]), strs(v.v[6])];
  }

  /** Every command and subcommand of a COMMAND reply, by name. */
  function table(v: RespValue): Map<string, Info> {
    const out = new Map<string, Info>();
    if (v.t !== "array") throw new Error(showReply(v));
    for (const entry of v.v) {
      const info = infoOf(entry);
      out.set(info[0], info);
      if (entry.t === "array" && entry.v[9].t === "array") for (const sub of entry.v[9].v) out.set(infoOf(sub)[0], infoOf(sub));
    }
    return out;
  }

  test("every command both servers know has Redis's arity, flags, key positions and ACL categories", async () => {
    const [[e], [a]] = await both([["COMMAND"]]);
    const theirs = table(e);
    const ours = table(a);
    // Rows owned by other families that are known to differ, reported to their owners: the
    // ZSET ...STORE rows need firstKey 1, lastKey 1 beside keysOf (Redis prints 1 1 1).
    const knownDifferences = new Set(["zunionstore", "zinterstore", "zdiffstore"]);
    const diffs: string[] = [];
    for (const [name, info] of ours) {
      const r = theirs.get(name);
      if (knownDifferences.has(name)) continue;
      if (r !== undefined && JSON.stringify(r) !== JSON.stringify(info)) diffs.push(`${name}\n    redis:  ${JSON.stringify(r)}\n    raftis: ${JSON.stringify(info)}`);
    }
    expect(diffs).toEqual([]);
    // The connection/server/transaction commands this file is about must all be there.
    for (const name of ["ping", "echo", "hello", "auth", "reset", "quit", "select", "client|kill", "config|set", "info", "command|docs", "multi", "exec", "watch", "time", "shutdown"]) {
      expect(ours.has(name)).toBe(true);
    }
  });

  test("COMMAND, COUNT, LIST and INFO agree; INFO and DOCS take parent|sub names", async () => {
    const c = await raftis.client();
    try {
      const [all, count, list, infoSome, docsSome, listTx] = await c.pipeline([
        ["COMMAND"],
        ["COMMAND", "COUNT"],
        ["COMMAND", "LIST"],
        ["COMMAND", "INFO", "get", "CLIENT|LIST", "nosuch"],
        ["COMMAND", "DOCS", "get", "client|list", "nosuch"],
        ["COMMAND", "LIST", "FILTERBY", "aclcat", "transaction"],
      ]);
      if (all.t !== "array" || list.t !== "array" || infoSome.t !== "array" || docsSome.t !== "array") throw new Error("shapes");
      expect(all.v.length).toBe(num(count));
      const names = list.v.map(text);
      expect(names.filter((n) => !n.includes("|")).length).toBe(num(count));
      expect(names).toContain("client|kill");
      expect(infoOf(infoSome.v[1])[0]).toBe("client|list");
      expect(showReply(infoSome.v[2])).toBe("(nil bulk)");
      expect(docsSome.v.filter((_, i) => i % 2 === 0).map(text)).toEqual(["get", "client|list"]);
      expect(showReply(sortReply(listTx))).toBe('["discard", "exec", "multi", "unwatch", "watch"]');
    } finally {
      c.close();
    }
  });

  test("COMMAND DOCS has what redis-cli needs for every command and subcommand", async () => {
    const c = await raftis.client();
    try {
      const docs = await c.call("COMMAND", "DOCS");
      if (docs.t !== "array") throw new Error(showReply(docs));
      const problems: string[] = [];
      const check = (name: string, v: RespValue, sub: boolean): void => {
        if (v.t !== "array") return void problems.push(`${name}: not a map`);
        const m = new Map<string, RespValue>();
        for (let i = 0; i < v.v.length; i += 2) m.set(text(v.v[i]), v.v[i + 1]);
        for (const k of ["summary", "since", "group", "complexity"]) if (m.get(k)?.t !== "bulk") problems.push(`${name}: ${k}`);
        if (sub && !name.includes("|")) problems.push(`${name}: subcommand without |`);
        const args = m.get("arguments");
        if (args !== undefined) {
          if (args.t !== "array") problems.push(`${name}: arguments`);
          else
            for (const arg of args.v) {
              const am = arg.t === "array" ? arg.v : [];
              const keys = am.filter((_, i) => i % 2 === 0).map(text);
              if (!keys.includes("name") || !keys.includes("type")) problems.push(`${name}: argument without name/type`);
            }
        }
        const subs = m.get("subcommands");
        if (subs !== undefined && subs.t === "array") for (let i = 0; i < subs.v.length; i += 2) check(text(subs.v[i]), subs.v[i + 1], true);
      };
      for (let i = 0; i < docs.v.length; i += 2) check(text(docs.v[i]), docs.v[i + 1], false);
      expect(problems).toEqual([]);
      expect(docs.v.length / 2).toBe(num(await c.call("COMMAND", "COUNT")));
    } finally {
      c.close();
    }
  });
});

describe("maxmemory with noeviction", () => {
  test("writes that may grow memory fail with OOM, reads work, MULTI is refused too; as Redis", async () => {
    const cmds = [
      ["SET", "oom:k", "before"],
      ["CONFIG", "SET", "maxmemory", "1"],
      ["SET", "oom:k", "v"],
      ["GET", "oom:k"],
      ["SETNX", "oom:new", "v"],
      ["MULTI"],
      ["GET", "oom:k"],
      ["EXEC"],
      ["MULTI"],
      ["DISCARD"],
      ["PING"],
      ["CONFIG", "SET", "maxmemory", "0"],
      ["SET", "oom:k", "after"],
      ["GET", "oom:k"],
    ];
    const [e, a] = await both(cmds);
    expectSameReplies(cmds, e, a);
    expect(showReply(a[2])).toBe("-OOM command not allowed when used memory > 'maxmemory'.");
  });

  test("EXEC of a transaction holding a write is aborted when memory ran out meanwhile", async () => {
    const run = async (server: RunningServer): Promise<string[]> => {
      const [tx, admin] = await Promise.all([server.client(), server.client()]);
      try {
        const first = await tx.pipeline([["MULTI"], ["SET", "oomx", "1"]]);
        await admin.call("CONFIG", "SET", "maxmemory", "1");
        const rest = await tx.pipeline([["EXEC"], ["EXEC"]]);
        await admin.call("CONFIG", "SET", "maxmemory", "0");
        return [...first, ...rest].map(showReply);
      } finally {
        tx.close();
        admin.close();
      }
    };
    const [e, a] = await Promise.all([run(redis), run(raftis)]);
    expect(a).toEqual(e);
    expect(a[2]).toBe("-EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.");
  });
});

describe("requirepass", () => {
  let pRaftis: RunningServer;
  let pRedis: RunningServer;

  beforeAll(async () => {
    // Set after start: the helpers check the servers are up with a PING.
    [pRaftis, pRedis] = await Promise.all([startRaftis(), startRedis()]);
    for (const s of [pRaftis, pRedis]) {
      const c = await s.client();
      await c.call("CONFIG", "SET", "requirepass", "s3cret");
      c.close();
    }
  });

  afterAll(async () => {
    await Promise.all([pRaftis?.stop(), pRedis?.stop()]);
  });

  // A raftis node is a cluster node: HELLO says mode "cluster" where redis-server says "standalone".
  const idFree = (v: RespValue): string => showReply(v).replace(/"id", :\d+/, '"id", :ID').replace('"mode", "cluster"', '"mode", "standalone"');

  test("NOAUTH until AUTH, WRONGPASS, HELLO AUTH, RESET logs out; as Redis", async () => {
    const cmds = [
      ["PING"],
      ["NOSUCH"],
      ["GET"],
      ["MULTI"],
      ["HELLO", "3"],
      ["AUTH", "wrong"],
      ["AUTH", "default", "wrong"],
      ["HELLO", "2", "AUTH", "default", "wrong"],
      ["AUTH", "a", "b", "c"],
      ["AUTH", "s3cret"],
      ["PING"],
      ["RESET"],
      ["PING"],
      ["HELLO", "2", "AUTH", "default", "s3cret", "SETNAME", "authed"],
      ["CLIENT", "GETNAME"],
      ["AUTH", "default", "s3cret"],
      ["QUIT"],
    ];
    const [e, a] = await both(cmds, [pRedis, pRaftis]);
    expectSameReplies(cmds, e, a, idFree);
  });

  test("before AUTH only small requests are read", async () => {
    for (const input of ["*11\r\n", `*2\r\n$4\r\nAUTH\r\n$16385\r\n`]) {
      const outputs = await Promise.all(
        [pRedis, pRaftis].map(async (s) => {
          const c = await rawConnect(s.port);
          await c.write(input);
          await c.waitClosed();
          return c.received();
        }),
      );
      expect(outputs[1]).toBe(outputs[0]);
    }
  });

  test("clients connected before requirepass is set stay logged in, as in Redis", async () => {
    const early = await raftis.client();
    const admin = await raftis.client();
    try {
      expect(showReply(await admin.call("CONFIG", "SET", "requirepass", "later"))).toBe("+OK");
      expect(showReply(await early.call("PING"))).toBe("+PONG");
      const late = await raftis.client();
      expect(showReply(await late.call("PING"))).toBe("-NOAUTH Authentication required.");
      late.close();
      expect(showReply(await admin.call("CONFIG", "SET", "requirepass", ""))).toBe("+OK");
    } finally {
      early.close();
      admin.close();
    }
  });
});

describe("SHUTDOWN", () => {
  for (const args of [["NOSAVE"], ["SAVE"], []]) {
    test(`SHUTDOWN ${args.join(" ")} ends the process cleanly`, async () => {
      const node = await startRaftis();
      try {
        const c = await rawConnect(node.port);
        await c.write(mb("SET", "k", "v") + mb("SHUTDOWN", ...args));
        await c.waitClosed();
        // Redis drops replies it computed before SHUTDOWN; raftis sends them first.
        expect(c.received()).toBe("+OK\r\n");
        const code = await waitFor("raftis to exit", () => node.proc.exitCode, 10000);
        expect(code).toBe(0);
        expect(node.output()).toContain("User requested shutdown");
      } finally {
        await node.stop();
      }
    });
  }
});
