// Majority arithmetic over a set of voters. Single-server changes mean one configuration at a
// time, never a joint one.

import { assert } from "../util/assert.ts";
import type { NodeId } from "./types.ts";

export function quorumSize(voterCount: number): number {
  assert(voterCount >= 1, "a quorum needs voters");
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The highest value a majority of voters has reached: with matches [5, 5, 3] → 5, [7, 4, 2] → 4.
 * Used for the commit index (value = durable match) and for ReadIndex rounds (value = round acked).
 */
export function quorumValue(voters: readonly NodeId[], valueOf: (id: NodeId) => number): number {
  const values = voters.map(valueOf).sort((a, b) => b - a);
  return values[quorumSize(voters.length) - 1];
}

export type VoteResult = "pending" | "won" | "lost";

export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const q = quorumSize(voters.length);
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === true) granted++;
    else if (v === false) rejected++;
  }
  if (granted >= q) return "won";
  if (rejected > voters.length - q) return "lost";
  return "pending";
}
