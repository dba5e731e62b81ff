// Writes this node proposed whose outcome is not known yet. DESIGN §2's outcome rules live here:
// a write is answered from its own apply; if another entry commits at its index it certainly
// did not happen (-TRYAGAIN); if nothing is known after a bound, -TIMEOUT (indeterminate).
// Also what WATCH needs on a cluster: the keys of writes proposed but not applied yet.

import { keyIndexes, type CommandSpec } from "../commands/types.ts";
import type { Client } from "../server/client.ts";
import { assert } from "../util/assert.ts";

export interface PendingWrite {
  readonly requestId: number;
  /** The waiting client; null for the node's own proposals (active expiry, meta). */
  readonly client: Client | null;
  /** Log index and term the leader gave it (0 until ACCEPTED). */
  index: number;
  term: number;
  readonly deadlineMs: number;
  /** Keys it writes (WATCH conflicts); "*" for commands that touch every key (FLUSHALL). */
  readonly keys: readonly string[];
}

export class PendingWrites {
  readonly #byRequest = new Map<number, PendingWrite>();
  readonly #byIndex = new Map<number, number>();
  /** How many pending writes touch each key. */
  readonly #keyCounts = new Map<string, number>();

  get size(): number {
    return this.#byRequest.size;
  }

  add(w: PendingWrite): void {
    assert(!this.#byRequest.has(w.requestId), "request ids are unique");
    this.#byRequest.set(w.requestId, w);
    for (const k of w.keys) this.#keyCounts.set(k, (this.#keyCounts.get(k) ?? 0) + 1);
  }

  get(requestId: number): PendingWrite | undefined {
    return this.#byRequest.get(requestId);
  }

  /** The leader accepted the request at (index, term). */
  accepted(requestId: number, index: number, term: number): void {
    const w = this.#byRequest.get(requestId);
    if (w === undefined) return; // already answered (timed out)
    w.index = index;
    w.term = term;
    this.#byIndex.set(index, requestId);
  }

  /** The request this node proposed at `index`, if it is still pending. */
  atIndex(index: number): PendingWrite | undefined {
    const id = this.#byIndex.get(index);
    return id === undefined ? undefined : this.#byRequest.get(id);
  }

  /** Forgets a write once answered. */
  remove(w: PendingWrite): void {
    if (!this.#byRequest.delete(w.requestId)) return;
    if (w.index > 0 && this.#byIndex.get(w.index) === w.requestId) this.#byIndex.delete(w.index);
    for (const k of w.keys) {
      const n = (this.#keyCounts.get(k) ?? 0) - 1;
      if (n <= 0) this.#keyCounts.delete(k);
      else this.#keyCounts.set(k, n);
    }
  }

  /** Pending writes accepted at an index ≤ `index` (e.g. covered by a snapshot). */
  acceptedUpTo(index: number): PendingWrite[] {
    const out: PendingWrite[] = [];
    for (const w of this.#byRequest.values()) if (w.index > 0 && w.index <= index) out.push(w);
    return out;
  }

  /** Pending writes past their deadline, oldest first. */
  expired(nowMs: number): PendingWrite[] {
    const out: PendingWrite[] = [];
    for (const w of this.#byRequest.values()) if (w.deadlineMs <= nowMs) out.push(w);
    return out.sort((a, b) => a.requestId - b.requestId);
  }

  all(): PendingWrite[] {
    return [...this.#byRequest.values()];
  }

  /** A pending write touches one of `keys` (or every key). */
  touchesAny(keys: Iterable<string>): boolean {
    if (this.#keyCounts.has("*")) return true;
    for (const k of keys) if (this.#keyCounts.has(k)) return true;
    return false;
  }
}

/** Commands that change keys not named in their arguments. */
const touchesEverything = new Set(["flushall", "flushdb"]);

/** The keys a list of commands writes, for PendingWrite.keys. */
export function writtenKeys(cmds: readonly { spec: CommandSpec; argv: readonly string[] }[]): string[] {
  const keys: string[] = [];
  for (const { spec, argv } of cmds) {
    if (touchesEverything.has(spec.name)) return ["*"];
    for (const i of keyIndexes(spec, argv)) keys.push(argv[i]);
  }
  return keys;
}
