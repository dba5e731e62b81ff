// A client that pipelines big replies and does not read them cannot grow the server's memory:
// the server stops reading its requests once its unsent output passes a threshold, keeps
// serving everyone else, and sends every byte once the reader catches up (Bun's socket.write
// keeps nothing it did not accept, so raftis must). client-output-buffer-limit closes a
// client whose unsent output passes the hard limit, or stays above the soft one too long.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { readFileSync } from "node:fs";
import { showReply } from "../src/resp/reply-parser.ts";
import { startRaftis, type RunningServer } from "./helpers/processes.ts";
import { mb } from "./helpers/raw.ts";
import { waitFor } from "./helpers/wait.ts";

let raftis: RunningServer;

beforeAll(async () => {
  raftis = await startRaftis();
});

afterAll(async () => {
  await raftis?.stop();
});

/** Resident memory of the server process, from /proc. */
function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (m === null) throw new Error("no VmRSS");
  return Number(m[1]) * 1024;
}

/** A deterministic value of `n` bytes that differs from position to position. */
function patterned(n: number, salt: number): string {
  const b = Buffer.alloc(n);
  let x = salt * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b.toString("latin1");
}

/** A connection that starts paused and hashes what it receives without keeping it. */
class SlowReader {
  readonly #hasher = new Bun.CryptoHasher("sha256");
  #socket: Socket<undefined> | null = null;
  received = 0;
  closed = false;

  static async connect(port: number): Promise<SlowReader> {
    const r = new SlowReader();
    r.#socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data: (_s, d) => {
          r.#hasher.update(d);
          r.received += d.length;
        },
        close: () => {
          r.closed = true;
        },
        error: () => {
          r.closed = true;
        },
      },
    });
    r.#socket.pause();
    return r;
  }

  /** Writes all of `bytes`, waiting for room as needed. */
  async send(bytes: string): Promise<void> {
    const socket = this.#socket;
    if (socket === null) throw new Error("not connected");
    let buf = Buffer.from(bytes, "latin1");
    while (buf.length > 0) {
      const n = Math.max(0, socket.write(buf));
      buf = buf.subarray(n);
      if (buf.length > 0) await Bun.sleep(1); // the server paused our input; it reads again later
      if (this.closed) return;
    }
  }

  resume(): void {
    this.#socket?.resume();
  }

  digest(): string {
    return this.#hasher.digest("hex");
  }

  close(): void {
    this.#socket?.end();
  }
}

function clientField(list: string, id: number, field: string): number | null {
  const line = list.split("\n").find((l) => l.startsWith(`id=${id} `));
  if (line === undefined) return null;
  const m = new RegExp(` ${field}=(\\d+)`).exec(line);
  return m === null ? null : Number(m[1]);
}

describe("a client that does not read its replies", () => {
  test("is paused: server memory stays bounded, others are served, and no byte is lost", async () => {
    const valueBytes = 1024 * 1024;
    const count = 256; // 256 MiB of replies if the server computed them all
    const admin = await raftis.client();
    const reader = await SlowReader.connect(raftis.port);
    try {
      const values = Array.from({ length: 4 }, (_, i) => patterned(valueBytes, i + 1));
      await admin.pipeline(values.map((v, i) => ["SET", `big:${i}`, v]));
      const rssBefore = rssBytes(raftis.proc.pid);
      const processedBefore = Number(/total_commands_processed:(\d+)/.exec(showReply(await admin.call("INFO", "stats")))?.[1]);
      await reader.send(mb("CLIENT", "ID"));
      const requests: string[] = [];
      for (let i = 0; i < count; i++) requests.push(mb("GET", `big:${i % values.length}`));
      await reader.send(requests.join(""));

      // The server gets stuck on this client's output: it shows unsent bytes and stops there.
      const list = async (): Promise<string> => {
        const r = await admin.call("CLIENT", "LIST");
        return r.t === "bulk" || r.t === "verbatim" ? r.v : "";
      };
      const readerId = await waitFor("the reader to show up", async () => {
        for (const line of (await list()).split("\n")) if (/ cmd=get /.test(line)) return Number(/^id=(\d+)/.exec(line)?.[1]);
        return undefined;
      });
      await waitFor("the reader's output to be held back", async () => (clientField(await list(), readerId, "omem") ?? 0) > 0);
      const processed = Number(/total_commands_processed:(\d+)/.exec(showReply(await admin.call("INFO", "stats")))?.[1]);
      expect(processed - processedBefore).toBeLessThan(count / 4);

      // Everyone else is served meanwhile, and the server did not buffer 256 MiB.
      expect(showReply(await admin.call("PING"))).toBe("+PONG");
      expect(showReply(await admin.call("SET", "other", "works"))).toBe("+OK");
      expect(rssBytes(raftis.proc.pid) - rssBefore).toBeLessThan(96 * 1024 * 1024);

      // The reader catches up and gets every byte, in order.
      const expected = new Bun.CryptoHasher("sha256");
      const idReply = `:${readerId}\r\n`;
      expected.update(idReply);
      let total = idReply.length;
      for (let i = 0; i < count; i++) {
        const v = values[i % values.length];
        const bulk = `$${v.length}\r\n${v}\r\n`;
        expected.update(Buffer.from(bulk, "latin1"));
        total += bulk.length;
      }
      reader.resume();
      await waitFor("all replies to arrive", () => reader.received >= total, 60000);
      expect(reader.received).toBe(total);
      expect(reader.digest()).toBe(expected.digest("hex"));
    } finally {
      reader.close();
      admin.close();
    }
  }, 60000);

  test("one huge reply to a paused reader arrives whole", async () => {
    const admin = await raftis.client();
    const reader = await SlowReader.connect(raftis.port);
    try {
      const value = patterned(48 * 1024 * 1024, 7);
      expect(showReply(await admin.call("SET", "huge", value))).toBe("+OK");
      await reader.send(mb("GET", "huge") + mb("PING"));
      // Let the server hit the socket's limit while nobody reads, then read slowly.
      await waitFor("the reply to be held back", async () => / omem=[1-9]\d* .*cmd=get /.test(showReply(await admin.call("CLIENT", "LIST"))));
      const bulk = `$${value.length}\r\n${value}\r\n+PONG\r\n`;
      const expected = new Bun.CryptoHasher("sha256").update(Buffer.from(bulk, "latin1")).digest("hex");
      reader.resume();
      await waitFor("the reply to arrive", () => reader.received >= bulk.length, 60000);
      expect(reader.received).toBe(bulk.length);
      expect(reader.digest()).toBe(expected);
      expect(showReply(await admin.call("DEL", "huge"))).toBe(":1");
    } finally {
      reader.close();
      admin.close();
    }
  }, 60000);
});

describe("client-output-buffer-limit", () => {
  test("the hard limit closes the client; others are unaffected", async () => {
    const admin = await raftis.client();
    const reader = await SlowReader.connect(raftis.port);
    try {
      await admin.pipeline([["SET", "quarter", patterned(256 * 1024, 3)], ["CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0"]]);
      await reader.send(Array.from({ length: 64 }, () => mb("GET", "quarter")).join(""));
      await waitFor("the reader to be closed", () => reader.closed);
      expect(showReply(await admin.call("PING"))).toBe("+PONG");
      expect(showReply(await admin.call("INFO", "stats"))).toMatch(/client_output_buffer_limit_disconnections:[1-9]/);
    } finally {
      await admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0");
      reader.close();
      admin.close();
    }
  });

  test("the soft limit closes a client that stays above it longer than its seconds", async () => {
    const admin = await raftis.client();
    const reader = await SlowReader.connect(raftis.port);
    try {
      await admin.pipeline([["SET", "quarter", patterned(256 * 1024, 3)], ["CONFIG", "SET", "client-output-buffer-limit", "normal 0 512kb 1"]]);
      await reader.send(Array.from({ length: 64 }, () => mb("GET", "quarter")).join(""));
      const start = Date.now();
      await waitFor("the reader to be closed", () => reader.closed, 10000);
      expect(Date.now() - start).toBeGreaterThanOrEqual(900);
    } finally {
      await admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0");
      reader.close();
      admin.close();
    }
  });

  test("without limits the same client is only paused, never closed", async () => {
    const admin = await raftis.client();
    const reader = await SlowReader.connect(raftis.port);
    try {
      const value = patterned(256 * 1024, 3);
      await admin.call("SET", "quarter", value);
      await reader.send(Array.from({ length: 64 }, () => mb("GET", "quarter")).join(""));
      await waitFor("the reader's output to be held back", async () => / omem=[1-9]\d* .*cmd=get/.test(showReply(await admin.call("CLIENT", "LIST"))));
      expect(reader.closed).toBe(false);
      reader.resume();
      const total = 64 * (value.length + `$${value.length}\r\n\r\n`.length);
      await waitFor("all replies", () => reader.received >= total, 30000);
      expect(reader.received).toBe(total);
      expect(reader.closed).toBe(false);
    } finally {
      reader.close();
      admin.close();
    }
  });
});
