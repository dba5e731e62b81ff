// The Raft worker's logic (workers/raft.worker.ts is its shell): drives the pure RaftCore. It
// owns the only timer (tick), drains commands from the main thread and persist
// acknowledgements from the storage worker (sleeping on one doorbell for both), carries out
// every Ready in the order src/raft/types.ts prescribes, and hands committed entries, read
// states and role changes to the main thread.
//
// Proposals are batched: everything drained in one wake-up goes to RaftCore.propose at once.
// When the core refuses for its uncommitted-bytes limit, the rest waits here and the command
// channel is not drained, so the ring fills and the main thread stops reading clients.

import type { Doorbell } from "../ring/doorbell.ts";
import { RaftCore } from "../raft/raft.ts";
import type { ConfChange, Entry, Message, NodeId, ProposeResult, RaftConfig, Ready, Refusal, Status } from "../raft/types.ts";
import { assert } from "../util/assert.ts";
import { log } from "../util/log.ts";
import type { ChannelReceiver, ChannelSender } from "./channel.ts";
import { encodeConfState } from "./conf-state-codec.ts";
import {
  Cmd,
  encodeAccepted,
  encodePersist,
  encodeReadFailed,
  encodeReadOk,
  encodeRejected,
  encodeRole,
  entriesSize,
  Ev,
  Persisted,
  Refused,
  RoleCode,
  writeEntries,
  type RefusedCode,
} from "./thread-protocol.ts";
import { WireReader, WireWriter } from "./wire.ts";
import { decodeConfEntry } from "../raft/conf-entry.ts";
import { decodeAddress } from "./members.ts";
import { decodeEntry, EntryKind } from "./entry-codec.ts";

/** Sends Raft messages to peers (the bus); a single node has none. */
export interface PeerTransport {
  send(messages: readonly Message[]): void;
  /** Whom to dial and accept: members' bus addresses; accept anyone of the cluster while joining. */
  setPeers(peers: ReadonlyMap<NodeId, string>, acceptUnknown: boolean): void;
}

export interface DriverChannels {
  readonly commands: ChannelReceiver;
  readonly events: ChannelSender;
  readonly persist: ChannelSender;
  readonly persisted: ChannelReceiver;
  readonly doorbell: Doorbell;
}

/** What the driver needs beyond RaftConfig. */
export interface DriverTiming {
  /** Milliseconds per tick. */
  readonly tickMs: number;
}

interface PendingPersist {
  /** Sequence number of the READY sent to storage, or null when the ready persisted nothing. */
  readonly seq: number | null;
  readonly after: Message[];
  readonly point: { index: number; term: number } | null;
}

const noTransport: PeerTransport = { send: () => {}, setPeers: () => {} };

export class RaftDriver {
  readonly #ch: DriverChannels;
  #core: RaftCore | null = null;
  #transport: PeerTransport = noTransport;
  #timer: ReturnType<typeof setInterval> | null = null;
  #stopped = false;
  #readyScheduled = false;
  /** Readies whose durable part is not acknowledged yet, oldest first. */
  readonly #pendingPersist: PendingPersist[] = [];
  #persistSeq = 0;
  /** Proposals the core refused for its uncommitted limit: retried before draining more. */
  #heldRequests: number[] = [];
  #heldDatas: Uint8Array[] = [];
  #storageFailed: string | null = null;
  /** Last role reported to the main thread. */
  #reported = { leaderId: -1, role: -1, term: -1 };
  /**
   * Bus addresses of members, from the main thread's replicated member table and from conf
   * entries as they are appended: a leader dials a new learner before its entry commits.
   */
  readonly #addresses = new Map<NodeId, string>();
  /** The members the bus was last told about (voters + learners, as "id,id,..."). */
  #peersShape = "";

  constructor(channels: DriverChannels) {
    this.#ch = channels;
  }

  get core(): RaftCore | null {
    return this.#core;
  }

  /** The transport to peers (the bus); set before start(). */
  setTransport(transport: PeerTransport): void {
    this.#transport = transport;
  }

  /** Bus addresses known from the replicated member table (the main thread sends them). */
  setAddresses(addresses: readonly (readonly [NodeId, string])[]): void {
    for (const [id, addr] of addresses) this.#addresses.set(id, addr);
    this.#peersShape = "";
    this.#updatePeers();
  }

  /** Creates the core (restart, INIT or JOIN) and starts ticking. */
  start(config: RaftConfig, timing: DriverTiming): void {
    assert(this.#core === null, "the core starts once");
    this.#core = new RaftCore(config);
    for (const e of config.initial?.entries ?? []) this.#learnFromEntry(e);
    this.#updatePeers();
    this.#timer = setInterval(() => this.#tick(), timing.tickMs);
    const status = this.#core.status();
    // A cluster of one need not wait an election timeout for its own vote.
    if (status.conf.voters.length === 1 && status.conf.voters[0] === config.id) this.#core.campaign();
    this.#afterInput();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** The main loop: wake on commands or persist acknowledgements, then process them. */
  async run(): Promise<void> {
    while (!this.#stopped) {
      await this.#ch.doorbell.wait(1000);
      if (this.#stopped) return;
      this.#drainPersisted();
      this.#drainCommands();
      this.#afterInput();
    }
  }

  /** A message from a peer (the bus calls this). */
  receive(m: Message): void {
    const core = this.#core;
    if (core === null || this.#stopped) return;
    core.step(m);
    this.#scheduleReady();
  }

  // ---- control plane (comlink) ----

  status(): Status | null {
    return this.#core?.status() ?? null;
  }

  /** The bus lost its connection to a peer: let the leader probe it gently. */
  peerUnreachable(id: NodeId): void {
    if (this.#core === null || this.#stopped) return;
    this.#core.reportUnreachable(id);
    this.#scheduleReady();
  }

  storageFailure(): string | null {
    return this.#storageFailed;
  }

  transferLeader(to: NodeId): Refusal | null {
    const r = this.#need().transferLeader(to);
    this.#afterInput();
    return r.ok ? null : r;
  }

  campaign(): Refusal | null {
    const r = this.#need().campaign();
    this.#afterInput();
    return r.ok ? null : r;
  }

  proposeConfChange(change: ConfChange): ProposeResult {
    const r = this.#need().proposeConfChange(change);
    this.#afterInput();
    return r;
  }

  /** The main thread snapshotted its state at `index` (and storage saved it). */
  snapshotTaken(index: number, data: Uint8Array): void {
    this.#need().snapshotTaken(index, data);
    this.#afterInput();
  }

  #need(): RaftCore {
    assert(this.#core !== null, "the Raft core is started");
    return this.#core;
  }

  // ---- inputs ----

  #tick(): void {
    if (this.#core === null || this.#stopped) return;
    this.#core.tick();
    this.#afterInput();
  }

  #scheduleReady(): void {
    if (this.#readyScheduled) return;
    this.#readyScheduled = true;
    queueMicrotask(() => {
      this.#readyScheduled = false;
      this.#afterInput();
    });
  }

  #drainPersisted(): void {
    this.#ch.persisted.drain((message) => {
      const r = new WireReader(message);
      const kind = r.u8();
      if (kind === Persisted.failed) {
        this.#storageFailed = r.text();
        log("warning", `Storage failed; this node stops acknowledging writes: ${this.#storageFailed}`);
        this.#ch.events.sendBytes(new WireWriter(64).u8(Ev.storageFailed).text(this.#storageFailed).view());
        return;
      }
      assert(kind === Persisted.done, "persisted channel carries DONE or FAILED");
      this.#persistedUpTo(r.f64());
    });
  }

  /** Storage made every READY up to `seq` durable: release what waited on it. */
  #persistedUpTo(seq: number): void {
    const core = this.#need();
    while (this.#pendingPersist.length > 0) {
      const head = this.#pendingPersist[0];
      if (head.seq !== null && head.seq > seq) break;
      this.#pendingPersist.shift();
      if (head.after.length > 0) this.#transport.send(head.after);
      if (head.point !== null) core.onPersisted(head.point.index, head.point.term);
    }
  }

  #drainCommands(): void {
    const core = this.#core;
    if (core === null) return;
    if (this.#heldRequests.length > 0 && !this.#proposeHeld()) return;
    this.#ch.commands.drain((message) => {
      const kind = message[0];
      if (kind === Cmd.propose) {
        const requestId = new DataView(message.buffer, message.byteOffset, 9).getFloat64(1, true);
        this.#heldRequests.push(requestId);
        this.#heldDatas.push(message.slice(9));
      } else {
        assert(kind === Cmd.read, "command channel carries PROPOSE or READ");
        // Reads queue behind the proposals drained before them, as the client sent them.
        this.#proposeHeld();
        const readId = new DataView(message.buffer, message.byteOffset + 1, 8).getFloat64(0, true);
        const r = core.readIndex(message.slice(1, 9));
        if (!r.ok) this.#ch.events.sendBytes(encodeReadFailed(readId, refusedCode(r), leaderOf(r)));
      }
    });
    this.#proposeHeld();
  }

  /** Proposes held requests; returns false when the core still refuses for its limit. */
  #proposeHeld(): boolean {
    const core = this.#need();
    if (this.#heldRequests.length === 0) return true;
    const requests = this.#heldRequests;
    const datas = this.#heldDatas;
    const r = core.propose(datas);
    if (!r.ok && r.reason === "uncommittedLimit") return false;
    this.#heldRequests = [];
    this.#heldDatas = [];
    // Every proposal from the main thread has the next request id, so one event covers the batch.
    for (let i = 1; i < requests.length; i++) assert(requests[i] === requests[i - 1] + 1, "request ids are consecutive");
    if (r.ok) this.#ch.events.sendBytes(encodeAccepted(requests[0], requests.length, r.firstIndex, r.term));
    else this.#ch.events.sendBytes(encodeRejected(requests[0], requests.length, refusedCode(r), leaderOf(r)));
    return true;
  }

  // ---- readies ----

  #afterInput(): void {
    const core = this.#core;
    if (core === null || this.#stopped) return;
    while (core.hasReady()) {
      const rd = core.ready();
      this.#handle(core, rd);
      core.advance(rd);
    }
    this.#reportRole(core);
  }

  #handle(core: RaftCore, rd: Ready): void {
    let learned = rd.snapshot !== null;
    for (const e of rd.entries) learned = this.#learnFromEntry(e) || learned;
    if (learned) this.#updatePeers();
    if (rd.messages.length > 0) this.#transport.send(rd.messages);
    const persists = rd.snapshot !== null || rd.entries.length > 0 || rd.hardState !== null;
    if (persists && this.#storageFailed === null) {
      const seq = ++this.#persistSeq;
      this.#ch.persist.sendBytes(
        encodePersist({
          seq,
          hardState: rd.hardState,
          snapshot: rd.snapshot === null ? null : { index: rd.snapshot.meta.index, term: rd.snapshot.meta.term, conf: encodeConfState(rd.snapshot.meta.conf), data: rd.snapshot.data },
          entries: rd.entries,
        }),
      );
      this.#pendingPersist.push({ seq, after: rd.messagesAfterPersist, point: rd.persistPoint });
    } else if (!persists) {
      // Nothing to make durable, but what follows must not overtake earlier persists.
      if (this.#pendingPersist.length === 0) {
        if (rd.messagesAfterPersist.length > 0) this.#transport.send(rd.messagesAfterPersist);
        if (rd.persistPoint !== null) core.onPersisted(rd.persistPoint.index, rd.persistPoint.term);
      } else {
        this.#pendingPersist.push({ seq: null, after: rd.messagesAfterPersist, point: rd.persistPoint });
      }
    }
    if (rd.snapshot !== null) {
      const s = rd.snapshot;
      const w = new WireWriter(32 + s.data.length).u8(Ev.snapshot).f64(s.meta.index).f64(s.meta.term).bytes(encodeConfState(s.meta.conf)).bytes(s.data);
      this.#ch.events.sendBytes(w.view());
    }
    if (rd.committedEntries.length > 0) {
      const entries = rd.committedEntries;
      this.#ch.events.send(1 + entriesSize(entries), (view) => {
        view[0] = Ev.entries;
        writeEntries(view, 1, entries);
      });
    }
    for (const rs of rd.readStates) {
      if (rs.ctx.length !== 8) continue;
      const readId = new DataView(rs.ctx.buffer, rs.ctx.byteOffset, 8).getFloat64(0, true);
      this.#ch.events.sendBytes(encodeReadOk(readId, rs.index));
    }
    if (rd.wantSnapshot) this.#ch.events.sendBytes(new Uint8Array([Ev.wantSnapshot]));
  }

  /**
   * Addresses carried by log entries: a conf change adding a learner (its context), or a meta
   * entry with a member's addresses. Returns true when the entry may change whom to dial.
   */
  #learnFromEntry(e: Entry): boolean {
    if (e.type === "conf") {
      const entry = decodeConfEntry(e.data);
      if (entry.change !== null && entry.change.type === "addLearner") {
        const address = decodeAddress(entry.change.context);
        if (address !== null) this.#addresses.set(entry.change.nodeId, address.busAddr);
      }
      return true;
    }
    if (e.type === "normal" && e.data.length > 1 && e.data[1] === EntryKind.meta) {
      const argv = decodeEntry(e.data).commands[0];
      if (argv[0] === "addr" && argv.length === 4) {
        this.#addresses.set(Number(argv[1]), argv[3]);
        return true;
      }
    }
    return false;
  }

  /** Tells the bus whom to dial: the members (but us) whose bus address is known. */
  #updatePeers(): void {
    const core = this.#core;
    if (core === null) {
      this.#transport.setPeers(new Map(), true);
      return;
    }
    const status = core.status();
    const conf = status.conf;
    // A node that joined knows no members until the leader's log or snapshot arrives: it dials
    // every node whose address it was given (the join told it), so it can answer the leader.
    const joining = conf.voters.length === 0 && conf.learners.length === 0;
    const members = joining ? [...this.#addresses.keys()] : [...conf.voters, ...conf.learners];
    // A leader removing itself leads until its removal commits: keep talking to it meanwhile.
    if (status.leaderId !== 0 && !members.includes(status.leaderId)) members.push(status.leaderId);
    const ids = members.filter((id) => id !== status.id).sort((a, b) => a - b);
    const shape = `${ids.join(",")}|${ids.map((id) => this.#addresses.get(id) ?? "").join(",")}`;
    if (shape === this.#peersShape) return;
    this.#peersShape = shape;
    const peers = new Map<NodeId, string>();
    for (const id of ids) {
      const addr = this.#addresses.get(id);
      if (addr !== undefined) peers.set(id, addr);
    }
    this.#transport.setPeers(peers, joining);
  }

  #reportRole(core: RaftCore): void {
    const role = RoleCode[core.role];
    const last = this.#reported;
    if (last.leaderId === core.leaderId && last.role === role && last.term === core.term) return;
    if (last.leaderId !== core.leaderId) this.#updatePeers();
    this.#reported = { leaderId: core.leaderId, role, term: core.term };
    this.#ch.events.sendBytes(encodeRole(core.leaderId, role, core.term));
  }
}

function refusedCode(r: Refusal): RefusedCode {
  switch (r.reason) {
    case "notLeader":
    case "notVoter":
      return Refused.notLeader;
    case "transferInProgress":
      return Refused.transfer;
    case "uncommittedLimit":
    case "readQueueFull":
      return Refused.busy;
    default:
      return Refused.other;
  }
}

function leaderOf(r: Refusal): number {
  return r.reason === "notLeader" ? r.leaderId : 0;
}
