// Unit tests of the Raft core's pieces and contracts that the scenario files do not show well.

import { describe, expect, test } from "bun:test";
import { decode, encode } from "@msgpack/msgpack";
import { decodeConfEntry, encodeConfEntry } from "../../src/raft/conf-entry.ts";
import { Inflights } from "../../src/raft/inflights.ts";
import { quorumValue, voteResult } from "../../src/raft/quorum.ts";
import { RaftCore } from "../../src/raft/raft.ts";
import type { Message } from "../../src/raft/types.ts";
import { AssertionError } from "../../src/util/assert.ts";
import { Harness, parseCommand } from "./harness.ts";

describe("elections", () => {
  test("randomized election timeouts fall in [election, 2*election) and spread", () => {
    const seen = new Set<number>();
    for (let seed = 1; seed <= 300; seed++) {
      const c = new RaftCore({ id: 1, seed, electionTicks: 10, bootstrapVoters: [1, 2, 3] });
      seen.add(c.status().randomizedElectionTimeout);
    }
    expect(Math.min(...seen)).toBe(10);
    expect(Math.max(...seen)).toBe(19);
    expect(seen.size).toBe(10);
  });

  test("a follower campaigns exactly when its randomized timeout elapses", () => {
    const c = new RaftCore({ id: 1, seed: 7, bootstrapVoters: [1, 2, 3] });
    while (c.hasReady()) {
      const rd = c.ready();
      if (rd.persistPoint !== null) c.onPersisted(rd.persistPoint.index, rd.persistPoint.term);
      c.advance(rd);
    }
    const timeout = c.status().randomizedElectionTimeout;
    for (let i = 1; i < timeout; i++) {
      c.tick();
      expect(c.role).toBe("follower");
    }
    c.tick();
    expect(c.role).toBe("preCandidate");
  });
});

describe("durability order", () => {
  test("vote requests, vote grants and append acknowledgements wait for the persist", () => {
    const h = new Harness();
    const after = new Set<string>();
    const now = new Set<string>();
    let section = now;
    for (const line of ["add-nodes 3 voters=(1,2,3)", "campaign 1", "stabilize", "propose 1 x=1", "read-index 2 r", "stabilize"]) {
      for (const l of h.run(parseCommand(line)).split("\n")) {
        if (l === "  after-persist:") section = after;
        else if (l === "  messages:") section = now;
        const m = /^ {4}\d+->\d+ (\w+)/.exec(l);
        if (m !== null) section.add(m[1]);
      }
    }
    expect([...after].sort()).toEqual(["MsgAppResp", "MsgVote", "MsgVoteResp"]);
    expect([...now].sort()).toEqual(["MsgApp", "MsgHeartbeat", "MsgHeartbeatResp", "MsgPreVote", "MsgPreVoteResp", "MsgReadIndex", "MsgReadIndexResp"]);
  });

  test("a stale persist acknowledgement (the entry was overwritten since) is ignored", () => {
    const c = new RaftCore({ id: 2, seed: 1, bootstrapVoters: [1, 2, 3] });
    const drain = (): void => {
      while (c.hasReady()) {
        const rd = c.ready();
        if (rd.persistPoint !== null) c.onPersisted(rd.persistPoint.index, rd.persistPoint.term);
        c.advance(rd);
      }
    };
    drain();
    const base = { from: 1, to: 2, commit: 1, reject: false, rejectHint: 0, context: new Uint8Array(0), snapshot: null } as const;
    const entry = (term: number, index: number) => ({ term, index, type: "normal" as const, data: new Uint8Array([index]) });
    c.step({ ...base, type: "MsgApp", term: 2, logTerm: 1, index: 1, entries: [entry(2, 2), entry(2, 3)] });
    const first = c.ready(); // handed to storage: 2/2, 2/3
    expect(first.persistPoint).toEqual({ index: 3, term: 2 });
    // A new leader overwrites index 3 before the disk write finishes.
    c.step({ ...base, from: 3, type: "MsgApp", term: 3, logTerm: 2, index: 2, entries: [entry(3, 3)] });
    c.onPersisted(3, 2); // the old write's acknowledgement: 3/3 is not what it wrote
    expect(c.status().persisted).toBe(1);
    const second = c.ready();
    expect(second.entries.map((e) => `${e.term}/${e.index}`)).toEqual(["3/3"]);
    c.onPersisted(3, 3);
    expect(c.status().persisted).toBe(3);
  });

  test("a write torn between its entries (or snapshot) and its hard state restarts at their term, with no vote", () => {
    // A ready holds entries of a new term and the hard state naming that term (maybe a vote);
    // storage writes them in that order, so a crash can keep the entries and lose the hard
    // state. The ready's messagesAfterPersist (the vote, the acknowledgement) never left.
    // (Found by the simulator's torn writes: the restart used to fail an assertion.)
    const boot = { term: 1, index: 1, type: "conf" as const, data: encodeConfEntry({ change: null, conf: { voters: [1, 2, 3], learners: [], removed: [] } }) };
    const c = new RaftCore({
      id: 2,
      seed: 1,
      initial: { hardState: { term: 1, vote: 0, commit: 1 }, snapshot: null, entries: [boot, { term: 3, index: 2, type: "noop", data: new Uint8Array(0) }] },
    });
    expect([c.term, c.status().vote, c.lastIndex]).toEqual([3, 0, 2]);
    expect(c.ready().hardState).toEqual({ term: 3, vote: 0, commit: 1 }); // written again at once
    const meta = { index: 5, term: 4, conf: { voters: [1, 2, 3], learners: [], removed: [] } };
    const s = new RaftCore({ id: 2, seed: 1, initial: { hardState: { term: 2, vote: 3, commit: 1 }, snapshot: { meta, data: new Uint8Array(0) }, entries: [] } });
    expect([s.term, s.status().vote, s.committedIndex]).toEqual([4, 0, 5]);
  });
});

describe("plain data", () => {
  test("messages survive a msgpack round trip unchanged", () => {
    const h = new Harness();
    const script = ["add-nodes 3 voters=(1,2,3) snapshot-entries=2 chunk-bytes=3", "campaign 1", "stabilize", "partition 1 2 / 3", "propose 1 a=1 b=2", "stabilize", "compact 1", "heal", "tick-heartbeat 1"];
    for (const line of script) h.run(parseCommand(line));
    const c = h.core(1);
    // Capture every message the leader emits from here on.
    const seen: Message[] = [];
    const grab = (): void => {
      const rd = c.ready();
      seen.push(...rd.messages, ...rd.messagesAfterPersist);
    };
    c.tick();
    grab();
    const resp = seen.find((m) => m.type === "MsgHeartbeat" && m.to === 3);
    expect(resp).toBeDefined();
    c.step({ ...(resp as Message), type: "MsgAppResp", from: 3, to: 1, reject: true, index: 5, rejectHint: 2, logTerm: 2 });
    grab();
    expect(seen.some((m) => m.type === "MsgSnap")).toBe(true);
    for (const m of seen) expect(decode(encode(m))).toEqual(m);
  });

  test("conf entries encode the change and the whole configuration", () => {
    const e = { change: { type: "addLearner" as const, nodeId: 4294967295, context: new Uint8Array([1, 2, 3]) }, conf: { voters: [1, 2], learners: [4294967295], removed: [3] } };
    expect(decodeConfEntry(encodeConfEntry(e))).toEqual(e);
    const boot = { change: null, conf: { voters: [1], learners: [], removed: [] } };
    expect(decodeConfEntry(encodeConfEntry(boot))).toEqual(boot);
    const bad = encodeConfEntry(e);
    expect(() => decodeConfEntry(bad.subarray(0, bad.length - 1))).toThrow(AssertionError);
  });
});

describe("pieces", () => {
  test("quorum value and vote results", () => {
    expect(quorumValue([1, 2, 3], (id) => [0, 5, 5, 3][id])).toBe(5);
    expect(quorumValue([1, 2, 3], (id) => [0, 7, 4, 2][id])).toBe(4);
    expect(quorumValue([1, 2, 3, 4], (id) => [0, 9, 8, 1, 1][id])).toBe(1);
    expect(voteResult([1, 2, 3], new Map([[1, true]]))).toBe("pending");
    expect(voteResult([1, 2, 3], new Map([[1, true], [2, true]]))).toBe("won");
    expect(voteResult([1, 2, 3], new Map([[1, true], [2, false], [3, false]]))).toBe("lost");
    expect(voteResult([1, 2, 3, 4], new Map([[1, true], [2, true], [3, false]]))).toBe("pending");
  });

  test("inflights limit by count and bytes, free by acknowledged index", () => {
    const f = new Inflights(3, 100);
    f.add(5, 10);
    f.add(7, 10);
    expect(f.full()).toBe(false);
    f.add(9, 10);
    expect(f.full()).toBe(true);
    f.freeLE(7);
    expect([f.count, f.bytes]).toEqual([1, 10]);
    f.add(10, 95);
    expect(f.full()).toBe(true); // 105 bytes
    expect(() => f.add(11, 1)).toThrow(AssertionError);
  });
});
