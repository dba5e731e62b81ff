// The handshake's judgement and proofs, without sockets.

import { describe, expect, test } from "bun:test";
import {
  busProtocolVersion,
  decodeChallenge,
  decodeHello,
  deriveBusKey,
  encodeChallenge,
  encodeHello,
  helloProof,
  judgeHello,
  newNonce,
  verifyWelcomeProof,
  welcomeProof,
  type AcceptorView,
  type Hello,
} from "../../src/bus/handshake.ts";

const key = deriveBusKey("s3cret", "c1");
const acceptor = (over: Partial<AcceptorView> = {}): AcceptorView => ({
  nodeId: 2,
  clusterId: "c1",
  key,
  nonce: newNonce(),
  admits: (id) => id === 1 || id === 3,
  ...over,
});

function hello(a: AcceptorView, over: Partial<Omit<Hello, "proof">> = {}, k: Uint8Array | null = key): Hello {
  const fields = { version: busProtocolVersion, clusterId: "c1", from: 1, to: 2, nonce: newNonce(), ...over };
  return { ...fields, proof: helloProof(k, a.nonce, fields) };
}

describe("judgeHello", () => {
  test("a member with the password is accepted, and the welcome proves the acceptor's key", () => {
    const a = acceptor();
    const h = hello(a);
    expect(judgeHello(h, a)).toBeNull();
    const w = { ok: true, reason: "", proof: welcomeProof(key, a.nonce, h) };
    expect(verifyWelcomeProof(key!, a.nonce, h, w)).toBe(true);
    expect(verifyWelcomeProof(deriveBusKey("other", "c1")!, a.nonce, h, w)).toBe(false);
  });

  test("each refusal names its reason", () => {
    const a = acceptor();
    const cases: [Hello, AcceptorView, string][] = [
      [hello(a, { version: 2 }), a, "protocol version 2"],
      [hello(a, { clusterId: "c2" }), a, "wrong cluster id"],
      [hello(a, {}, null), a, "no password proof"],
      [hello(a, {}, deriveBusKey("guess", "c1")), a, "bad password proof"],
      [hello(a, { to: 3 }), a, "it wants node 3, this is node 2"],
      [hello(a, { from: 2 }), a, "this node's own id"],
      [hello(a, { from: 9 }), a, "not a member of this cluster"],
      [hello(a), acceptor({ nodeId: 0, nonce: a.nonce }), "does not know its identity"],
    ];
    for (const [h, view, why] of cases) expect(judgeHello(h, view)?.why).toContain(why);
  });

  test("a hello answered to one challenge is refused on another (replay), and altered ids break the proof", () => {
    const first = acceptor();
    const h = hello(first);
    expect(judgeHello(h, first)).toBeNull();
    expect(judgeHello(h, acceptor())?.why).toBe("bad password proof");
    expect(judgeHello({ ...h, from: 3 }, first)?.why).toBe("bad password proof");
  });

  test("without a password only ids are checked; the key depends on password and cluster", () => {
    const a = acceptor({ key: null });
    expect(judgeHello(hello(a, {}, null), a)).toBeNull();
    expect(deriveBusKey("", "c1")).toBeNull();
    expect(deriveBusKey("p", "c1")).not.toEqual(deriveBusKey("p", "c2"));
  });

  test("handshake frames decode strictly", () => {
    const nonce = newNonce();
    expect(decodeChallenge(encodeChallenge({ version: 1, nonce }))).toEqual({ version: 1, nonce });
    expect(decodeChallenge(new TextEncoder().encode("+PONG\r\n"))).toBeTypeOf("string");
    const a = acceptor();
    const h = hello(a);
    expect(decodeHello(encodeHello(h))).toEqual(h);
    expect(decodeHello(encodeHello({ ...h, nonce: new Uint8Array(3) }))).toBe("malformed hello nonce");
    expect(decodeHello(encodeHello({ ...h, clusterId: "x".repeat(200) }))).toBeTypeOf("string");
  });
});
