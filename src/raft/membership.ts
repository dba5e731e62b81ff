// Who votes, who only listens, and who may never come back. Immutable: a change makes a new
// Membership, so a conf entry's configuration can be kept and compared as a value.

import { raftNodeIdMax } from "../constants.ts";
import type { ConfChange, ConfState, NodeId } from "./types.ts";

export class Membership {
  static readonly empty = new Membership([], [], []);

  readonly voters: ReadonlySet<NodeId>;
  readonly learners: ReadonlySet<NodeId>;
  /** Every id ever removed: never admitted again, their messages are dropped. */
  readonly removed: ReadonlySet<NodeId>;

  /** Sorted once: the core asks for these on every acknowledgement. */
  readonly #voterIds: NodeId[];
  readonly #members: NodeId[];

  private constructor(voters: Iterable<NodeId>, learners: Iterable<NodeId>, removed: Iterable<NodeId>) {
    this.voters = new Set(voters);
    this.learners = new Set(learners);
    this.removed = new Set(removed);
    this.#voterIds = sorted(this.voters);
    this.#members = sorted([...this.voters, ...this.learners]);
  }

  static from(cs: ConfState): Membership {
    return new Membership(cs.voters, cs.learners, cs.removed);
  }

  toConfState(): ConfState {
    return { voters: sorted(this.voters), learners: sorted(this.learners), removed: sorted(this.removed) };
  }

  isVoter(id: NodeId): boolean {
    return this.voters.has(id);
  }

  isLearner(id: NodeId): boolean {
    return this.learners.has(id);
  }

  isMember(id: NodeId): boolean {
    return this.voters.has(id) || this.learners.has(id);
  }

  wasRemoved(id: NodeId): boolean {
    return this.removed.has(id);
  }

  /** Voters and learners, sorted, so that every loop over peers is deterministic. */
  members(): readonly NodeId[] {
    return this.#members;
  }

  voterIds(): readonly NodeId[] {
    return this.#voterIds;
  }

  /** Why `change` cannot apply to this membership, or null if it can. */
  refusal(change: ConfChange): string | null {
    const id = change.nodeId;
    if (!Number.isInteger(id) || id < 1 || id > raftNodeIdMax) return `invalid node id ${id}`;
    switch (change.type) {
      case "addLearner":
        if (this.removed.has(id)) return `node id ${id} was removed and cannot be reused`;
        if (this.isMember(id)) return `node ${id} is already a member`;
        return null;
      case "promote":
        if (!this.learners.has(id)) return `node ${id} is not a learner`;
        return null;
      case "remove":
        if (!this.isMember(id)) return `node ${id} is not a member`;
        if (this.voters.has(id) && this.voters.size === 1) return `node ${id} is the last voter`;
        return null;
    }
  }

  apply(change: ConfChange): Membership {
    const voters = new Set(this.voters);
    const learners = new Set(this.learners);
    const removed = new Set(this.removed);
    switch (change.type) {
      case "addLearner":
        learners.add(change.nodeId);
        break;
      case "promote":
        learners.delete(change.nodeId);
        voters.add(change.nodeId);
        break;
      case "remove":
        voters.delete(change.nodeId);
        learners.delete(change.nodeId);
        removed.add(change.nodeId);
        break;
    }
    return new Membership(voters, learners, removed);
  }

  equals(other: Membership): boolean {
    return sameSet(this.voters, other.voters) && sameSet(this.learners, other.learners) && sameSet(this.removed, other.removed);
  }
}

function sorted(ids: Iterable<NodeId>): NodeId[] {
  return [...ids].sort((a, b) => a - b);
}

function sameSet(a: ReadonlySet<NodeId>, b: ReadonlySet<NodeId>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}
