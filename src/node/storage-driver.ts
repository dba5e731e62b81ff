// The storage worker's logic (workers/storage.worker.ts is its shell). It drains the persist
// channel, applies every READY to storage in order, makes the whole batch durable with one flush
// (group commit: everything that arrived while the previous fsync ran goes into the next one),
// then acknowledges the last READY it covered. A storage failure is reported once and every
// later READY is refused: the node must never acknowledge what is not durable.

import type { Storage, RecoveredState, HardState as StoredHardState, StorageStats } from "../storage/types.ts";
import { assert } from "../util/assert.ts";
import { log } from "../util/log.ts";
import type { ChannelReceiver, ChannelSender } from "./channel.ts";
import { decodePersist, encodePersisted, encodePersistFailed, entryTypeCode, Persist, type PersistBatch } from "./thread-protocol.ts";

export interface NodeIdentity {
  readonly clusterId: string;
  readonly nodeId: number;
}

export class StorageDriver {
  readonly #storage: Storage;
  readonly #rx: ChannelReceiver;
  readonly #tx: ChannelSender;
  #identity: NodeIdentity | null = null;
  #failed: string | null = null;
  #running = false;
  #stopped = false;
  /** Hard state last queued, so an identity change keeps term and vote. */
  #term = 0;
  #vote = 0;

  constructor(storage: Storage, persistRx: ChannelReceiver, persistedTx: ChannelSender) {
    this.#storage = storage;
    this.#rx = persistRx;
    this.#tx = persistedTx;
  }

  /** Recovers what is on disk (once, at start). */
  open(): RecoveredState {
    const state = this.#storage.open();
    if (state.hardState !== null) {
      this.#identity = { clusterId: state.hardState.clusterId, nodeId: state.hardState.nodeId };
      this.#term = state.hardState.term;
      this.#vote = state.hardState.vote;
    }
    return state;
  }

  /** Records the node's cluster and id (RAFT.CLUSTER INIT/JOIN); durable on return. */
  setIdentity(identity: NodeIdentity): void {
    this.#identity = identity;
    this.#mustDo(() => {
      this.#storage.setHardState(this.#hardState(this.#term, this.#vote));
      this.#storage.flush();
    });
  }

  /** A snapshot the state machine took at `index`; durable on return. Compacts the log. */
  saveSnapshot(index: number, term: number, conf: Uint8Array, data: Uint8Array): void {
    this.#mustDo(() => {
      this.#storage.saveSnapshot({ lastIndex: index, lastTerm: term, config: conf }, data);
      this.#storage.compactTo(index);
    });
  }

  stats(): StorageStats & { failed: string | null } {
    return { ...this.#storage.stats(), failed: this.#failed };
  }

  /** Drains the persist channel until stop(). */
  async run(): Promise<void> {
    assert(!this.#running, "one persist loop");
    this.#running = true;
    while (!this.#stopped) {
      if (!this.#rx.hasData()) {
        const ok = await this.#rx.waitForData(1000);
        if (!ok) continue;
      }
      this.#drainOnce();
    }
  }

  stop(): void {
    this.#stopped = true;
  }

  /** Applies every READY available, flushes once, acknowledges the last. */
  #drainOnce(): void {
    let lastSeq = -1;
    this.#rx.drain((message) => {
      assert(message[0] === Persist.ready, "persist channel carries READY messages");
      const batch = decodePersist(message);
      lastSeq = batch.seq;
      if (this.#failed === null) this.#try(() => this.#apply(batch));
    });
    if (lastSeq < 0) return;
    if (this.#failed === null) this.#try(() => this.#storage.flush());
    if (this.#failed === null) this.#tx.sendBytes(encodePersisted(lastSeq));
  }

  #apply(batch: PersistBatch): void {
    if (batch.snapshot !== null) {
      const s = batch.snapshot;
      this.#storage.saveSnapshot({ lastIndex: s.index, lastTerm: s.term, config: s.conf }, s.data);
    }
    if (batch.entries.length > 0) {
      const first = batch.entries[0].index;
      if (first <= this.#storage.lastIndex) this.#storage.truncateFrom(first);
      this.#storage.append(batch.entries.map((e) => ({ index: e.index, term: e.term, type: entryTypeCode(e.type), data: e.data })));
    }
    // The core's hard state also moves with every commit, but storage does not keep the commit
    // index (it is recovered from the cluster): only a new term or vote costs a file rewrite.
    const hs = batch.hardState;
    if (hs !== null && (hs.term !== this.#term || hs.vote !== this.#vote)) {
      this.#term = hs.term;
      this.#vote = hs.vote;
      this.#storage.setHardState(this.#hardState(this.#term, this.#vote));
    }
  }

  #hardState(term: number, vote: number): StoredHardState {
    const id = this.#identity;
    assert(id !== null, "the node has an identity before it persists a hard state");
    return { term, vote, clusterId: id.clusterId, nodeId: id.nodeId };
  }

  /**
   * Runs a storage operation; returns false if it failed. The first failure is reported to the
   * Raft worker once, and every later write is refused.
   */
  #try(op: () => void): boolean {
    if (this.#failed !== null) return false;
    try {
      op();
      return true;
    } catch (e) {
      this.#failed = e instanceof Error ? e.message : String(e);
      log("warning", `Storage failed, refusing further writes: ${this.#failed}`);
      this.#tx.sendBytes(encodePersistFailed(this.#failed));
      return false;
    }
  }

  /** #try for control-plane calls: the caller gets the error. */
  #mustDo(op: () => void): void {
    if (!this.#try(op)) throw new Error(`Cannot write to storage: ${this.#failed}`);
  }
}
