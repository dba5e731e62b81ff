// The list-append checker accepts strict serializable histories and names each anomaly of the
// classic catalogue: lost appends, duplicates, non-prefix reads, aborted and intermediate
// reads, G0 / G1c / G-single / G2 cycles, and real-time violations such as stale reads.

import { describe, expect, test } from "bun:test";
import { checkListAppend, formatListAppendResult, type ListAnomaly, type Txn } from "../../src/check/list-append.ts";
import { Rng, testSeed } from "../helpers/diff.ts";
import { append, generateListAppendHistory, read, txn } from "./list-append-histories.ts";

function expectOk(history: Txn[]) {
  const result = checkListAppend(history);
  if (!result.ok) console.log(formatListAppendResult(result));
  expect(result.ok).toBe(true);
  return result;
}

function expectAnomaly(history: Txn[], name: string): ListAnomaly {
  const result = checkListAppend(history);
  const text = formatListAppendResult(result);
  expect(result.ok).toBe(false);
  const found = result.anomalies.find((a) => (a.kind === "cycle" ? a.name : a.kind) === name);
  if (found === undefined) console.log(text);
  expect(found).toBeDefined();
  return found as ListAnomaly;
}

describe("accepts strict serializable histories", () => {
  test("appends and reads one after another, several keys per transaction", () => {
    expectOk([
      txn(1, [append("x", 1), append("y", 1)], 0, 10),
      txn(2, [read("x", [1]), append("x", 2)], 11, 20),
      txn(1, [read("x", [1, 2]), read("y", [1])], 21, 30),
    ]);
  });

  test("concurrent transactions may be ordered either way", () => {
    expectOk([
      txn(1, [append("x", 1)], 0, 10),
      txn(2, [read("x", [])], 5, 15),
      txn(3, [append("x", 2)], 5, 15),
      txn(4, [read("x", [1, 2])], 20, 30),
    ]);
    expectOk([txn(1, [append("x", 1)], 0, 10), txn(2, [read("x", [1])], 5, 15), txn(4, [read("x", [1])], 20, 30)]);
  });

  test("a transaction reads its own appends", () => {
    expectOk([
      txn(1, [append("x", 1)], 0, 10),
      txn(2, [append("x", 2), read("x", [1, 2]), append("x", 3), read("x", [1, 2, 3])], 11, 20),
      txn(3, [read("x", [1, 2, 3])], 21, 30),
    ]);
  });

  test("unknown transactions may have committed or not; failed ones did not", () => {
    expectOk([
      txn(1, [append("x", 1)], 0, null, "unknown"),
      txn(2, [append("x", 2)], 0, null, "unknown"),
      txn(3, [append("x", 3)], 0, 5, "fail"),
      txn(4, [read("x", [2])], 10, 20),
      txn(4, [read("x", [2, 1])], 30, 40),
    ]);
  });

  test("elements may be numbers or their decimal strings (LRANGE returns strings)", () => {
    expectOk([txn(1, [append("x", 7)], 0, 10), txn(2, [read("x", ["7"])], 11, 20)]);
  });
});

describe("rejects anomalies", () => {
  test("lost append: acknowledged, but missing from every later read", () => {
    const a = expectAnomaly(
      [txn(1, [append("x", 1)], 0, 10), txn(2, [append("x", 2)], 0, 10), txn(3, [read("x", [2])], 20, 30)],
      "lost-append",
    );
    expect(a).toMatchObject({ key: "x", element: "1", writer: 0, reader: 2 });
  });

  test("duplicated element", () => {
    expectAnomaly([txn(1, [append("x", 1)], 0, 10), txn(2, [read("x", [1, 1])], 20, 30)], "duplicate-elements");
  });

  test("a read that is not a prefix of the key's order", () => {
    expectAnomaly(
      [
        txn(1, [append("x", 1)], 0, 10),
        txn(2, [append("x", 2)], 0, 10),
        txn(3, [append("x", 3)], 0, 10),
        txn(4, [read("x", [1, 2])], 20, 30),
        txn(5, [read("x", [1, 3, 2])], 20, 30),
      ],
      "incompatible-order",
    );
  });

  test("garbage read: an element nobody appended", () => {
    expectAnomaly([txn(1, [read("x", [9])], 0, 10)], "garbage-read");
  });

  test("G1a: reading a failed transaction's append", () => {
    expectAnomaly([txn(1, [append("x", 1)], 0, 10, "fail"), txn(2, [read("x", [1])], 20, 30)], "G1a");
  });

  test("G1b: reading in the middle of another transaction's appends", () => {
    expectAnomaly(
      [txn(1, [append("x", 1), append("x", 2)], 0, 10), txn(2, [read("x", [1])], 5, 15), txn(3, [read("x", [1, 2])], 20, 30)],
      "G1b",
    );
  });

  test("internal: a read that does not show the transaction's own append", () => {
    expectAnomaly([txn(1, [append("x", 5), read("x", [])], 0, 10)], "internal");
  });

  test("G0: two transactions' appends interleave in opposite orders on two keys", () => {
    const a = expectAnomaly(
      [
        txn(1, [append("x", 1), append("y", 1)], 0, 10),
        txn(2, [append("x", 2), append("y", 2)], 0, 10),
        txn(3, [read("x", [1, 2]), read("y", [2, 1])], 20, 30),
      ],
      "G0",
    );
    expect(a.kind === "cycle" && a.steps.map((s) => s.kind)).toEqual(["ww", "ww"]);
  });

  test("G1c: each transaction read the other's append", () => {
    expectAnomaly(
      [
        txn(1, [append("x", 1), read("y", [2])], 0, 10),
        txn(2, [append("y", 2), read("x", [1])], 0, 10),
      ],
      "G1c",
    );
  });

  test("G-single: read skew, one anti-dependency", () => {
    const a = expectAnomaly(
      [
        txn(1, [read("x", []), read("y", [3])], 0, 10),
        txn(2, [append("x", 2), append("y", 3)], 0, 10),
        txn(3, [read("x", [2])], 20, 30),
      ],
      "G-single",
    );
    expect(a.kind === "cycle" && a.steps.map((s) => s.kind).sort()).toEqual(["rw", "wr"]);
  });

  test("G2: write skew, two anti-dependencies", () => {
    const a = expectAnomaly(
      [
        txn(1, [read("x", []), read("y", []), append("x", 1)], 0, 10),
        txn(2, [read("x", []), read("y", []), append("y", 2)], 0, 10),
        txn(3, [read("x", [1]), read("y", [2])], 20, 30),
      ],
      "G2",
    );
    expect(a.kind === "cycle" && a.steps.map((s) => s.kind)).toEqual(["rw", "rw"]);
  });

  test("real time: a stale read after an acknowledged append (G-single-realtime)", () => {
    const history = [txn(1, [append("x", 1)], 0, 10), txn(2, [read("x", [])], 20, 30), txn(3, [read("x", [1])], 40, 50)];
    const a = expectAnomaly(history, "G-single-realtime");
    expect(a.kind === "cycle" && a.steps.map((s) => `${s.from}${s.kind}${s.to}`).sort()).toEqual(["0rt1", "1rw0"]);
    // The same reads, concurrent with the append, are fine.
    expectOk([txn(1, [append("x", 1)], 0, 25), txn(2, [read("x", [])], 20, 30), txn(3, [read("x", [1])], 40, 50)]);
  });

  test("real time: appends ordered against real time (G0-realtime)", () => {
    expectAnomaly(
      [txn(1, [append("x", 1)], 0, 10), txn(2, [append("x", 2)], 20, 30), txn(3, [read("x", [2, 1])], 40, 50)],
      "G0-realtime",
    );
  });

  test("real time: a read going back in time", () => {
    expectAnomaly(
      [
        txn(1, [append("x", 1)], 0, 10),
        txn(1, [append("x", 2)], 11, 20),
        txn(2, [read("x", [1, 2])], 21, 30),
        txn(3, [read("x", [1])], 31, 40),
      ],
      "G-single-realtime",
    );
  });

  test("the report names the transactions and why each edge exists", () => {
    const result = checkListAppend([
      txn(1, [append("x", 1)], 0, 10),
      txn(2, [read("x", [])], 20, 30),
      txn(3, [read("x", [1])], 40, 50),
    ]);
    const text = formatListAppendResult(result);
    console.log(text);
    expect(text).toContain("G-single-realtime cycle of 2 transactions");
    expect(text).toContain("T1 read \"x\" empty, without T0's 1, which comes next");
    expect(text).toContain("T0 completed at 10, before T1 began at 20");
  });
});

describe("generated histories", () => {
  const seed = testSeed();

  function withSeed(run: (rng: Rng) => void): void {
    try {
      run(new Rng(seed));
    } catch (error) {
      console.log(`failed with SEED=${seed}`);
      throw error;
    }
  }

  test("strict serializable by construction: accepted; one stale read: rejected", () => {
    withSeed((rng) => {
      for (let round = 0; round < 30; round++) {
        const history = generateListAppendHistory(rng, { txns: 300, clients: 6, keys: 4, opsMax: 4, window: 3, unknownRate: 0.05, failRate: 0.05 });
        expectOk(history);

        // Make one read stale: drop the last element it saw, when that element's transaction
        // completed before the reader began (so the reader must have seen it).
        const candidates: [number, number][] = [];
        history.forEach((t, ti) => {
          if (t.outcome !== "ok") return;
          t.ops.forEach((op, oi) => {
            if (op.f !== "r" || op.value === null || op.value.length === 0) return;
            const last = op.value[op.value.length - 1];
            const writer = history.findIndex((w) => w.ops.some((o) => o.f === "append" && o.key === op.key && o.value === last));
            const w = history[writer];
            if (writer !== ti && w.complete !== null && w.complete < t.invoke) candidates.push([ti, oi]);
          });
        });
        if (candidates.length === 0) continue;
        const [ti, oi] = candidates[rng.nextInt(candidates.length)];
        const mutated = history.map((t, i) =>
          i !== ti ? t : { ...t, ops: t.ops.map((op, j) => (j === oi && op.f === "r" && op.value !== null ? read(op.key, op.value.slice(0, -1)) : op)) },
        );
        const result = checkListAppend(mutated);
        expect(result.ok).toBe(false);
      }
    });
  });

  test("performance: 10k transactions (measured, not asserted)", () => {
    withSeed((rng) => {
      const history = generateListAppendHistory(rng, { txns: 10_000, clients: 10, keys: 20, opsMax: 4, window: 4, unknownRate: 0.03, failRate: 0.03 });
      const started = performance.now();
      const result = checkListAppend(history);
      const ms = performance.now() - started;
      expect(result.ok).toBe(true);
      console.log(
        `list-append: ${result.stats.txns} txns, ${result.stats.appends} appends, ${result.stats.reads} reads, ` +
          `${result.stats.edges} dependencies: ${ms.toFixed(0)} ms`,
      );
    });
  });
});
