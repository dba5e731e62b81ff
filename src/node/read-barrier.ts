// Linearizable reads through ReadIndex (Raft thesis §6.4, DESIGN §3). Reads that arrive in the
// same event-loop turn share one read request: the leader confirms with one heartbeat round that
// it still leads and returns its commit index; once the state machine has applied that far, the
// reads run locally, in arrival order.

import type { Invocation } from "../engine/engine.ts";
import type { Client } from "../server/client.ts";
import { assert } from "../util/assert.ts";

/** One read waiting for its barrier: a command, or a read-only MULTI/EXEC. */
export interface WaitingRead {
  readonly client: Client;
  readonly cmds: readonly Invocation[];
  readonly multi: boolean;
}

export interface ReadBatch {
  readonly id: number;
  readonly reads: WaitingRead[];
  readonly deadlineMs: number;
  /** The confirmed read index; null until the leader answered. */
  index: number | null;
}

export class ReadBarrier {
  #nextId = 1;
  /** Collecting this turn's reads; sent at the end of the turn. */
  #open: ReadBatch | null = null;
  /** Sent, waiting for the leader's answer. */
  readonly #asked = new Map<number, ReadBatch>();
  /** Confirmed, waiting for the state machine to apply their index (ascending). */
  readonly #confirmed: ReadBatch[] = [];

  get waiting(): number {
    return this.#asked.size + this.#confirmed.length + (this.#open === null ? 0 : 1);
  }

  /**
   * Adds a read to this turn's batch. Returns the batch when it is new: the caller sends its
   * read request once the turn's reads are in.
   */
  add(read: WaitingRead, deadlineMs: number): ReadBatch | null {
    if (this.#open !== null) {
      this.#open.reads.push(read);
      return null;
    }
    this.#open = { id: this.#nextId++, reads: [read], deadlineMs, index: null };
    return this.#open;
  }

  /** The open batch's request was sent. */
  sent(batch: ReadBatch): void {
    assert(this.#open === batch, "the open batch is the one sent");
    this.#open = null;
    this.#asked.set(batch.id, batch);
  }

  /** The leader confirmed batch `id` at `index`; returns false for an unknown (stale) id. */
  confirm(id: number, index: number): boolean {
    const batch = this.#asked.get(id);
    if (batch === undefined) return false;
    this.#asked.delete(id);
    batch.index = index;
    let at = this.#confirmed.length;
    while (at > 0 && (this.#confirmed[at - 1].index as number) > index) at--;
    this.#confirmed.splice(at, 0, batch);
    return true;
  }

  /** A batch the leader refused; undefined for an unknown id. */
  refuse(id: number): ReadBatch | undefined {
    const batch = this.#asked.get(id);
    this.#asked.delete(id);
    return batch;
  }

  /** Confirmed batches whose index is applied, in order. */
  takeRunnable(appliedIndex: number): ReadBatch[] {
    let n = 0;
    while (n < this.#confirmed.length && (this.#confirmed[n].index as number) <= appliedIndex) n++;
    return this.#confirmed.splice(0, n);
  }

  /** Batches still waiting for the leader (not yet confirmed): on losing leadership, or past deadline. */
  takeUnconfirmed(filter: (b: ReadBatch) => boolean): ReadBatch[] {
    const out: ReadBatch[] = [];
    for (const [id, b] of this.#asked) {
      if (!filter(b)) continue;
      this.#asked.delete(id);
      out.push(b);
    }
    return out;
  }
}
