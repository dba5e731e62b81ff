// ReadIndex on the leader (Raft thesis §6.4). A read notes the commit index when it arrives and
// waits for one heartbeat round *started after it arrived* to be acknowledged by a quorum: then
// no other leader can have committed anything newer. Rounds are numbered within a term; the
// heartbeats carry the latest round, so one round serves every read queued before it started,
// and a round lost in the network is retried by the next heartbeat.

import { raftReadIndexQueueMax } from "../constants.ts";
import { assert } from "../util/assert.ts";
import { quorumValue } from "./quorum.ts";
import type { NodeId } from "./types.ts";

export interface ReadRequest {
  /** Who asked: the leader itself or a follower (answered with MsgReadIndexResp). */
  from: NodeId;
  ctx: Uint8Array;
  /** The leader's commit index when the read arrived. */
  index: number;
  /** The round that must be confirmed before the read may be served. */
  round: number;
}

export class ReadOnly {
  /** Highest round started. */
  #round = 0;
  /** Highest round a quorum acknowledged. */
  #confirmed = 0;
  /** Highest round each peer acknowledged. */
  #acked = new Map<NodeId, number>();
  /** Oldest first; rounds never decrease along the queue. */
  #queue: ReadRequest[] = [];

  get round(): number {
    return this.#round;
  }

  get pending(): number {
    return this.#queue.length;
  }

  full(): boolean {
    return this.#queue.length >= raftReadIndexQueueMax;
  }

  /** Queues a read; it waits for the next round to start (maybeStartRound) and be confirmed. */
  add(from: NodeId, ctx: Uint8Array, index: number): void {
    assert(!this.full(), "read queue bounded");
    this.#queue.push({ from, ctx, index, round: this.#round + 1 });
  }

  /**
   * Starts the next round if reads wait for it and no round is in flight (so reads arriving
   * meanwhile share the next one). Returns true when the caller must broadcast heartbeats.
   */
  maybeStartRound(): boolean {
    const n = this.#queue.length;
    if (n === 0 || this.#queue[n - 1].round <= this.#round || this.#round > this.#confirmed) return false;
    this.#round++;
    return true;
  }

  /** `from` acknowledged a heartbeat of round `round`. */
  ack(from: NodeId, round: number): void {
    if (round > (this.#acked.get(from) ?? 0)) this.#acked.set(from, round);
  }

  /**
   * Reads whose round a quorum of `voters` confirmed, oldest first (the leader counts as having
   * acknowledged every round it started, when it is a voter).
   */
  release(self: NodeId, voters: readonly NodeId[]): ReadRequest[] {
    if (this.#queue.length === 0 || voters.length === 0) return [];
    const confirmed = quorumValue(voters, (id) => (id === self ? this.#round : (this.#acked.get(id) ?? 0)));
    this.#confirmed = Math.max(this.#confirmed, confirmed);
    let n = 0;
    while (n < this.#queue.length && this.#queue[n].round <= this.#confirmed) n++;
    return this.#queue.splice(0, n);
  }
}
