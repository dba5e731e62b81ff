// Log entry payloads survive encode/decode byte for byte, and corrupt bytes are refused.

import { describe, expect, test } from "bun:test";
import { Rng } from "../../src/engine/rng.ts";
import { commandsSize, decodeEntry, encodeCommands, encodeExpire, EntryDecodeError, EntryKind, keysSize } from "../../src/node/entry-codec.ts";

function randomArg(rng: Rng): string {
  const n = rng.nextInt(5) === 0 ? rng.nextInt(3000) : rng.nextInt(12);
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(rng.nextInt(256));
  return s;
}

describe("entry codec", () => {
  test("random commands and multis round-trip", () => {
    const rng = new Rng(7);
    for (let round = 0; round < 500; round++) {
      const multi = rng.nextInt(3) === 0;
      const commands = Array.from({ length: multi ? 1 + rng.nextInt(5) : 1 }, () => Array.from({ length: 1 + rng.nextInt(6) }, () => randomArg(rng)));
      const header = { kind: multi ? EntryKind.multi : EntryKind.command, origin: rng.nextInt(1000), requestId: rng.nextInt(2 ** 40), timestampMs: 1.7e12 + rng.nextInt(1e9) } as const;
      const out = new Uint8Array(commandsSize(commands) + rng.nextInt(4));
      const n = encodeCommands(out, header, commands);
      expect(n).toBe(commandsSize(commands));
      const back = decodeEntry(out.subarray(0, n));
      expect(back.kind).toBe(header.kind);
      expect(back.origin).toBe(header.origin);
      expect(back.requestId).toBe(header.requestId);
      expect(back.timestampMs).toBe(header.timestampMs);
      expect(back.commands).toEqual(commands);
    }
  });

  test("expire entries round-trip", () => {
    const keys = ["a", "", "\x00\xff", "k".repeat(1000)];
    const out = new Uint8Array(keysSize(keys));
    encodeExpire(out, { origin: 3, requestId: 0, timestampMs: 123 }, keys);
    const back = decodeEntry(out);
    expect(back.kind).toBe(EntryKind.expire);
    expect(back.keys).toEqual(keys);
    expect(back.commands).toEqual([]);
  });

  test("every truncation and trailing garbage is refused", () => {
    const commands = [["SET", "key", "value"]];
    const out = new Uint8Array(commandsSize(commands));
    encodeCommands(out, { kind: EntryKind.command, origin: 1, requestId: 2, timestampMs: 3 }, commands);
    for (let len = 0; len < out.length; len++) {
      expect(() => decodeEntry(out.subarray(0, len))).toThrow(EntryDecodeError);
    }
    const longer = new Uint8Array(out.length + 1);
    longer.set(out);
    expect(() => decodeEntry(longer)).toThrow(EntryDecodeError);
    const badVersion = out.slice();
    badVersion[0] = 9;
    expect(() => decodeEntry(badVersion)).toThrow(EntryDecodeError);
  });
});
