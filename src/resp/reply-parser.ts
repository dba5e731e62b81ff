// Incremental parser for server replies (RESP2 and RESP3), used by raftis's own client: node
// to node calls (RAFT.NODE ADD during JOIN, follower proxy), tests and tools. Values keep
// every distinction RESP makes (null bulk vs null array, simple vs bulk string) so that
// differential tests can compare replies exactly.

import { bytesToBinary } from "../util/bytes.ts";

export type RespValue =
  | { readonly t: "simple"; readonly v: string }
  | { readonly t: "error"; readonly v: string }
  | { readonly t: "int"; readonly v: bigint }
  | { readonly t: "bulk"; readonly v: string }
  | { readonly t: "null"; readonly v: "bulk" | "array" | "resp3" }
  | { readonly t: "array"; readonly v: RespValue[] }
  | { readonly t: "map"; readonly v: [RespValue, RespValue][] }
  | { readonly t: "set"; readonly v: RespValue[] }
  | { readonly t: "push"; readonly v: RespValue[] }
  | { readonly t: "double"; readonly v: string }
  | { readonly t: "bool"; readonly v: boolean }
  | { readonly t: "verbatim"; readonly v: string; readonly format: string }
  | { readonly t: "bignum"; readonly v: string };

export class ReplyProtocolError extends Error {
  override name = "ReplyProtocolError";
}

/** Parses replies from a byte stream; feed() bytes, then take complete values from next(). */
export class ReplyParser {
  #buf: Buffer = Buffer.alloc(0);
  #pos = 0;

  feed(chunk: Uint8Array): void {
    const data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.#buf = this.#pos >= this.#buf.length ? Buffer.from(data) : Buffer.concat([this.#buf.subarray(this.#pos), data]);
    this.#pos = 0;
  }

  /** The next complete reply, or undefined when more bytes are needed. */
  next(): RespValue | undefined {
    const start = this.#pos;
    const value = this.#value();
    if (value === undefined) {
      this.#pos = start;
      return undefined;
    }
    return value;
  }

  #line(): string | undefined {
    const cr = this.#buf.indexOf(13, this.#pos);
    if (cr < 0 || cr + 1 >= this.#buf.length) return undefined;
    const line = bytesToBinary(this.#buf, this.#pos, cr);
    this.#pos = cr + 2;
    return line;
  }

  #bytes(n: number): string | undefined {
    if (this.#buf.length - this.#pos < n + 2) return undefined;
    const s = bytesToBinary(this.#buf, this.#pos, this.#pos + n);
    this.#pos += n + 2;
    return s;
  }

  #items(n: number): RespValue[] | undefined {
    const out: RespValue[] = [];
    for (let i = 0; i < n; i++) {
      const v = this.#value();
      if (v === undefined) return undefined;
      out.push(v);
    }
    return out;
  }

  #value(): RespValue | undefined {
    if (this.#pos >= this.#buf.length) return undefined;
    const type = String.fromCharCode(this.#buf[this.#pos++]);
    const line = this.#line();
    if (line === undefined) return undefined;
    switch (type) {
      case "+":
        return { t: "simple", v: line };
      case "-":
        return { t: "error", v: line };
      case ":":
        return { t: "int", v: BigInt(line) };
      case "$": {
        const n = Number(line);
        if (n < 0) return { t: "null", v: "bulk" };
        const s = this.#bytes(n);
        return s === undefined ? undefined : { t: "bulk", v: s };
      }
      case "*":
      case "~":
      case ">": {
        const n = Number(line);
        if (n < 0) return { t: "null", v: "array" };
        const items = this.#items(n);
        if (items === undefined) return undefined;
        return type === "*" ? { t: "array", v: items } : type === "~" ? { t: "set", v: items } : { t: "push", v: items };
      }
      case "%": {
        const items = this.#items(Number(line) * 2);
        if (items === undefined) return undefined;
        const pairs: [RespValue, RespValue][] = [];
        for (let i = 0; i < items.length; i += 2) pairs.push([items[i], items[i + 1]]);
        return { t: "map", v: pairs };
      }
      case "_":
        return { t: "null", v: "resp3" };
      case ",":
        return { t: "double", v: line };
      case "#":
        return { t: "bool", v: line === "t" };
      case "(":
        return { t: "bignum", v: line };
      case "=": {
        const s = this.#bytes(Number(line));
        return s === undefined ? undefined : { t: "verbatim", format: s.slice(0, 3), v: s.slice(4) };
      }
      default:
        throw new ReplyProtocolError(`Cannot parse reply: unexpected type byte '${type}'`);
    }
  }
}

/** Encodes a command as a RESP multibulk request (arguments are binary strings). */
export function encodeCommand(argv: readonly string[]): Buffer {
  let size = 16;
  for (const a of argv) size += a.length + 16;
  const out = Buffer.allocUnsafe(size);
  let n = out.write(`*${argv.length}\r\n`, 0, "latin1");
  for (const a of argv) {
    n += out.write(`$${a.length}\r\n`, n, "latin1");
    n += out.write(a, n, "latin1");
    n += out.write("\r\n", n, "latin1");
  }
  return out.subarray(0, n);
}

/** A compact, readable rendering of a reply (test failure messages, tools). */
export function showReply(v: RespValue): string {
  switch (v.t) {
    case "simple":
      return `+${v.v}`;
    case "error":
      return `-${v.v}`;
    case "int":
      return `:${v.v}`;
    case "bulk":
      return JSON.stringify(v.v);
    case "null":
      return `(nil ${v.v})`;
    case "array":
    case "set":
    case "push":
      return `${v.t === "array" ? "" : v.t}[${v.v.map(showReply).join(", ")}]`;
    case "map":
      return `{${v.v.map(([k, x]) => `${showReply(k)}: ${showReply(x)}`).join(", ")}}`;
    case "double":
      return `,${v.v}`;
    case "bool":
      return v.v ? "#t" : "#f";
    case "verbatim":
      return `=${v.format}:${JSON.stringify(v.v)}`;
    case "bignum":
      return `(${v.v}`;
  }
}
