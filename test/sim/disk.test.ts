// The simulated disk: writes become durable in order by group commit, a crash loses what is not
// durable, a torn batch keeps a prefix of its records (snapshot, entries, hard state), and
// snapshots the node takes itself drop the log they cover. Also the reference state machine.

import { describe, expect, test } from "bun:test";
import type { Entry, HardState, Snapshot } from "../../src/raft/types.ts";
import { Disk, type WriteJob } from "../../src/sim/disk.ts";
import { decodeCommand, encodeCommand, KvMachine } from "../../src/sim/kv-machine.ts";

const conf = { voters: [1, 2, 3], learners: [], removed: [] };

function entry(term: number, index: number): Entry {
  return { term, index, type: "noop", data: new Uint8Array(0) };
}

function job(fields: { entries?: Entry[]; hardState?: HardState | null; snapshot?: Snapshot | null }): WriteJob {
  const entries = fields.entries ?? [];
  const last = entries[entries.length - 1];
  return {
    snapshot: fields.snapshot ?? null,
    entries,
    hardState: fields.hardState ?? null,
    afterPersist: [],
    point: last === undefined ? null : { index: last.index, term: last.term },
  };
}

function terms(d: Disk): string {
  return d.stored.entries.map((e) => `${e.term}/${e.index}`).join(" ");
}

describe("disk", () => {
  test("group commit: an idle disk writes every queued write as one batch; later writes wait for the next", () => {
    const d = new Disk();
    d.enqueue(job({ entries: [entry(1, 1)] }));
    expect(d.startBatch()).toBe(1);
    expect(d.busy).toBe(true);
    d.enqueue(job({ entries: [entry(1, 2)] }));
    d.enqueue(job({ entries: [entry(1, 3)] }));
    expect(d.pending).toBe(3);
    expect(() => d.startBatch()).toThrow("one batch at a time");
    expect(d.completeBatch().length).toBe(1);
    expect(terms(d)).toBe("1/1");
    expect(d.startBatch()).toBe(2);
    expect(d.completeBatch().map((j) => j.point?.index)).toEqual([2, 3]);
    expect(terms(d)).toBe("1/1 1/2 1/3");
    expect([d.pending, d.busy]).toEqual([0, false]);
  });

  test("entries replace the stored ones from their first index on", () => {
    const d = new Disk();
    d.enqueue(job({ entries: [entry(1, 1), entry(1, 2), entry(1, 3)] }));
    d.enqueue(job({ entries: [entry(2, 2)], hardState: { term: 2, vote: 0, commit: 1 } }));
    d.startBatch();
    d.completeBatch();
    expect(terms(d)).toBe("1/1 2/2");
    expect(d.stored.hardState.term).toBe(2);
  });

  test("a crash loses every write not yet durable; a clean crash keeps nothing of them", () => {
    const d = new Disk();
    d.enqueue(job({ entries: [entry(1, 1)], hardState: { term: 1, vote: 1, commit: 0 } }));
    d.startBatch();
    d.completeBatch();
    d.enqueue(job({ entries: [entry(1, 2)] }));
    d.startBatch();
    d.enqueue(job({ entries: [entry(1, 3)] }));
    const generation = d.generation;
    expect(d.crash(() => 0)).toBeNull();
    expect(d.generation).toBe(generation + 1);
    expect([d.pending, d.busy]).toEqual([0, false]);
    expect(terms(d)).toBe("1/1");
    expect(d.stored.hardState).toEqual({ term: 1, vote: 1, commit: 0 });
  });

  test("a torn batch keeps a prefix of its records (per write: snapshot, entries, hard state); queued writes are lost", () => {
    const snap: Snapshot = { meta: { index: 5, term: 2, conf }, data: new Uint8Array([1]) };
    const torn = (keep: number): Disk => {
      const d = new Disk();
      d.enqueue(job({ entries: [entry(1, 1)], hardState: { term: 1, vote: 0, commit: 1 } }));
      d.startBatch();
      d.completeBatch();
      d.enqueue(job({ snapshot: snap, entries: [entry(3, 6), entry(3, 7)], hardState: { term: 3, vote: 2, commit: 5 } }));
      d.enqueue(job({ entries: [entry(3, 8)] }));
      d.startBatch();
      d.enqueue(job({ entries: [entry(3, 9)] })); // queued for the next batch: never written
      expect(d.crash((n) => (expect(n).toBe(5), keep))).toEqual(keep === 0 ? null : { kept: keep, of: 5 });
      return d;
    };
    const zero = torn(0);
    expect([zero.stored.snapshot, terms(zero), zero.stored.hardState.term]).toEqual([null, "1/1", 1]);
    const one = torn(1);
    expect([one.stored.snapshot?.meta.index, terms(one), one.stored.hardState.term]).toEqual([5, "", 1]);
    const two = torn(2);
    expect([terms(two), two.stored.hardState.term]).toEqual(["3/6", 1]);
    const three = torn(3);
    expect([terms(three), three.stored.hardState.term]).toEqual(["3/6 3/7", 1]);
    const four = torn(4);
    expect([terms(four), four.stored.hardState]).toEqual(["3/6 3/7", { term: 3, vote: 2, commit: 5 }]);
    const all = torn(5);
    expect(terms(all)).toBe("3/6 3/7 3/8");
  });

  test("a snapshot the node takes drops the entries it covers; restarts read copies", () => {
    const d = new Disk();
    d.enqueue(job({ entries: [entry(1, 1), entry(1, 2), entry(1, 3)], hardState: { term: 1, vote: 0, commit: 3 } }));
    d.startBatch();
    d.completeBatch();
    d.writeSnapshot({ meta: { index: 2, term: 1, conf }, data: new Uint8Array([7]) });
    expect(terms(d)).toBe("1/3");
    const initial = d.initialState();
    expect(initial.snapshot?.meta.index).toBe(2);
    initial.entries.push(entry(1, 4));
    initial.hardState.term = 9;
    expect(terms(d)).toBe("1/3");
    expect(d.stored.hardState.term).toBe(1);
  });

  test("writes may not leave a gap in the log", () => {
    const d = new Disk();
    d.enqueue(job({ entries: [entry(1, 3)] }));
    d.startBatch();
    expect(() => d.completeBatch()).toThrow("without a gap");
  });
});

describe("kv state machine", () => {
  test("commands round-trip through entry data and apply in order", () => {
    const kv = new KvMachine();
    const cmds = [
      { kind: "set", tag: "c1.1", key: "k0", value: "41" },
      { kind: "incr", tag: "c1.2", key: "k0", by: 1 },
      { kind: "incr", tag: "c2.3", key: "k1", by: 5 },
      { kind: "del", tag: "c2.4", key: "k1" },
      { kind: "del", tag: "c2.5", key: "k1" },
      { kind: "probe", tag: "7" },
      { kind: "set", tag: "c3.6", key: "k2", value: "x" },
      { kind: "incr", tag: "c3.7", key: "k2", by: 1 },
    ] as const;
    const results = cmds.map((c, i) => kv.apply(i + 1, decodeCommand(encodeCommand(c))));
    expect(results).toEqual(["OK", 42, 5, 1, 0, null, "OK", "ERR value is not an integer or out of range"]);
    expect(() => kv.apply(10, cmds[0])).toThrow("in order");
  });

  test("a snapshot restores the same state; equal states give equal bytes", () => {
    const a = new KvMachine();
    const b = new KvMachine();
    a.apply(1, { kind: "set", tag: "t", key: "x", value: "1" });
    a.apply(2, { kind: "set", tag: "t", key: "a", value: "2" });
    b.apply(1, { kind: "set", tag: "t", key: "a", value: "2" });
    b.apply(2, { kind: "set", tag: "t", key: "x", value: "1" });
    expect(a.snapshot()).toEqual(b.snapshot());
    const c = KvMachine.fromSnapshot(a.snapshot());
    expect([c.applied, c.get("x"), c.get("a"), c.get("nope")]).toEqual([2, "1", "2", null]);
  });
});
