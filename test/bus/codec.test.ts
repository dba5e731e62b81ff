// The message codec: every message type round-trips with its bytes intact, the size bound holds,
// and anything malformed is refused by the decoder (and asserted against by the encoder).

import { encode } from "@msgpack/msgpack";
import { describe, expect, test } from "bun:test";
import { checkMessage, decodeMessage, encodeMessage, messagePayloadBound } from "../../src/bus/codec.ts";
import type { Message } from "../../src/raft/types.ts";
import { Rng, testSeed } from "../helpers/diff.ts";
import { emptyMessage, firstMismatch, randomMessage } from "./fixtures.ts";

function roundTrip(m: Message): Message {
  const { bytes } = encodeMessage(m);
  const got = decodeMessage(bytes.slice());
  if (typeof got === "string") throw new Error(got);
  return got;
}

describe("message codec", () => {
  test("random messages of every type round-trip, within the size bound", () => {
    const seed = testSeed();
    const rng = new Rng(seed);
    const sent: Message[] = [];
    const got: Message[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const m = randomMessage(rng, 1 + rng.nextInt(5), 10 + rng.nextInt(5));
      seen.add(m.type);
      const { bytes } = encodeMessage(m);
      expect(bytes.length).toBeLessThanOrEqual(messagePayloadBound(m));
      sent.push(m);
      got.push(roundTrip(m));
    }
    expect(seen.size).toBe(13);
    expect(firstMismatch(sent, got), `seed ${seed}`).toBe(-1);
  });

  test("binary fields come back as Uint8Array with the same bytes", () => {
    const m = emptyMessage("MsgApp", 1, 2);
    m.entries = [{ term: 1, index: 2, type: "normal", data: new Uint8Array([0, 255, 128, 10, 13]) }];
    m.context = new Uint8Array([9, 0, 9]);
    const back = roundTrip(m);
    expect(back.entries[0]!.data).toBeInstanceOf(Uint8Array);
    expect([...back.entries[0]!.data]).toEqual([0, 255, 128, 10, 13]);
    expect([...back.context]).toEqual([9, 0, 9]);
  });

  test("large messages get their own buffer; small ones share one", () => {
    const big = emptyMessage("MsgApp", 1, 2);
    big.entries = [{ term: 1, index: 1, type: "normal", data: new Uint8Array(1 << 20) }];
    expect(encodeMessage(big).owned).toBe(true);
    expect(encodeMessage(emptyMessage("MsgHeartbeat", 1, 2)).owned).toBe(false);
  });

  test("malformed payloads are refused with a reason", () => {
    const good = encodeMessage(emptyMessage("MsgHeartbeat", 1, 2)).bytes.slice();
    const cases: [string, Uint8Array][] = [
      ["not msgpack", new Uint8Array([0xc1])],
      ["trailing bytes", new Uint8Array([...good, 0])],
      ["a map", encode({ type: 6 })],
      ["short array", encode([6, 1, 2])],
      ["unknown type", encode([13, 1, 2, 0, 0, 0, [], 0, false, 0, new Uint8Array(0), null])],
      ["node id 0", encode([6, 0, 2, 0, 0, 0, [], 0, false, 0, new Uint8Array(0), null])],
      ["negative term", encode([6, 1, 2, -1, 0, 0, [], 0, false, 0, new Uint8Array(0), null])],
      ["float index", encode([6, 1, 2, 0, 0, 1.5, [], 0, false, 0, new Uint8Array(0), null])],
      ["string context", encode([6, 1, 2, 0, 0, 0, [], 0, false, 0, "x", null])],
      ["entries not a multiple of 4", encode([0, 1, 2, 0, 0, 0, [1, 1, 0], 0, false, 0, new Uint8Array(0), null])],
      ["bad entry type", encode([0, 1, 2, 0, 0, 0, [1, 1, 7, new Uint8Array(0)], 0, false, 0, new Uint8Array(0), null])],
      ["chunk past the end", encode([8, 1, 2, 0, 0, 0, [], 0, false, 0, new Uint8Array(0), [1, 1, [1], [], [], 5, 6, new Uint8Array(2)]])],
      ["to itself", encode([6, 3, 3, 0, 0, 0, [], 0, false, 0, new Uint8Array(0), null])],
    ];
    expect(typeof decodeMessage(good)).toBe("object");
    for (const [what, bytes] of cases) {
      const got = decodeMessage(bytes);
      expect(typeof got, what).toBe("string");
    }
  });

  test("the encoder asserts what the decoder checks", () => {
    const m = emptyMessage("MsgHeartbeat", 1, 2);
    m.term = -1;
    expect(checkMessage(m)).toBe("bad counter");
    expect(() => encodeMessage(m)).toThrow("outgoing message is well formed");
  });
});
