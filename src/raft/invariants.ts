// Raft's safety properties checked across a cluster of RaftCores, after every step of a scenario
// or a simulation (Raft paper, Figure 3):
//   - election safety: at most one leader per term;
//   - log matching: two logs with an entry of the same index and term are identical up to it;
//   - leader completeness: an entry committed in a term is in the log of every later leader;
//   - state machine safety: no two nodes commit (or apply) different entries at one index;
//   - per node: applied <= committed <= last index, and commit and applied never decrease.
// The checker remembers what it saw (leaders by term, every committed entry), so it also catches
// violations spread over time, such as a committed entry overwritten after its node crashed.

import { bytesEqual } from "./message.ts";
import type { RaftCore } from "./raft.ts";
import type { Entry, NodeId } from "./types.ts";

interface CommittedEntry {
  term: number;
  type: Entry["type"];
  data: Uint8Array;
  /** The term of the node that first saw it committed: committed in this term or earlier. */
  seenInTerm: number;
  seenBy: NodeId;
  /** How seenBy knew it: its commit index covered it, or its state machine applied it. */
  how: "committed" | "applied";
}

interface NodeHistory {
  commit: number;
  applied: number;
  /** Committed entries up to here were compared with #committed. */
  checkedCommit: number;
}

export class SafetyChecker {
  readonly #leaders = new Map<number, NodeId>();
  readonly #committed = new Map<number, CommittedEntry>();
  readonly #history = new Map<NodeId, NodeHistory>();
  /** Leaders (as `id:term`) already checked for completeness. */
  readonly #leadersChecked = new Set<string>();

  /** The node restarted from disk: its commit and applied may legitimately start lower. */
  restarted(id: NodeId): void {
    this.#history.delete(id);
  }

  /** Checks every node and every pair; returns the violations found (empty when all is well). */
  check(nodes: readonly RaftCore[]): string[] {
    const out: string[] = [];
    for (const n of nodes) this.#checkNode(n, out);
    for (let i = 0; i < nodes.length; i++) {
      for (let j = i + 1; j < nodes.length; j++) this.#checkLogMatching(nodes[i], nodes[j], out);
    }
    return out;
  }

  /** The state machine of `id` applied these entries: they must be the committed ones. */
  observeApplied(id: NodeId, entries: readonly Entry[]): string[] {
    const out: string[] = [];
    for (const e of entries) {
      const known = this.#committed.get(e.index);
      if (known === undefined) {
        this.#committed.set(e.index, { term: e.term, type: e.type, data: e.data, seenInTerm: Infinity, seenBy: id, how: "applied" });
      } else if (!sameEntry(known, e)) {
        out.push(`state machine safety: node ${id} applied ${e.term}/${e.index} but node ${known.seenBy} ${known.how} ${known.term}/${e.index}`);
      }
    }
    return out;
  }

  #checkNode(n: RaftCore, out: string[]): void {
    const id = n.id;
    const commit = n.committedIndex;
    const applied = n.appliedIndex;
    const last = n.lastIndex;
    if (applied > commit) out.push(`node ${id}: applied ${applied} > commit ${commit}`);
    if (commit > last) out.push(`node ${id}: commit ${commit} > last index ${last}`);
    const h = this.#history.get(id) ?? { commit: 0, applied: 0, checkedCommit: 0 };
    if (commit < h.commit) out.push(`node ${id}: commit went back from ${h.commit} to ${commit}`);
    if (applied < h.applied) out.push(`node ${id}: applied went back from ${h.applied} to ${applied}`);

    if (n.role === "leader") {
      const other = this.#leaders.get(n.term);
      if (other === undefined) this.#leaders.set(n.term, id);
      else if (other !== id) out.push(`election safety: term ${n.term} has two leaders, ${other} and ${id}`);
      const key = `${id}:${n.term}`;
      if (!this.#leadersChecked.has(key)) {
        this.#leadersChecked.add(key);
        this.#checkLeaderCompleteness(n, out);
      }
    }

    // Newly committed entries must agree with what anyone else committed at their index.
    const first = n.firstIndex;
    const snapIndex = first - 1;
    if (snapIndex > h.checkedCommit && snapIndex > 0) {
      const known = this.#committed.get(snapIndex);
      const t = n.termAt(snapIndex);
      if (known !== undefined && t !== known.term) {
        out.push(`state machine safety: node ${id} has snapshot at ${t}/${snapIndex} but node ${known.seenBy} ${known.how} ${known.term}/${snapIndex}`);
      }
    }
    const from = Math.max(h.checkedCommit + 1, first);
    if (from <= commit && commit <= last) {
      for (const e of n.logEntries(from, commit + 1)) {
        const known = this.#committed.get(e.index);
        if (known === undefined) {
          this.#committed.set(e.index, { term: e.term, type: e.type, data: e.data, seenInTerm: n.term, seenBy: id, how: "committed" });
        } else if (!sameEntry(known, e)) {
          out.push(`state machine safety: node ${id} committed ${e.term}/${e.index} but node ${known.seenBy} ${known.how} ${known.term}/${e.index}`);
        }
      }
    }
    this.#history.set(id, { commit: Math.max(commit, h.commit), applied: Math.max(applied, h.applied), checkedCommit: Math.max(commit, h.checkedCommit) });
  }

  #checkLeaderCompleteness(n: RaftCore, out: string[]): void {
    const first = n.firstIndex;
    for (const [index, c] of this.#committed) {
      if (c.seenInTerm >= n.term || index < first - 1) continue;
      const t = n.termAt(index);
      if (t !== c.term) {
        const has = t === undefined ? "nothing" : `${t}/${index}`;
        out.push(`leader completeness: leader ${n.id} of term ${n.term} has ${has} where ${c.term}/${index} was committed`);
      }
    }
  }

  #checkLogMatching(a: RaftCore, b: RaftCore, out: string[]): void {
    // Committed prefixes are compared through #committed; only the rest needs a pairwise look.
    const lo = Math.max(a.firstIndex, b.firstIndex, Math.min(a.committedIndex, b.committedIndex) + 1);
    const hi = Math.min(a.lastIndex, b.lastIndex);
    if (lo > hi) return;
    const ea = a.logEntries(lo, hi + 1);
    const eb = b.logEntries(lo, hi + 1);
    let top = -1;
    for (let i = ea.length - 1; i >= 0; i--) {
      if (ea[i].term === eb[i].term) {
        top = i;
        break;
      }
    }
    for (let i = 0; i <= top; i++) {
      if (!sameEntry(ea[i], eb[i])) {
        out.push(
          `log matching: nodes ${a.id} and ${b.id} both have ${ea[top].term}/${ea[top].index} but differ at ${ea[i].index} (${ea[i].term} vs ${eb[i].term})`,
        );
        return;
      }
    }
  }
}

function sameEntry(a: { term: number; type: Entry["type"]; data: Uint8Array }, b: Entry): boolean {
  return a.term === b.term && a.type === b.type && bytesEqual(a.data, b.data);
}
