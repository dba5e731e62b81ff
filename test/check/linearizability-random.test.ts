// Randomized checks of the linearizability checker: it agrees with a brute-force search on small
// histories; it accepts generated histories that are linearizable by construction; it rejects
// them once one read is made to return what it cannot have seen. SEED=n replays.

import { expect, test } from "bun:test";
import { checkLinearizability, formatLinearizabilityResult } from "../../src/check/linearizability.ts";
import { kvModel } from "../../src/check/kv-model.ts";
import { Rng, testSeed } from "../helpers/diff.ts";
import { bruteForceLinearizable, generateKvHistory, type KvOp } from "./kv-histories.ts";

const seed = testSeed();

function withSeed(what: string, run: (rng: Rng) => void): void {
  try {
    run(new Rng(seed));
  } catch (error) {
    console.log(`${what}: failed with SEED=${seed}`);
    throw error;
  }
}

/** Random small histories, mostly not linearizable: values from a tiny domain, random times. */
function randomSmallHistory(rng: Rng): KvOp[] {
  const history: KvOp[] = [];
  const n = 1 + rng.nextInt(7);
  const counter = rng.nextInt(2) === 0;
  const value = () => ["a", "b", "c"][rng.nextInt(3)];
  // Half the histories are mostly unknown outcomes, where the search's pruning rules matter.
  const unknownOdds = rng.nextInt(2) === 0 ? 6 : 2;
  for (let i = 0; i < n; i++) {
    const invoke = rng.nextInt(20);
    const complete = invoke + rng.nextInt(8);
    const r = rng.nextInt(10);
    const [input, output]: [KvOp["input"], KvOp["output"]] = counter
      ? r < 4
        ? [{ kind: "get" }, rng.nextInt(4) === 0 ? null : String(rng.nextInt(4))]
        : r < 9
          ? [{ kind: "incr" }, 1 + rng.nextInt(3)]
          : [{ kind: "del" }, rng.nextInt(2)]
      : r < 4
        ? [{ kind: "get" }, rng.nextInt(4) === 0 ? null : value()]
        : r < 7
          ? [{ kind: "set", value: value() }, "OK"]
          : r < 9
            ? [{ kind: "setnx", value: value() }, rng.nextInt(2)]
            : [{ kind: "del" }, rng.nextInt(2)];
    const outcome = rng.nextInt(unknownOdds) === 0 ? "unknown" : rng.nextInt(12) === 0 ? "fail" : "ok";
    history.push(
      outcome === "unknown"
        ? { client: i, key: "x", input, invoke, complete: null, outcome }
        : { client: i, key: "x", input, output, invoke, complete, outcome },
    );
  }
  return history;
}

test("agrees with brute force on 4000 random small histories", () => {
  withSeed("brute force", (rng) => {
    let rejected = 0;
    for (let round = 0; round < 4000; round++) {
      const history = randomSmallHistory(rng);
      const expected = bruteForceLinearizable(kvModel, history);
      const result = checkLinearizability(kvModel, history);
      if (result.ok !== expected) console.log(JSON.stringify(history), formatLinearizabilityResult(result));
      expect(result.result).toBe(expected ? "ok" : "fail");
      if (!expected) rejected++;
    }
    // Both verdicts must be well represented for the comparison to mean anything.
    expect(rejected).toBeGreaterThan(1000);
    expect(rejected).toBeLessThan(3500);
  });
});

test("agrees with brute force on generated small histories with one read changed", () => {
  withSeed("small mutations", (rng) => {
    let observable = 0;
    for (let round = 0; round < 1500; round++) {
      const history = generateKvHistory(rng, { ops: 7, clients: 3, keys: 1, window: 2, unknownRate: 0.15, failRate: 0.05 });
      expect(checkLinearizability(kvModel, history).ok).toBe(true);
      const reads = history.map((o, i) => (o.outcome === "ok" && o.input.kind === "get" ? i : -1)).filter((i) => i >= 0);
      if (reads.length === 0) continue;
      const at = reads[rng.nextInt(reads.length)];
      const written = history.flatMap((o) => (o.input.kind === "set" || o.input.kind === "setnx" ? [o.input.value] : []));
      const choices = [null, ...written, "0", "1", "2"];
      const mutated = history.map((o, i) => (i === at ? { ...o, output: choices[rng.nextInt(choices.length)] } : o));
      const expected = bruteForceLinearizable(kvModel, mutated);
      expect(checkLinearizability(kvModel, mutated).result).toBe(expected ? "ok" : "fail");
      if (!expected) observable++;
    }
    expect(observable).toBeGreaterThan(200);
  });
});

test("accepts generated linearizable histories and rejects each one-read mutation", () => {
  withSeed("generated", (rng) => {
    for (let round = 0; round < 20; round++) {
      const history = generateKvHistory(rng, { ops: 1000, clients: 8, keys: 6, window: 3, unknownRate: 0.03, failRate: 0.03 });
      const result = checkLinearizability(kvModel, history);
      if (!result.ok) console.log(formatLinearizabilityResult(result));
      expect(result.result).toBe("ok");

      const reads = history.map((o, i) => (o.outcome === "ok" && o.input.kind === "get" ? i : -1)).filter((i) => i >= 0);
      // A value nobody wrote.
      const never = reads[rng.nextInt(reads.length)];
      const counter = Number(history[never].key.slice(1)) % 2 === 1;
      expectCulprit(replaceOutput(history, never, counter ? "1000000000" : "never-written"), never);

      // A register value written only after the read completed.
      for (const at of reads) {
        const read = history[at];
        if (Number(read.key.slice(1)) % 2 === 1 || read.complete === null) continue;
        const future = history.find((o) => o.key === read.key && o.input.kind === "set" && o.invoke > (read.complete ?? 0));
        if (future === undefined || future.input.kind !== "set") continue;
        expectCulprit(replaceOutput(history, at, future.input.value), at);
        break;
      }
    }
  });
});

function replaceOutput(history: KvOp[], at: number, output: string): KvOp[] {
  return history.map((o, i) => (i === at ? { ...o, output } : o));
}

function expectCulprit(history: KvOp[], at: number): void {
  const result = checkLinearizability(kvModel, history);
  expect(result.result).toBe("fail");
  expect(result.anomalies.length).toBe(1);
  expect(result.anomalies[0].key).toBe(history[at].key);
  expect(result.anomalies[0].explanation?.culprit.index).toBe(at);
  // Unknown outcomes stay in a witness (they may take effect at any time); the completed operations are few.
  const completed = result.anomalies[0].explanation?.witness.filter((o) => o.op.outcome === "ok") ?? [];
  if (completed.length >= 8) console.log(formatLinearizabilityResult(result));
  expect(completed.length).toBeLessThan(8);
}

test("performance: a few thousand operations per key (measured, not asserted)", () => {
  withSeed("performance", (rng) => {
    for (const [clients, window, unknownRate] of [
      [5, 2, 0],
      [10, 4, 0.02],
      [20, 8, 0.05],
    ]) {
      const history = generateKvHistory(rng, { ops: 12_000, clients, keys: 4, window, unknownRate, failRate: 0.02 });
      const started = performance.now();
      const result = checkLinearizability(kvModel, history);
      const ms = performance.now() - started;
      expect(result.result).toBe("ok");
      const steps = result.perKey.reduce((sum, k) => sum + k.steps, 0);
      console.log(
        `linearizability: ${history.length} ops on 4 keys, ${clients} clients, window ${window}, ${unknownRate * 100}% unknown: ` +
          `${ms.toFixed(0)} ms, ${steps} steps`,
      );
    }
  });
});
