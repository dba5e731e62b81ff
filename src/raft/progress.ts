// What a leader knows about one follower's log, and how it may send to it (etcd's tracker).
//   probe:     one MsgApp at a time, to find where the logs match (after a rejection or a restart);
//   replicate: pipelined MsgApp, limited by Inflights, next advanced optimistically;
//   snapshot:  the follower needs entries the leader compacted: MsgSnap chunks are in flight.

import { assert } from "../util/assert.ts";
import { Inflights } from "./inflights.ts";
import type { ProgressState } from "./types.ts";

export class Progress {
  /** Highest index known to be durable on the follower; never decreases within a term. */
  match = 0;
  /** Next index to send; match < next. */
  next: number;
  state: ProgressState = "probe";
  isLearner: boolean;
  /** Probe: an append went out; wait for its answer or the next heartbeat response. */
  probeSent = false;
  /** Heard from in the current check-quorum period. */
  recentActive = false;
  readonly inflights: Inflights;
  /** Heartbeat responses since the last append progress while messages were in flight. */
  stalledHeartbeats = 0;

  // Snapshot state: which snapshot is being sent and how far.
  pendingSnapshot = 0;
  /** Offset of the next chunk to send. */
  snapSentBytes = 0;
  /** Bytes the follower acknowledged receiving in order. */
  snapAckedBytes = 0;
  /** The last chunk was sent (tracked apart from offsets so an empty snapshot still goes out). */
  snapLastSent = false;
  /**
   * Where sending last restarted after a gap (-1: none since the last acknowledgement). Further
   * rejections naming the same offset answer chunks sent before that restart: ignored.
   */
  snapRewoundTo = -1;

  constructor(next: number, isLearner: boolean, maxInflightMsgs: number, maxInflightBytes: number) {
    assert(next >= 1, "next index starts at 1");
    this.next = next;
    this.isLearner = isLearner;
    this.inflights = new Inflights(maxInflightMsgs, maxInflightBytes);
  }

  #resetState(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.snapSentBytes = 0;
    this.snapAckedBytes = 0;
    this.snapLastSent = false;
    this.snapRewoundTo = -1;
    this.stalledHeartbeats = 0;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // After a snapshot the follower holds at least the snapshot's entries.
    const next = this.state === "snapshot" ? Math.max(this.match + 1, this.pendingSnapshot + 1) : this.match + 1;
    this.#resetState("probe");
    this.next = next;
  }

  becomeReplicate(): void {
    this.#resetState("replicate");
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.#resetState("snapshot");
    this.pendingSnapshot = snapshotIndex;
  }

  /** The follower acknowledged `index`. Returns whether match moved. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      this.probeSent = false;
      this.stalledHeartbeats = 0;
      updated = true;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /**
   * The follower rejected a MsgApp whose previous index was `rejected`; `matchHint` is where it
   * suggests probing from. Returns false for a stale rejection (nothing changes).
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === "replicate") {
      if (rejected <= this.match) return false; // stale: that index matched already
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false; // stale: not the probe in flight
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  /** Resend snapshot chunks from `offset` (the follower holds exactly that many bytes). */
  rewindSnapshot(offset: number): void {
    this.snapAckedBytes = offset;
    this.snapSentBytes = offset;
    this.snapLastSent = false;
    this.snapRewoundTo = offset;
    this.stalledHeartbeats = 0;
  }

  /** Entries up to `lastIndex` (`bytes` of them) just went out in a MsgApp. */
  sentEntries(lastIndex: number, entryCount: number, bytes: number): void {
    if (this.state === "replicate") {
      if (entryCount > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex, bytes);
      }
    } else {
      assert(this.state === "probe", "no MsgApp while sending a snapshot");
      this.probeSent = true;
    }
  }

  /** No MsgApp may go out now. */
  isPaused(): boolean {
    switch (this.state) {
      case "probe":
        return this.probeSent;
      case "replicate":
        return this.inflights.full();
      case "snapshot":
        return true;
    }
  }
}
