// The linearizability checker accepts known linearizable key-value histories, rejects known
// non-linearizable ones, and explains a rejection with the operations that cause it.

import { describe, expect, test } from "bun:test";
import { checkLinearizability, formatLinearizabilityResult } from "../../src/check/linearizability.ts";
import { kvModel } from "../../src/check/kv-model.ts";
import { HistoryRecorder } from "../../src/check/history.ts";
import type { KvInput, KvOutput } from "../../src/check/kv-model.ts";
import { impossible, type Model } from "../../src/check/model.ts";
import { del, failed, get, incr, ok, set, setnx, unknown, type KvOp } from "./kv-histories.ts";

function check(history: KvOp[]) {
  return checkLinearizability(kvModel, history);
}

function expectLinearizable(history: KvOp[]) {
  const result = check(history);
  if (!result.ok) console.log(formatLinearizabilityResult(result));
  expect(result.result).toBe("ok");
}

function expectNotLinearizable(history: KvOp[]) {
  const result = check(history);
  expect(result.result).toBe("fail");
  expect(result.anomalies.length).toBeGreaterThan(0);
  return result;
}

describe("accepts linearizable histories", () => {
  test("empty history, and a read of a missing key", () => {
    expectLinearizable([]);
    expectLinearizable([ok(1, get, null, 0, 1)]);
  });

  test("overlapping writes and reads that see them in one order", () => {
    // set a, get→a, then set b (which overlaps both), get→b.
    expectLinearizable([
      ok(1, set("a"), "OK", 0, 10),
      ok(2, set("b"), "OK", 5, 15),
      ok(3, get, "b", 11, 20),
      ok(4, get, "a", 1, 12),
    ]);
  });

  test("a read concurrent with a write may see either value", () => {
    const base = [ok(1, set("a"), "OK", 0, 1), ok(1, set("b"), "OK", 2, 10)];
    expectLinearizable([...base, ok(2, get, "a", 3, 5)]);
    expectLinearizable([...base, ok(2, get, "b", 3, 5)]);
  });

  test("operations touching at equal timestamps count as concurrent", () => {
    expectLinearizable([ok(1, set("a"), "OK", 0, 10), ok(2, get, null, 10, 12)]);
  });

  test("an unknown write that took effect", () => {
    expectLinearizable([ok(1, set("a"), "OK", 0, 10), unknown(2, set("b"), 20), ok(3, get, "b", 30, 40)]);
  });

  test("an unknown write that never took effect", () => {
    expectLinearizable([ok(1, set("a"), "OK", 0, 10), unknown(2, set("b"), 20), ok(3, get, "a", 30, 40)]);
  });

  test("an unknown write may take effect long after its invocation", () => {
    expectLinearizable([
      ok(1, set("a"), "OK", 0, 10),
      unknown(2, set("b"), 20),
      ok(3, get, "a", 30, 40),
      ok(3, get, "b", 50, 60),
    ]);
  });

  test("failed operations are dropped", () => {
    expectLinearizable([ok(1, set("a"), "OK", 0, 10), failed(2, set("b"), 11, 12), ok(3, get, "a", 20, 30)]);
  });

  test("incr chains, concurrent incrs completing out of order, incrby", () => {
    expectLinearizable([
      ok(1, incr, 1, 0, 5),
      ok(1, incr, 3, 6, 20),
      ok(2, incr, 2, 7, 10),
      ok(3, get, "3", 21, 22),
      ok(3, { kind: "incr", by: 10 }, 13, 23, 24),
    ]);
  });

  test("unknown incrs: any number of them may have happened", () => {
    const unknowns = [unknown(1, incr, 0), unknown(2, incr, 0), unknown(3, incr, 0)];
    expectLinearizable([...unknowns, ok(4, get, "2", 10, 11)]);
    expectLinearizable([...unknowns, ok(4, get, null, 10, 11), ok(4, get, "3", 12, 13)]);
  });

  test("setnx races: one wins, everyone reads the winner", () => {
    expectLinearizable([
      ok(1, setnx("a"), 0, 0, 10),
      ok(2, setnx("b"), 1, 0, 10),
      ok(3, get, "b", 11, 12),
      ok(1, setnx("c"), 0, 13, 14),
    ]);
  });

  test("del reports whether the key existed", () => {
    expectLinearizable([
      ok(1, set("a"), "OK", 0, 1),
      ok(1, del, 1, 2, 3),
      ok(2, get, null, 4, 5),
      ok(2, del, 0, 6, 7),
    ]);
  });

  test("keys are independent", () => {
    expectLinearizable([ok(1, set("a"), "OK", 0, 10, "x"), ok(2, get, null, 20, 30, "y"), ok(2, get, "a", 31, 32, "x")]);
  });

  test("the recorder reports pending operations as unknown", () => {
    const recorder = new HistoryRecorder<KvInput, KvOutput>();
    const a = recorder.invoke(1, "x", set("a"), 0);
    recorder.ok(a, "OK", 5);
    recorder.invoke(2, "x", set("b"), 6);
    const c = recorder.invoke(3, "x", get, 7);
    recorder.ok(c, "b", 9);
    const d = recorder.invoke(4, "x", set("c"), 10);
    recorder.fail(d, 11);
    const history = recorder.history();
    expect(history.map((o) => o.outcome)).toEqual(["ok", "unknown", "ok", "fail"]);
    expectLinearizable(history);
  });
});

describe("rejects non-linearizable histories", () => {
  test("stale read after a completed write", () => {
    const result = expectNotLinearizable([
      ok(1, set("a"), "OK", 0, 10),
      ok(1, set("b"), "OK", 11, 20),
      ok(2, get, "a", 21, 30),
    ]);
    const e = result.anomalies[0].explanation;
    expect(e?.culprit.index).toBe(2);
    expect(e?.witness.map((o) => o.index)).toEqual([2]);
    expect(e?.initialStates).toEqual(["b"]);
  });

  test("read of a value never written", () => {
    expectNotLinearizable([ok(1, set("a"), "OK", 0, 10), ok(2, get, "zzz", 5, 15)]);
  });

  test("lost update: two incrs both return 1, one after the other", () => {
    const result = expectNotLinearizable([ok(1, incr, 1, 0, 10), ok(2, incr, 1, 11, 20)]);
    expect(result.anomalies[0].explanation?.culprit.index).toBe(1);
  });

  test("concurrent incrs cannot both return 1 either", () => {
    expectNotLinearizable([ok(1, incr, 1, 0, 10), ok(2, incr, 1, 0, 10)]);
  });

  test("split brain: two groups of readers see the writes in opposite orders", () => {
    expectNotLinearizable([
      ok(1, set("a"), "OK", 0, 10),
      ok(2, set("b"), "OK", 0, 10),
      ok(3, get, "a", 11, 12),
      ok(4, get, "b", 13, 14),
      ok(3, get, "a", 15, 16),
    ]);
  });

  test("two readers disagree about the order of overlapping writes", () => {
    expectNotLinearizable([
      ok(1, set("a"), "OK", 0, 10),
      ok(2, set("b"), "OK", 5, 15),
      ok(3, get, "b", 11, 12),
      ok(4, get, "a", 13, 20),
    ]);
  });

  test("a read going back in time during a long write", () => {
    expectNotLinearizable([
      ok(1, set("a"), "OK", 0, 5),
      ok(2, set("b"), "OK", 6, 100),
      ok(3, get, "b", 10, 20),
      ok(4, get, "a", 30, 40),
    ]);
  });

  test("an unknown write cannot be read before it was invoked", () => {
    expectLinearizable([unknown(1, set("b"), 5), ok(2, get, "b", 10, 20)]);
    expectNotLinearizable([ok(2, get, "b", 10, 20), unknown(1, set("b"), 50)]);
  });

  test("an unknown write that must have happened before a later read cannot be undone", () => {
    expectNotLinearizable([
      ok(1, set("a"), "OK", 0, 1),
      unknown(2, set("b"), 2),
      ok(3, get, "b", 10, 11),
      ok(3, get, "a", 12, 13),
    ]);
  });

  test("more increments observed than were issued", () => {
    expectNotLinearizable([unknown(1, incr, 0), unknown(2, incr, 0), ok(3, incr, 4, 1, 5)]);
  });

  test("setnx: both concurrent setnx cannot win", () => {
    expectNotLinearizable([ok(1, setnx("a"), 1, 0, 10), ok(2, setnx("b"), 1, 0, 10)]);
  });

  test("del of a missing key cannot report 1", () => {
    expectNotLinearizable([ok(1, del, 1, 0, 10)]);
  });

  test("only the broken key is reported", () => {
    const result = expectNotLinearizable([
      ok(1, set("a"), "OK", 0, 10, "good"),
      ok(2, get, "a", 11, 12, "good"),
      ok(1, set("a"), "OK", 0, 10, "bad"),
      ok(2, get, "c", 11, 12, "bad"),
    ]);
    expect(result.anomalies.map((a) => a.key)).toEqual(["bad"]);
    expect(result.perKey.map((k) => [k.key, k.result])).toEqual([
      ["bad", "fail"],
      ["good", "ok"],
    ]);
  });
});

describe("explanations and budgets", () => {
  test("a long history shrinks to the few operations around the stale read", () => {
    const history: KvOp[] = [];
    for (let i = 0; i < 200; i++) {
      history.push(ok(i % 3, set(`v${i}`), "OK", i * 10, i * 10 + 5));
      history.push(ok(3, get, `v${i}`, i * 10 + 6, i * 10 + 8));
    }
    history.push(ok(4, set("late"), "OK", 2000, 2050));
    history.push(ok(5, get, "late", 2010, 2020));
    history.push(ok(6, get, "v199", 2030, 2040));
    const result = expectNotLinearizable(history);
    const e = result.anomalies[0].explanation;
    expect(e).not.toBeNull();
    expect(e?.culprit.index).toBe(history.length - 1);
    // Everything up to the read that saw "late" is summarized as the state it leaves; the write
    // of "late" was still running, so it stays (as unknown), with the stale read.
    expect(e?.witness.map((o) => o.index)).toEqual([400, 402]);
    expect(e?.before).toBe(201);
    expect(e?.initialStates).toEqual(["late"]);
    expect(e?.context.map((o) => o.index)).toContain(401);
    const text = formatLinearizabilityResult(result);
    expect(text).toContain('key "x": not linearizable');
    expect(text).toContain('op 402');
    expect(text).toContain('get → "v199"');
    console.log(text);
  });

  test("hundreds of unknown writes that never happened keep the search small", () => {
    const history: KvOp[] = [];
    for (let i = 0; i < 300; i++) history.push(unknown(i, set(`u${i}`), i));
    for (let i = 0; i < 300; i++) history.push(unknown(i, incr, i, "c"));
    for (let i = 0; i < 300; i++) {
      history.push(ok(1000, set(`v${i}`), "OK", 1000 + i * 10, 1002 + i * 10));
      history.push(ok(1001, get, `v${i}`, 1003 + i * 10, 1004 + i * 10));
      history.push(ok(1002, get, i === 150 ? "2" : i > 150 ? "3" : null, 1000 + i * 10, 1004 + i * 10, "c"));
    }
    const fine = checkLinearizability(kvModel, history, { stepsMax: 1_000_000 });
    expect(fine.result).toBe("ok");
    // The same with a stale read at the end: refuted, not left unknown.
    history.push(ok(1001, get, "v5", 5000, 5001));
    const stale = checkLinearizability(kvModel, history, { stepsMax: 1_000_000 });
    expect(stale.result).toBe("fail");
    expect(stale.anomalies.map((a) => a.explanation?.culprit.index)).toEqual([history.length - 1]);
  });

  test("a search out of budget says unknown instead of hanging", () => {
    // Many concurrent unknown writes with distinct values and a read of none of them.
    const history: KvOp[] = [];
    for (let i = 0; i < 40; i++) history.push(unknown(i, set(`u${i}`), 0));
    for (let i = 0; i < 40; i++) history.push(ok(100 + i, get, `u${(i * 7) % 40}`, 1 + i, 1 + i));
    const result = checkLinearizability(kvModel, history, { stepsMax: 1000 });
    expect(result.result).toBe("unknown");
    expect(result.ok).toBe(false);
    expect(result.unknownKeys).toEqual(["x"]);
    expect(formatLinearizabilityResult(result)).toContain("search budget exhausted");
  });
});

describe("other models", () => {
  // A Redis set seen through SADD (reply: 1 if added) and SCARD: the state is the sorted members.
  type SetInput = { kind: "sadd"; member: string } | { kind: "scard" };
  const setModel: Model<readonly string[], SetInput, number> = {
    name: "set",
    init: () => [],
    step(state, input, output) {
      if (input.kind === "scard") return output === undefined || output === state.length ? state : impossible;
      const added = !state.includes(input.member);
      if (output !== undefined && output !== (added ? 1 : 0)) return impossible;
      return added ? [...state, input.member].sort() : state;
    },
    stateKey: (state) => state.join("\u0000"),
    readOnly: (input) => input.kind === "scard",
    blind: () => false,
    sameEffect: (a, b) => a.kind === b.kind && (a.kind === "scard" || (b.kind === "sadd" && a.member === b.member)),
    describeOp: (input, output) => `${input.kind}${input.kind === "sadd" ? ` ${input.member}` : ""} → ${output ?? "?"}`,
    describeState: (state) => `{${state.join(", ")}}`,
  };
  const op = (client: number, input: SetInput, output: number, invoke: number, complete: number) =>
    ({ client, key: "s", input, output, invoke, complete, outcome: "ok" }) as const;

  test("a custom model plugs into the same search", () => {
    const fine = [op(1, { kind: "sadd", member: "a" }, 1, 0, 10), op(2, { kind: "sadd", member: "a" }, 0, 5, 15), op(3, { kind: "scard" }, 1, 20, 30)];
    expect(checkLinearizability(setModel, fine).ok).toBe(true);
    const both = [op(1, { kind: "sadd", member: "a" }, 1, 0, 10), op(2, { kind: "sadd", member: "a" }, 1, 5, 15)];
    const result = checkLinearizability(setModel, both);
    expect(result.result).toBe("fail");
    expect(formatLinearizabilityResult(result)).toContain("sadd a → 1 cannot follow {a}");
  });
});
