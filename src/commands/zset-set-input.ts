// Plain sets as inputs of ZUNION/ZINTER/ZDIFF (every member scores 1): the one place the
// sorted-set commands read the set type.

import type { Value } from "../engine/value.ts";
import { assert } from "../util/assert.ts";

export interface SetMembers {
  readonly size: number;
  has(member: string): boolean;
  members(): Iterable<string>;
}

/** The members of a value that is a set (the caller checked the type). */
export function setMembersOf(value: Value): SetMembers {
  assert(typeof value !== "string" && value.type === "set", "set input is a set");
  // Waiting for the set type's real structure (being written in parallel).
  return { size: value.size, has: () => false, members: () => [] };
}
