// The request parser gives the same requests and the same protocol error whatever way the
// input is cut: whole, byte by byte, and split in two at every byte position. Limits are
// checked before anything is allocated. Error texts are Redis 7.0's (networking.c).

import { describe, expect, test } from "bun:test";
import { protoInlineMaxBytes } from "../src/constants.ts";
import { ProtocolError, RequestParser, type ParserLimits } from "../src/resp/parser.ts";

interface Outcome {
  requests: string[][];
  error: string | null;
}

const defaults: ParserLimits = { maxBulkLen: () => 512 * 1024 * 1024, authRequired: () => false };

/**
 * Feeds `chunks` the way the server does: each chunk is lent (written into one reused buffer
 * that is scribbled over after detach()), requests are drained after every chunk.
 */
function run(chunks: readonly Buffer[], limits: ParserLimits = defaults): Outcome {
  const parser = new RequestParser(limits);
  const requests: string[][] = [];
  const lent = Buffer.alloc(Math.max(1, ...chunks.map((c) => c.length)));
  try {
    for (const chunk of chunks) {
      chunk.copy(lent);
      parser.feed(lent.subarray(0, chunk.length));
      for (let argv = parser.next(); argv !== null; argv = parser.next()) requests.push(argv);
      parser.detach();
      lent.fill(0x58); // the socket's buffer gets reused: the parser must not read it later
    }
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    return { requests, error: e.message };
  }
  return { requests, error: null };
}

function whole(input: Buffer): Buffer[] {
  return [input];
}

function byteByByte(input: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < input.length; i++) out.push(input.subarray(i, i + 1));
  return out;
}

function splitAt(input: Buffer, i: number): Buffer[] {
  return [input.subarray(0, i), input.subarray(i)];
}

/**
 * Every position for small inputs; for big ones, every position within a few bytes of the
 * protocol's structure (headers, CR LF) plus a stride through the data, to stay fast.
 */
function splitPositions(input: Buffer): number[] {
  if (input.length <= 4096) return Array.from({ length: input.length - 1 }, (_, i) => i + 1);
  const out = new Set<number>();
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c === 13 || c === 10 || c === 0x24 || c === 0x2a || i % 1009 === 0) {
      for (let d = -3; d <= 3; d++) if (i + d >= 1 && i + d < input.length) out.add(i + d);
    }
  }
  return [...out];
}

const b = (s: string): Buffer => Buffer.from(s, "latin1");

/** A multibulk request for argv. */
function mb(...argv: string[]): string {
  return `*${argv.length}\r\n${argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("")}`;
}

/** Inputs whose outcome does not depend on how they are cut, with the expected outcome. */
const cases: { name: string; input: string; requests: string[][]; error?: string }[] = [
  { name: "one multibulk", input: mb("SET", "k", "v"), requests: [["SET", "k", "v"]] },
  { name: "pipelined multibulk", input: mb("PING") + mb("ECHO", "x") + mb("GET", "k"), requests: [["PING"], ["ECHO", "x"], ["GET", "k"]] },
  { name: "binary bulk with CR LF inside", input: mb("SET", "k", "a\r\nb\0\xff"), requests: [["SET", "k", "a\r\nb\0\xff"]] },
  { name: "empty bulk", input: mb("ECHO", ""), requests: [["ECHO", ""]] },
  { name: "inline", input: "PING\r\n", requests: [["PING"]] },
  { name: "inline with LF only", input: "SET a b\n", requests: [["SET", "a", "b"]] },
  { name: "inline quotes and escapes", input: 'SET "a b" \'c\\\'d\' "\\x41\\n"\r\n', requests: [["SET", "a b", "c'd", "A\n"]] },
  { name: "blank inline lines are skipped", input: "\r\n\n  \r\nPING\r\n", requests: [["PING"]] },
  { name: "*0 and *-1 are skipped", input: "*0\r\n*-1\r\n" + mb("PING"), requests: [["PING"]] },
  { name: "inline then multibulk", input: "PING\r\n" + mb("ECHO", "hi") + "ECHO x\n", requests: [["PING"], ["ECHO", "hi"], ["ECHO", "x"]] },
  { name: "big argument", input: mb("SET", "k", "v".repeat(40000)) + mb("GET", "k"), requests: [["SET", "k", "v".repeat(40000)], ["GET", "k"]] },
  { name: "two big arguments", input: mb("MSET", "a", "x".repeat(33000), "b", "y".repeat(70000)), requests: [["MSET", "a", "x".repeat(33000), "b", "y".repeat(70000)]] },
  // Like Redis, the two bytes after a bulk are skipped unchecked.
  { name: "bulk terminator not checked", input: "*1\r\n$4\r\nPINGxx", requests: [["PING"]] },
  { name: "bad multibulk count", input: mb("PING") + "*x\r\n" + mb("PING"), requests: [["PING"]], error: "invalid multibulk length" },
  { name: "multibulk count with leading zero", input: "*01\r\n", requests: [], error: "invalid multibulk length" },
  { name: "multibulk count with plus sign", input: "*+1\r\n", requests: [], error: "invalid multibulk length" },
  { name: "multibulk count over INT_MAX", input: "*2147483648\r\n", requests: [], error: "invalid multibulk length" },
  { name: "multibulk count beyond int64", input: "*99999999999999999999\r\n", requests: [], error: "invalid multibulk length" },
  { name: "expected $", input: "*1\r\n+PING\r\n", requests: [], error: "expected '$', got '+'" },
  { name: "negative bulk length", input: "*1\r\n$-1\r\n", requests: [], error: "invalid bulk length" },
  { name: "bulk length over proto-max-bulk-len", input: "*1\r\n$536870913\r\n", requests: [], error: "invalid bulk length" },
  { name: "bulk length not a number", input: "*1\r\n$1x\r\n", requests: [], error: "invalid bulk length" },
  { name: "unbalanced quotes", input: 'PING\r\nECHO "abc\r\n', requests: [["PING"]], error: "unbalanced quotes in request" },
  { name: "closing quote followed by a letter", input: 'ECHO "a"b\r\n', requests: [], error: "unbalanced quotes in request" },
];

describe("request parser, every way of cutting the input", () => {
  for (const c of cases) {
    test(c.name, () => {
      const input = b(c.input);
      const expected: Outcome = { requests: c.requests, error: c.error ?? null };
      expect(run(whole(input))).toEqual(expected);
      expect(run(byteByByte(input))).toEqual(expected);
      for (const i of splitPositions(input)) {
        const got = run(splitAt(input, i));
        if (got.error !== expected.error || JSON.stringify(got.requests) !== JSON.stringify(expected.requests)) {
          throw new Error(`split at ${i} of ${input.length}: got ${JSON.stringify(got)}`);
        }
      }
    });
  }
});

describe("limits", () => {
  test("an inline request longer than 64 KiB without a newline is refused", () => {
    const input = b("x".repeat(protoInlineMaxBytes + 1));
    expect(run(whole(input)).error).toBe("too big inline request");
    expect(run([input.subarray(0, protoInlineMaxBytes)]).error).toBeNull();
  });

  test("a 64 KiB inline line that ends within the chunk is accepted (as Redis, it depends on reads)", () => {
    const line = `ECHO ${"y".repeat(protoInlineMaxBytes + 10)}\r\n`;
    expect(run(whole(b(line))).requests[0][1].length).toBe(protoInlineMaxBytes + 10);
  });

  test("a multibulk count line without CR beyond 64 KiB is refused", () => {
    expect(run(whole(b(`*${"1".repeat(protoInlineMaxBytes)}`))).error).toBe("too big mbulk count string");
    expect(run(whole(b(`*${"1".repeat(protoInlineMaxBytes - 1)}`))).error).toBeNull();
  });

  test("a bulk count line without CR beyond 64 KiB is refused", () => {
    expect(run(whole(b(`*1\r\n$${"1".repeat(protoInlineMaxBytes)}`))).error).toBe("too big bulk count string");
  });

  test("*2147483647 is accepted and allocates nothing up front", () => {
    const before = process.memoryUsage();
    const parser = new RequestParser(defaults);
    parser.feed(b("*2147483647\r\n$4\r\nPING\r\n"));
    expect(parser.next()).toBeNull();
    const after = process.memoryUsage();
    expect(after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers).toBeLessThan(16 * 1024 * 1024);
  });

  test("$536870912 (exactly proto-max-bulk-len) is accepted and memory follows what arrives", () => {
    const before = process.memoryUsage();
    const parser = new RequestParser(defaults);
    parser.feed(b("*2\r\n$3\r\nGET\r\n$536870912\r\nabc"));
    expect(parser.next()).toBeNull();
    for (let i = 0; i < 10; i++) {
      parser.feed(Buffer.alloc(64 * 1024, 0x61));
      expect(parser.next()).toBeNull();
      parser.detach();
    }
    expect(parser.buffered).toBe(3 + 10 * 64 * 1024);
    const after = process.memoryUsage();
    expect(after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers).toBeLessThan(64 * 1024 * 1024);
  });

  test("proto-max-bulk-len is read at every header (CONFIG SET applies at once)", () => {
    let max = 1024 * 1024;
    const limits: ParserLimits = { maxBulkLen: () => max, authRequired: () => false };
    expect(run([b(mb("ECHO", "x") + `*1\r\n$${1024 * 1024 + 1}\r\n`)], limits).error).toBe("invalid bulk length");
    max = 2 * 1024 * 1024;
    expect(run([b(`*1\r\n$${1024 * 1024 + 1}\r\n`)], limits).error).toBeNull();
  });

  test("before AUTH only small requests are read", () => {
    const limits: ParserLimits = { maxBulkLen: () => 512 * 1024 * 1024, authRequired: () => true };
    expect(run([b("*11\r\n")], limits).error).toBe("unauthenticated multibulk length");
    expect(run([b("*10\r\n")], limits).error).toBeNull();
    expect(run([b("*1\r\n$16385\r\n")], limits).error).toBe("unauthenticated bulk length");
    expect(run([b(mb("AUTH", "x".repeat(16384)))], limits).requests.length).toBe(1);
  });
});

describe("bookkeeping", () => {
  test("buffered counts unconsumed bytes, including a partial big argument", () => {
    const parser = new RequestParser(defaults);
    parser.feed(b(mb("PING") + "*1\r\n$5"));
    expect(parser.next()).toEqual(["PING"]);
    expect(parser.next()).toBeNull();
    parser.detach();
    expect(parser.buffered).toBe("$5".length); // the *1 header is consumed
  });

  test("requests left in a chunk survive detach() and are read later", () => {
    const input = b(mb("A") + mb("B") + mb("C"));
    const lent = Buffer.from(input);
    const parser = new RequestParser(defaults);
    parser.feed(lent);
    expect(parser.next()).toEqual(["A"]);
    parser.detach();
    lent.fill(0);
    expect(parser.next()).toEqual(["B"]);
    expect(parser.next()).toEqual(["C"]);
    expect(parser.next()).toBeNull();
  });
});
