// RaftCore: a pure, deterministic Raft state machine in the style of etcd-io/raft. One way in
// (tick, step and the request methods), one way out (ready, then advance). No I/O, no clock, no
// Math.random: time is tick(), randomness a seeded Rng, durability is reported by the shell
// through onPersisted(). See types.ts for the data and Ready for the shell's duties.
//
// Beyond the Raft paper: pre-vote and check-quorum (thesis §9.6), a leader that persists its own
// entries in parallel with replication (it counts itself only once they are durable), pipelined
// appends with flow control and fast back-off, ReadIndex (§6.4), leadership transfer (§3.10),
// learners and single-server membership changes that take effect when appended (§4.1), and
// chunked snapshots.

import {
  raftAppendMsgBytesMaxDefault,
  raftApplyBatchBytesMax,
  raftElectionTicksDefault,
  raftHeartbeatTicksDefault,
  raftInflightBytesMaxDefault,
  raftInflightMsgsMaxDefault,
  raftNodeIdMax,
  raftPromoteLagEntriesMax,
  raftReadIndexQueueMax,
  raftSnapshotChunkBytesDefault,
  raftSnapshotChunksInflightMax,
  raftSnapshotThresholdBytesDefault,
  raftSnapshotThresholdEntriesDefault,
  raftStallHeartbeatsMax,
  raftUncommittedBytesMaxDefault,
} from "../constants.ts";
import { Rng } from "../engine/rng.ts";
import { assert } from "../util/assert.ts";
import { concatBytes } from "../util/bytes.ts";
import { decodeConfEntry, encodeConfEntry } from "./conf-entry.ts";
import { entryBytes, RaftLog } from "./log.ts";
import { Membership } from "./membership.ts";
import { bytesEqual, emptyBytes, mustFollowPersist, newMessage } from "./message.ts";
import { Progress } from "./progress.ts";
import { quorumSize, quorumValue, voteResult, type VoteResult } from "./quorum.ts";
import { ReadOnly } from "./read-only.ts";
import {
  campaignTransferContext,
  noNode,
  type ConfChange,
  type Done,
  type Entry,
  type EntryType,
  type HardState,
  type Message,
  type MessageType,
  type NodeId,
  type PlantedBugs,
  type ProposeResult,
  type RaftConfig,
  type ReadState,
  type Ready,
  type Refusal,
  type Role,
  type Snapshot,
  type SnapshotMeta,
  type SoftState,
  type Status,
} from "./types.ts";

type CampaignKind = "preElection" | "election" | "transfer";

interface SnapshotAssembly {
  /** Chunks are only ever combined from one sender's copy of one snapshot. */
  from: NodeId;
  meta: SnapshotMeta;
  totalBytes: number;
  received: number;
  parts: Uint8Array[];
}

const ok: { ok: true } = { ok: true };

export class RaftCore {
  readonly id: NodeId;

  // ---- configuration (fixed) ----
  readonly #electionTicks: number;
  readonly #heartbeatTicks: number;
  readonly #preVote: boolean;
  readonly #checkQuorum: boolean;
  readonly #maxInflightMsgs: number;
  readonly #maxInflightBytes: number;
  readonly #maxSizePerMsgBytes: number;
  readonly #maxUncommittedBytes: number;
  readonly #snapshotThresholdEntries: number;
  readonly #snapshotThresholdBytes: number;
  readonly #snapshotChunkBytes: number;
  readonly #autoPromote: boolean;
  readonly #bugs: Required<PlantedBugs>;
  readonly #rng: Rng;

  // ---- persistent state (mirrored on disk through ready().hardState) ----
  /** Never decreases. */
  #term = 0;
  /** Whom we voted for in #term; set at most once per term. */
  #vote: NodeId = noNode;
  readonly #log: RaftLog;

  // ---- volatile state ----
  #role: Role = "follower";
  #lead: NodeId = noNode;
  /** The configuration of the newest conf entry in the log (or of the snapshot): in effect. */
  #membership: Membership = Membership.empty;
  /** The configuration at the snapshot point. */
  #snapshotMembership: Membership;
  /** Index of the newest conf entry in the log, or the snapshot index when there is none. */
  #lastConfIndex = 0;
  #electionElapsed = 0;
  #heartbeatElapsed = 0;
  /** In [electionTicks, 2*electionTicks); drawn anew at every role change. */
  #randomizedElectionTimeout = 0;
  /** Candidate and pre-candidate: the answers so far. */
  readonly #votes = new Map<NodeId, boolean>();

  // ---- leader state ----
  readonly #progress = new Map<NodeId, Progress>();
  #readOnly = new ReadOnly();
  /** Reads that arrived before an entry of this term committed. */
  #pendingReads: { from: NodeId; ctx: Uint8Array }[] = [];
  #leadTransferee: NodeId = noNode;
  /** Bytes of entries proposed in this term and not yet committed. */
  #uncommittedBytes = 0;

  // ---- snapshots ----
  /** The newest snapshot (taken here or received): sent to followers behind the compacted log. */
  #snapshot: Snapshot | null;
  /** A snapshot received from the leader and restored, not yet handed out in a ready. */
  #snapshotToHandOut: Snapshot | null = null;
  /** Chunks of a snapshot being received. */
  #snapAssembly: SnapshotAssembly | null = null;
  #wantSnapshotSignaled = false;

  // ---- output not yet handed out ----
  #msgs: Message[] = [];
  #msgsAfterPersist: Message[] = [];
  #readStates: ReadState[] = [];
  #prevSoft: SoftState = { leaderId: noNode, role: "follower" };
  #prevHard: HardState;

  constructor(config: RaftConfig) {
    assert(isNodeId(config.id), "node id is a positive 32-bit integer");
    this.id = config.id;
    this.#electionTicks = config.electionTicks ?? raftElectionTicksDefault;
    this.#heartbeatTicks = config.heartbeatTicks ?? raftHeartbeatTicksDefault;
    assert(Number.isInteger(this.#heartbeatTicks) && this.#heartbeatTicks >= 1, "heartbeatTicks >= 1");
    assert(Number.isInteger(this.#electionTicks) && this.#electionTicks > this.#heartbeatTicks, "electionTicks > heartbeatTicks");
    this.#preVote = config.preVote ?? true;
    this.#checkQuorum = config.checkQuorum ?? true;
    this.#maxInflightMsgs = config.maxInflightMsgs ?? raftInflightMsgsMaxDefault;
    this.#maxInflightBytes = config.maxInflightBytes ?? raftInflightBytesMaxDefault;
    this.#maxSizePerMsgBytes = config.maxSizePerMsgBytes ?? raftAppendMsgBytesMaxDefault;
    this.#maxUncommittedBytes = config.maxUncommittedBytes ?? raftUncommittedBytesMaxDefault;
    this.#snapshotThresholdEntries = config.snapshotThresholdEntries ?? raftSnapshotThresholdEntriesDefault;
    this.#snapshotThresholdBytes = config.snapshotThresholdBytes ?? raftSnapshotThresholdBytesDefault;
    this.#snapshotChunkBytes = config.snapshotChunkBytes ?? raftSnapshotChunkBytesDefault;
    this.#autoPromote = config.autoPromote ?? false;
    assert(this.#maxInflightMsgs >= 1, "maxInflightMsgs >= 1");
    assert(this.#maxSizePerMsgBytes >= 1, "maxSizePerMsgBytes >= 1");
    assert(this.#snapshotChunkBytes >= 1, "snapshotChunkBytes >= 1");
    this.#bugs = {
      commitOldTerm: config.bugs?.commitOldTerm ?? false,
      voteWithoutLogCheck: config.bugs?.voteWithoutLogCheck ?? false,
      readWithoutConfirm: config.bugs?.readWithoutConfirm ?? false,
      forgetPersistVote: config.bugs?.forgetPersistVote ?? false,
      applyBeforeCommit: config.bugs?.applyBeforeCommit ?? false,
    };
    this.#rng = new Rng(config.seed);

    const init = config.initial ?? { hardState: { term: 0, vote: noNode, commit: 0 }, snapshot: null, entries: [] };
    this.#log = new RaftLog(init.snapshot?.meta ?? null, init.entries, init.hardState.commit);
    this.#snapshot = init.snapshot;
    this.#snapshotMembership = init.snapshot === null ? Membership.empty : Membership.from(init.snapshot.meta.conf);
    this.#term = init.hardState.term;
    this.#vote = init.hardState.vote;
    if (this.#log.lastTerm() > this.#term) {
      // A crash tore a write after its entries (or snapshot) and before its hard state. Nothing
      // that write promised has left (its messagesAfterPersist wait for all of it), so no vote
      // of ours in a newer term was ever seen: take the entries' term, with no vote.
      this.#term = this.#log.lastTerm();
      this.#vote = noNode;
    }
    this.#prevHard = { ...init.hardState };

    const empty = init.snapshot === null && init.entries.length === 0 && init.hardState.term === 0;
    const voters = config.bootstrapVoters ?? [];
    if (empty && voters.length > 0) {
      // A brand-new cluster: every bootstrapped peer writes the same committed entry 1/1.
      for (const v of voters) assert(isNodeId(v), "bootstrap voter ids are valid");
      assert(voters.includes(this.id), "a bootstrapped node is one of the voters");
      const conf = Membership.from({ voters, learners: [], removed: [] }).toConfState();
      this.#log.append([{ term: 1, index: 1, type: "conf", data: encodeConfEntry({ change: null, conf }) }]);
      this.#term = 1;
      this.#log.commitTo(1);
    }
    this.#refreshMembership();
    this.#becomeFollower(this.#term, noNode);
  }

  // =====================================================================================
  // Inputs
  // =====================================================================================

  /** One unit of time: followers count towards an election, leaders towards a heartbeat. */
  tick(): void {
    if (this.#role === "leader") this.#tickHeartbeat();
    else this.#tickElection();
    this.#assertInvariants();
  }

  /** A message from a peer. */
  step(m: Message): void {
    assert(m.to === this.id, "message addressed to this node");
    assert(m.from !== this.id && m.from !== noNode, "message from a peer");
    // Removed ids never come back; only a removed leader still finishing its term is heard
    // (it leads until its removal commits, then hands over with MsgTimeoutNow). A removal not yet
    // committed may still be truncated away, so until then the node is heard: it may lead the
    // log that rolls the removal back (testdata/removed-uncommitted.txt).
    if (this.#membership.wasRemoved(m.from) && !(m.from === this.#lead && m.term === this.#term) && this.#removalCommitted(m.from)) return;

    if (m.term > this.#term) {
      if (m.type === "MsgVote" || m.type === "MsgPreVote") {
        const force = bytesEqual(m.context, campaignTransferContext);
        const inLease = this.#checkQuorum && this.#lead !== noNode && this.#electionElapsed < this.#electionTicks;
        // Leader lease: we heard from a live leader lately, so this candidate is disruptive.
        if (!force && inLease) return;
      }
      if (m.type === "MsgPreVote") {
        // A pre-vote never changes our term.
      } else if (m.type === "MsgPreVoteResp" && !m.reject) {
        // Granted at the term we would campaign at; we have not moved there yet.
      } else if (m.type === "MsgApp" || m.type === "MsgHeartbeat" || m.type === "MsgSnap") {
        this.#becomeFollower(m.term, m.from);
      } else {
        this.#becomeFollower(m.term, noNode);
      }
    } else if (m.term < this.#term) {
      if ((this.#checkQuorum || this.#preVote) && (m.type === "MsgHeartbeat" || m.type === "MsgApp")) {
        // A leader cut off while we moved on (its term is stale): tell it, so it steps down.
        // Without this, a node that rejoins with a higher term would never hear from anyone.
        this.#send({ type: "MsgAppResp", to: m.from });
      } else if (m.type === "MsgPreVote") {
        this.#send({ type: "MsgPreVoteResp", to: m.from, term: this.#term, reject: true });
      }
      return;
    }

    if (m.type === "MsgVote" || m.type === "MsgPreVote") {
      this.#handleVoteRequest(m);
    } else if (this.#role === "leader") {
      this.#stepLeader(m);
    } else if (this.#role === "follower") {
      this.#stepFollower(m);
    } else {
      this.#stepCandidate(m);
    }
    this.#assertInvariants();
  }

  /**
   * Appends client commands (one entry each) and starts replicating them. The entries are
   * committed once a quorum made them durable; an entry's outcome is known when the entry at
   * firstIndex+i commits with `term` (success) or with another term (it was lost).
   */
  propose(datas: Uint8Array[]): ProposeResult {
    assert(datas.length > 0, "propose at least one entry");
    if (this.#role !== "leader") return notLeader(this.#lead);
    if (this.#leadTransferee !== noNode) return { ok: false, reason: "transferInProgress", transferee: this.#leadTransferee };
    let bytes = 0;
    for (const d of datas) bytes += d.length;
    // One batch always fits when nothing is pending, however large: otherwise it never could.
    if (this.#uncommittedBytes > 0 && this.#uncommittedBytes + bytes > this.#maxUncommittedBytes) {
      return { ok: false, reason: "uncommittedLimit" };
    }
    const firstIndex = this.#appendEntries(datas.map((data) => ({ type: "normal" as const, data })));
    this.#uncommittedBytes += bytes;
    this.#bcastAppend();
    return { ok: true, firstIndex, term: this.#term };
  }

  /**
   * Proposes one membership change. It takes effect as soon as it is appended (on every node),
   * and is refused while another change is uncommitted or before this leader committed an entry
   * of its own term. `promote` is refused until the learner is within raftPromoteLagEntriesMax
   * entries of the commit index; with `autoPromote` the leader proposes promotions itself.
   */
  proposeConfChange(change: ConfChange): ProposeResult {
    if (this.#role !== "leader") return notLeader(this.#lead);
    if (this.#leadTransferee !== noNode) return { ok: false, reason: "transferInProgress", transferee: this.#leadTransferee };
    const why = this.#confChangeRefusal(change);
    if (why !== null) return { ok: false, reason: "confChangeRefused", why };
    const conf = this.#membership.apply(change).toConfState();
    const index = this.#appendEntries([{ type: "conf", data: encodeConfEntry({ change, conf }) }]);
    // A smaller quorum (a voter removed) may commit what it could not before.
    if (this.#maybeCommit()) this.#afterCommit(); // broadcasts
    else this.#bcastAppend();
    return { ok: true, firstIndex: index, term: this.#term };
  }

  /**
   * Asks for a linearizable read point. The answer is a ReadState {index, ctx} in a later
   * ready: the read may run once the state machine applied `index`. A leader confirms its
   * leadership with one heartbeat round (shared by every read queued meanwhile); a follower asks
   * the leader. Requests may be lost (leader change, dropped message): the shell times them out.
   */
  readIndex(ctx: Uint8Array): Done {
    if (this.#role === "leader") return this.#leaderRead(this.id, ctx);
    if (this.#lead === noNode) return notLeader(noNode);
    this.#send({ type: "MsgReadIndex", to: this.#lead, context: ctx });
    return ok;
  }

  /**
   * Hands leadership to `to`: proposals are refused meanwhile; once `to` has the whole log it
   * gets MsgTimeoutNow and campaigns at once. Abandoned after an election timeout.
   */
  transferLeader(to: NodeId): Done {
    if (this.#role !== "leader") return notLeader(this.#lead);
    if (to === this.id) return ok;
    if (!this.#membership.isVoter(to)) return { ok: false, reason: "transferRefused", why: `node ${to} is not a voter` };
    if (this.#leadTransferee === to) return ok;
    this.#abortLeaderTransfer();
    this.#leadTransferee = to;
    this.#electionElapsed = 0; // the transfer must finish within one election timeout
    const pr = this.#progress.get(to) as Progress;
    if (pr.match === this.#log.lastIndex()) this.#sendTimeoutNow(to);
    else this.#sendAppend(to);
    return ok;
  }

  /** Starts an election now (with a pre-vote first when enabled). */
  campaign(): Done {
    if (this.#role === "leader") return ok;
    if (!this.#promotable()) return { ok: false, reason: "notVoter" };
    this.#campaign(this.#preVote ? "preElection" : "election");
    return ok;
  }

  /**
   * Storage made everything handed out up to the entry (index, term) durable — entries, hard
   * state and snapshot (see Ready.persistPoint). Stale points (since overwritten) are ignored.
   */
  onPersisted(index: number, term: number): void {
    this.#log.stableTo(index, term);
    if (this.#role !== "leader") return this.#assertInvariants();
    const self = this.#progress.get(this.id);
    if (self !== undefined && self.maybeUpdate(this.#log.persisted)) {
      if (this.#maybeCommit()) this.#afterCommit();
    }
    this.#assertInvariants();
  }

  /**
   * The application snapshotted its state at `index` (<= applied). The log up to there is
   * dropped; the snapshot is kept to send to followers that lag behind it.
   */
  snapshotTaken(index: number, data: Uint8Array): void {
    assert(index <= this.#log.applied, "a snapshot covers applied entries only");
    this.#wantSnapshotSignaled = false;
    if (index <= this.#log.snapshotIndex) return;
    const { membership } = this.#confAt(index);
    const meta: SnapshotMeta = { index, term: this.#log.term(index) as number, conf: membership.toConfState() };
    this.#log.compact(index);
    this.#snapshotMembership = membership;
    this.#lastConfIndex = Math.max(this.#lastConfIndex, index);
    this.#snapshot = { meta, data };
    this.#assertInvariants();
  }

  /** The transport could not reach `id`: stop pipelining to it and probe. */
  reportUnreachable(id: NodeId): void {
    const pr = this.#role === "leader" ? this.#progress.get(id) : undefined;
    if (pr !== undefined && pr.state === "replicate") pr.becomeProbe();
  }

  /** The transport failed (or finished) sending a snapshot to `id` out of band. */
  reportSnapshotStatus(id: NodeId, failed: boolean): void {
    const pr = this.#role === "leader" ? this.#progress.get(id) : undefined;
    if (pr === undefined || pr.state !== "snapshot") return;
    if (failed) pr.pendingSnapshot = 0;
    pr.becomeProbe();
    pr.probeSent = true; // wait for a heartbeat response before probing
  }

  // =====================================================================================
  // Output
  // =====================================================================================

  hasReady(): boolean {
    return (
      this.#msgs.length > 0 ||
      this.#msgsAfterPersist.length > 0 ||
      this.#readStates.length > 0 ||
      this.#snapshotToHandOut !== null ||
      this.#log.hasUnstable() ||
      (this.#snapshotToHandOut === null && this.#log.hasNextCommitted(this.#bugs.applyBeforeCommit)) ||
      this.#softChanged() ||
      this.#hardChanged() ||
      this.#shouldSignalSnapshot()
    );
  }

  /** Takes everything pending (see Ready for what the shell must do with it). */
  ready(): Ready {
    const snapshot = this.#snapshotToHandOut;
    const entries = this.#log.takeUnstable();
    // A restored snapshot is applied first; the entries after it come in later readies.
    const committedEntries = snapshot !== null ? [] : this.#log.takeCommitted(raftApplyBatchBytesMax, this.#bugs.applyBeforeCommit);
    let persistPoint: Ready["persistPoint"] = null;
    if (entries.length > 0) {
      const last = entries[entries.length - 1];
      persistPoint = { index: last.index, term: last.term };
    } else if (snapshot !== null) {
      persistPoint = { index: snapshot.meta.index, term: snapshot.meta.term };
    }
    const hard = this.#hardState();
    const rd: Ready = {
      softState: this.#softChanged() ? { leaderId: this.#lead, role: this.#role } : null,
      hardState: this.#hardChanged() ? (this.#bugs.forgetPersistVote ? { ...hard, vote: noNode } : hard) : null,
      entries,
      snapshot,
      messages: this.#msgs,
      messagesAfterPersist: this.#msgsAfterPersist,
      persistPoint,
      committedEntries,
      readStates: this.#readStates,
      wantSnapshot: this.#shouldSignalSnapshot(),
    };
    if (snapshot !== null) {
      this.#log.applying = Math.max(this.#log.applying, snapshot.meta.index);
      this.#snapshotToHandOut = null;
    }
    this.#msgs = [];
    this.#msgsAfterPersist = [];
    this.#readStates = [];
    this.#prevSoft = { leaderId: this.#lead, role: this.#role };
    this.#prevHard = hard;
    if (rd.wantSnapshot) this.#wantSnapshotSignaled = true;
    return rd;
  }

  /** The shell applied `rd`'s snapshot and committed entries. */
  advance(rd: Ready): void {
    const n = rd.committedEntries.length;
    const to = Math.max(n > 0 ? rd.committedEntries[n - 1].index : 0, rd.snapshot?.meta.index ?? 0);
    if (to > 0) this.#log.appliedTo(to);
    this.#assertInvariants();
  }

  // =====================================================================================
  // Inspection (INFO, tests, the simulator's invariant checks)
  // =====================================================================================

  get role(): Role {
    return this.#role;
  }

  get term(): number {
    return this.#term;
  }

  get leaderId(): NodeId {
    return this.#lead;
  }

  get committedIndex(): number {
    return this.#log.committed;
  }

  get appliedIndex(): number {
    return this.#log.applied;
  }

  get firstIndex(): number {
    return this.#log.firstIndex();
  }

  get lastIndex(): number {
    return this.#log.lastIndex();
  }

  /** Term of the entry at `index`, or undefined when compacted or beyond the log. */
  termAt(index: number): number | undefined {
    return this.#log.term(index);
  }

  /** Entries [lo, hi) from the in-memory log (firstIndex <= lo <= hi <= lastIndex + 1). */
  logEntries(lo: number, hi: number): Entry[] {
    if (lo >= hi) return [];
    return this.#log.slice(lo, hi);
  }

  /** The newest snapshot this node holds (taken or received), or null. */
  latestSnapshot(): Snapshot | null {
    return this.#snapshot;
  }

  status(): Status {
    const progress = [...this.#progress.entries()]
      .sort(([a], [b]) => a - b)
      .map(([id, pr]) => ({
        id,
        match: pr.match,
        next: pr.next,
        state: pr.state,
        isLearner: pr.isLearner,
        inflight: pr.inflights.count,
        recentActive: pr.recentActive,
        pendingSnapshot: pr.pendingSnapshot,
        snapshotAckedBytes: pr.snapAckedBytes,
      }));
    return {
      id: this.id,
      term: this.#term,
      vote: this.#vote,
      role: this.#role,
      leaderId: this.#lead,
      commit: this.#log.committed,
      applied: this.#log.applied,
      persisted: this.#log.persisted,
      firstIndex: this.#log.firstIndex(),
      lastIndex: this.#log.lastIndex(),
      lastTerm: this.#log.lastTerm(),
      snapshotIndex: this.#log.snapshotIndex,
      snapshotTerm: this.#log.snapshotTerm,
      conf: this.#membership.toConfState(),
      committedInTerm: this.#role === "leader" && this.#committedInTerm(),
      leadTransferee: this.#leadTransferee,
      uncommittedBytes: this.#uncommittedBytes,
      electionElapsed: this.#electionElapsed,
      randomizedElectionTimeout: this.#randomizedElectionTimeout,
      progress,
    };
  }

  // =====================================================================================
  // Roles
  // =====================================================================================

  #reset(term: number): void {
    if (this.#term !== term) {
      assert(term > this.#term, "terms never decrease");
      this.#term = term;
      this.#vote = noNode;
    }
    this.#lead = noNode;
    this.#electionElapsed = 0;
    this.#heartbeatElapsed = 0;
    this.#randomizedElectionTimeout = this.#electionTicks + this.#rng.nextInt(this.#electionTicks);
    this.#abortLeaderTransfer();
    this.#votes.clear();
    this.#progress.clear();
    this.#readOnly = new ReadOnly();
    this.#pendingReads = [];
    this.#uncommittedBytes = 0;
  }

  #becomeFollower(term: number, lead: NodeId): void {
    this.#reset(term);
    this.#lead = lead;
    this.#role = "follower";
  }

  #becomePreCandidate(): void {
    assert(this.#role !== "leader", "a leader does not pre-campaign");
    // Neither term nor vote change: a pre-vote that fails leaves no trace.
    this.#votes.clear();
    this.#lead = noNode;
    this.#role = "preCandidate";
  }

  #becomeCandidate(): void {
    assert(this.#role !== "leader", "a leader does not campaign");
    this.#reset(this.#term + 1);
    this.#vote = this.id;
    this.#role = "candidate";
  }

  #becomeLeader(): void {
    assert(this.#role === "candidate", "only a candidate becomes leader");
    this.#reset(this.#term);
    this.#lead = this.id;
    this.#role = "leader";
    const next = this.#log.lastIndex() + 1;
    for (const id of this.#membership.members()) this.#progress.set(id, this.#newProgress(id, next));
    // A new leader commits the entries of earlier terms only by committing one of its own.
    this.#appendEntries([{ type: "noop", data: emptyBytes }]);
  }

  #newProgress(id: NodeId, next: number): Progress {
    const pr = new Progress(next, this.#membership.isLearner(id), this.#maxInflightMsgs, this.#maxInflightBytes);
    if (id === this.id) {
      // The leader's own log: durable up to `persisted`; it is never sent anything.
      pr.match = this.#log.persisted;
      pr.becomeReplicate();
      pr.next = this.#log.lastIndex() + 1;
      pr.recentActive = true;
    }
    return pr;
  }

  #promotable(): boolean {
    return this.#membership.isVoter(this.id);
  }

  // =====================================================================================
  // Elections
  // =====================================================================================

  #tickElection(): void {
    this.#electionElapsed++;
    if (this.#promotable() && this.#electionElapsed >= this.#randomizedElectionTimeout) {
      this.#electionElapsed = 0;
      this.#campaign(this.#preVote ? "preElection" : "election");
    }
  }

  #tickHeartbeat(): void {
    this.#heartbeatElapsed++;
    this.#electionElapsed++;
    if (this.#electionElapsed >= this.#electionTicks) {
      this.#electionElapsed = 0;
      if (this.#checkQuorum) {
        if (!this.#quorumActive()) {
          this.#becomeFollower(this.#term, noNode); // cut off from a majority: stop leading
          return;
        }
        for (const [id, pr] of this.#progress) if (id !== this.id) pr.recentActive = false;
      }
      this.#abortLeaderTransfer(); // a transfer not done within an election timeout failed
    }
    if (this.#heartbeatElapsed >= this.#heartbeatTicks) {
      this.#heartbeatElapsed = 0;
      this.#bcastHeartbeat();
    }
  }

  #quorumActive(): boolean {
    const voters = this.#membership.voterIds();
    let active = 0;
    for (const id of voters) if (id === this.id || this.#progress.get(id)?.recentActive === true) active++;
    return active >= quorumSize(voters.length);
  }

  #campaign(kind: CampaignKind): void {
    let type: MessageType;
    let voteTerm: number;
    if (kind === "preElection") {
      this.#becomePreCandidate();
      type = "MsgPreVote";
      voteTerm = this.#term + 1; // the term we would move to; ours stays
    } else {
      this.#becomeCandidate();
      type = "MsgVote";
      voteTerm = this.#term;
    }
    const respType: MessageType = type === "MsgVote" ? "MsgVoteResp" : "MsgPreVoteResp";
    // Our own vote counts at once: the MsgVote requests leave only after it is persisted.
    if (this.#poll(this.id, respType, true) === "won") {
      this.#wonElection(kind);
      return;
    }
    const context = kind === "transfer" ? campaignTransferContext : emptyBytes;
    for (const id of this.#membership.voterIds()) {
      if (id === this.id) continue;
      this.#send({ type, to: id, term: voteTerm, index: this.#log.lastIndex(), logTerm: this.#log.lastTerm(), context });
    }
  }

  #wonElection(kind: CampaignKind): void {
    if (kind === "preElection") {
      this.#campaign("election");
    } else {
      this.#becomeLeader();
      this.#bcastAppend();
    }
  }

  #poll(id: NodeId, type: MessageType, granted: boolean): VoteResult {
    assert(type === "MsgVoteResp" || type === "MsgPreVoteResp", "poll counts vote responses");
    if (!this.#votes.has(id)) this.#votes.set(id, granted);
    return voteResult(this.#membership.voterIds(), this.#votes);
  }

  #handleVoteRequest(m: Message): void {
    // We may vote for whom we already voted for (a retransmission), for anyone if we have not
    // voted and know no leader in this term, and pre-vote for any later term.
    const canVote =
      this.#vote === m.from || (this.#vote === noNode && this.#lead === noNode) || (m.type === "MsgPreVote" && m.term > this.#term);
    const upToDate = this.#bugs.voteWithoutLogCheck || this.#log.isUpToDate(m.index, m.logTerm);
    const respType: MessageType = m.type === "MsgVote" ? "MsgVoteResp" : "MsgPreVoteResp";
    if (canVote && upToDate) {
      this.#send({ type: respType, to: m.from, term: m.term });
      if (m.type === "MsgVote") {
        this.#electionElapsed = 0;
        this.#vote = m.from;
      }
    } else {
      this.#send({ type: respType, to: m.from, term: this.#term, reject: true });
    }
  }

  #stepCandidate(m: Message): void {
    const myRespType: MessageType = this.#role === "preCandidate" ? "MsgPreVoteResp" : "MsgVoteResp";
    switch (m.type) {
      case "MsgApp":
        this.#becomeFollower(m.term, m.from); // a leader of this term exists
        this.#handleAppendEntries(m);
        return;
      case "MsgHeartbeat":
        this.#becomeFollower(m.term, m.from);
        this.#handleHeartbeat(m);
        return;
      case "MsgSnap":
        this.#becomeFollower(m.term, m.from);
        this.#handleSnapshot(m);
        return;
      case "MsgVoteResp":
      case "MsgPreVoteResp": {
        if (m.type !== myRespType) return;
        const result = this.#poll(m.from, m.type, !m.reject);
        if (result === "won") this.#wonElection(this.#role === "preCandidate" ? "preElection" : "election");
        else if (result === "lost") this.#becomeFollower(this.#term, noNode);
        return;
      }
      default:
        return;
    }
  }

  #stepFollower(m: Message): void {
    switch (m.type) {
      case "MsgApp":
        this.#electionElapsed = 0;
        this.#lead = m.from;
        this.#handleAppendEntries(m);
        return;
      case "MsgHeartbeat":
        this.#electionElapsed = 0;
        this.#lead = m.from;
        this.#handleHeartbeat(m);
        return;
      case "MsgSnap":
        this.#electionElapsed = 0;
        this.#lead = m.from;
        this.#handleSnapshot(m);
        return;
      case "MsgTimeoutNow":
        // The leader hands over: campaign at once, skipping pre-vote and leases.
        if (this.#promotable()) this.#campaign("transfer");
        return;
      case "MsgReadIndexResp":
        this.#readStates.push({ index: m.index, ctx: m.context });
        return;
      default:
        return;
    }
  }

  // =====================================================================================
  // Replication: follower side
  // =====================================================================================

  #handleAppendEntries(m: Message): void {
    if (m.index < this.#log.committed) {
      this.#send({ type: "MsgAppResp", to: m.from, index: this.#log.committed });
      return;
    }
    const result = this.#log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (result !== null) {
      if (result.writtenFrom > 0) this.#afterAppend(result.writtenFrom, m.entries);
      this.#send({ type: "MsgAppResp", to: m.from, index: result.lastNew });
      return;
    }
    // Mismatch: hint where the leader should probe next, skipping a whole term at a time.
    const hint = this.#log.findConflictByTerm(Math.min(m.index, this.#log.lastIndex()), m.logTerm);
    this.#send({ type: "MsgAppResp", to: m.from, index: m.index, reject: true, rejectHint: hint.index, logTerm: hint.term });
  }

  #handleHeartbeat(m: Message): void {
    this.#log.commitTo(m.commit);
    this.#send({ type: "MsgHeartbeatResp", to: m.from, index: m.index });
  }

  #handleSnapshot(m: Message): void {
    const chunk = m.snapshot;
    assert(chunk !== null, "MsgSnap carries a chunk");
    const meta = chunk.meta;
    if (meta.index <= this.#log.committed) {
      // Old news (a duplicate, or we caught up meanwhile): tell the leader where we are.
      this.#snapAssembly = null;
      this.#send({ type: "MsgAppResp", to: m.from, index: this.#log.committed });
      return;
    }
    let a = this.#snapAssembly;
    if (a === null || a.from !== m.from || a.meta.index !== meta.index || a.meta.term !== meta.term || a.totalBytes !== chunk.totalBytes) {
      if (chunk.offset !== 0) {
        this.#sendSnapResp(m.from, meta, 0, true);
        return;
      }
      a = { from: m.from, meta, totalBytes: chunk.totalBytes, received: 0, parts: [] };
      this.#snapAssembly = a;
    }
    if (chunk.offset !== a.received) {
      // A duplicate (behind) is acknowledged again; a gap (ahead) asks to resend from here.
      this.#sendSnapResp(m.from, meta, a.received, chunk.offset > a.received);
      return;
    }
    a.parts.push(chunk.data);
    a.received += chunk.data.length;
    assert(a.received <= a.totalBytes, "snapshot chunks within the announced size");
    if (a.received < a.totalBytes) {
      this.#sendSnapResp(m.from, meta, a.received, false);
      return;
    }
    this.#snapAssembly = null;
    const restored = this.#restore({ meta, data: concatBytes(a.parts) });
    this.#send({ type: "MsgAppResp", to: m.from, index: restored ? this.#log.lastIndex() : this.#log.committed });
  }

  #sendSnapResp(to: NodeId, meta: SnapshotMeta, received: number, reject: boolean): void {
    this.#send({ type: "MsgSnapResp", to, index: meta.index, logTerm: meta.term, rejectHint: received, reject });
  }

  /** Replaces the log with a snapshot from the leader. Returns false if it was not needed. */
  #restore(snap: Snapshot): boolean {
    const meta = snap.meta;
    if (meta.index <= this.#log.committed) return false;
    assert(this.#role === "follower", "only a follower restores a snapshot");
    const conf = Membership.from(meta.conf);
    if (conf.wasRemoved(this.id)) return false; // we are out of the cluster: nothing to rejoin
    if (this.#log.matchTerm(meta.index, meta.term)) {
      // Our log already has the snapshot's last entry: just fast-forward the commit index.
      this.#log.commitTo(meta.index);
      return false;
    }
    this.#log.restore(meta);
    this.#snapshotMembership = conf;
    this.#refreshMembership();
    this.#snapshot = snap;
    this.#snapshotToHandOut = snap;
    return true;
  }

  // =====================================================================================
  // Replication: leader side
  // =====================================================================================

  #stepLeader(m: Message): void {
    if (m.type === "MsgReadIndex") {
      if (this.#membership.isMember(m.from)) this.#leaderRead(m.from, m.context);
      return;
    }
    const pr = this.#progress.get(m.from);
    if (pr === undefined) return; // not (or no longer) a member
    switch (m.type) {
      case "MsgAppResp":
        this.#handleAppendResponse(m, pr);
        return;
      case "MsgHeartbeatResp":
        this.#handleHeartbeatResponse(m, pr);
        return;
      case "MsgSnapResp":
        this.#handleSnapshotResponse(m, pr);
        return;
      default:
        return;
    }
  }

  #handleAppendResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      let nextProbe = m.rejectHint;
      if (m.logTerm > 0) nextProbe = this.#log.findConflictByTerm(m.rejectHint, m.logTerm).index;
      if (pr.maybeDecrTo(m.index, nextProbe)) {
        if (pr.state === "replicate") pr.becomeProbe();
        this.#sendAppend(m.from);
      }
      return;
    }
    const oldPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index) && !(pr.match === m.index && pr.state === "probe")) return;
    switch (pr.state) {
      case "probe":
        pr.becomeReplicate();
        break;
      case "snapshot":
        if (pr.match >= pr.pendingSnapshot) {
          pr.becomeProbe();
          pr.becomeReplicate();
        }
        break;
      case "replicate":
        pr.inflights.freeLE(m.index);
        break;
    }
    if (this.#maybeCommit()) {
      this.#afterCommit();
      if (this.#role !== "leader") return;
    } else {
      this.#sendAppend(m.from, oldPaused);
      this.#maybeAutoPromote();
    }
    if (m.from === this.#leadTransferee && pr.match === this.#log.lastIndex()) this.#sendTimeoutNow(m.from);
  }

  #handleHeartbeatResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    pr.probeSent = false;
    this.#readOnly.ack(m.from, m.index);
    this.#flushReads();
    // Appends or chunks in flight that get no answer while heartbeats do were lost: resend.
    if (pr.state === "replicate") {
      if (pr.inflights.count === 0) pr.stalledHeartbeats = 0;
      else if (++pr.stalledHeartbeats >= raftStallHeartbeatsMax) pr.becomeProbe();
    } else if (pr.state === "snapshot") {
      if (pr.snapSentBytes === pr.snapAckedBytes && !pr.snapLastSent) pr.stalledHeartbeats = 0;
      else if (++pr.stalledHeartbeats >= raftStallHeartbeatsMax) pr.rewindSnapshot(pr.snapAckedBytes);
    }
    if (pr.match < this.#log.lastIndex() || pr.state !== "replicate") this.#sendAppend(m.from);
  }

  #handleSnapshotResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (pr.state !== "snapshot" || m.index !== pr.pendingSnapshot) return; // stale
    if (m.reject) {
      if (m.rejectHint === pr.snapRewoundTo) return; // about a chunk sent before we restarted there
      pr.rewindSnapshot(m.rejectHint);
    } else if (m.rejectHint > pr.snapAckedBytes) {
      pr.snapAckedBytes = m.rejectHint;
      pr.snapRewoundTo = -1;
      pr.stalledHeartbeats = 0;
    }
    this.#sendSnapshotChunks(m.from, pr);
  }

  /** Sends `to` what flow control allows: one MsgApp (even empty, when sendIfEmpty), then more while pipelining. */
  #sendAppend(to: NodeId, sendIfEmpty = true): void {
    if (!this.#maybeSendAppend(to, sendIfEmpty)) return;
    while (this.#maybeSendAppend(to, false)) {
      // replicate state: keep the pipeline full
    }
  }

  #maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.#progress.get(to);
    assert(pr !== undefined && to !== this.id, "appends go to a tracked peer");
    if (pr.state === "snapshot") {
      this.#sendSnapshotChunks(to, pr);
      return false;
    }
    if (pr.isPaused()) return false;
    const last = this.#log.lastIndex();
    assert(pr.next <= last + 1, "next within the log");
    const prevIndex = pr.next - 1;
    const prevTerm = this.#log.term(prevIndex);
    if (prevTerm === undefined) {
      this.#startSnapshot(to, pr); // the entries it needs were compacted
      return false;
    }
    const entries = pr.next <= last ? this.#log.slice(pr.next, last + 1, this.#maxSizePerMsgBytes) : [];
    if (entries.length === 0 && !sendIfEmpty) return false;
    let bytes = 0;
    for (const e of entries) bytes += entryBytes(e);
    this.#send({ type: "MsgApp", to, index: prevIndex, logTerm: prevTerm, entries, commit: this.#log.committed });
    pr.sentEntries(prevIndex + entries.length, entries.length, bytes);
    return true;
  }

  #startSnapshot(to: NodeId, pr: Progress): void {
    if (!pr.recentActive) return; // it may be down: no snapshot until it answers something
    const snap = this.#snapshot;
    assert(snap !== null, "a compacted log has a snapshot");
    pr.becomeSnapshot(snap.meta.index);
    this.#sendSnapshotChunks(to, pr);
  }

  #sendSnapshotChunks(to: NodeId, pr: Progress): void {
    const snap = this.#snapshot;
    assert(snap !== null, "sending a snapshot we hold");
    if (pr.pendingSnapshot !== snap.meta.index) pr.becomeSnapshot(snap.meta.index); // a newer one: start over
    const total = snap.data.length;
    const window = this.#snapshotChunkBytes * raftSnapshotChunksInflightMax;
    while (!pr.snapLastSent && pr.snapSentBytes - pr.snapAckedBytes < window) {
      const offset = pr.snapSentBytes;
      const end = Math.min(total, offset + this.#snapshotChunkBytes);
      this.#send({ type: "MsgSnap", to, snapshot: { meta: snap.meta, offset, totalBytes: total, data: snap.data.subarray(offset, end) } });
      pr.snapSentBytes = end;
      pr.snapLastSent = end >= total;
    }
  }

  #bcastAppend(): void {
    for (const id of this.#peers()) this.#sendAppend(id);
  }

  #bcastHeartbeat(): void {
    const round = this.#readOnly.round;
    for (const id of this.#peers()) {
      const pr = this.#progress.get(id) as Progress;
      // Never tell a follower to commit past what it is known to hold.
      const commit = Math.min(pr.match, this.#log.committed);
      this.#send({ type: "MsgHeartbeat", to: id, commit, index: round });
    }
  }

  /** Tracked peers other than this node, sorted, so that output order is deterministic. */
  #peers(): NodeId[] {
    return [...this.#progress.keys()].filter((id) => id !== this.id).sort((a, b) => a - b);
  }

  #appendEntries(items: { type: EntryType; data: Uint8Array }[]): number {
    const first = this.#log.lastIndex() + 1;
    const entries: Entry[] = items.map((it, i) => ({ term: this.#term, index: first + i, type: it.type, data: it.data }));
    this.#log.append(entries);
    this.#afterAppend(first, entries);
    // The leader's own entries count towards commit only once durable (onPersisted).
    return first;
  }

  /** Commits what a quorum holds durably, but only through an entry of the current term. */
  #maybeCommit(): boolean {
    const voters = this.#membership.voterIds();
    if (voters.length === 0) return false;
    const index = quorumValue(voters, (id) => this.#progress.get(id)?.match ?? 0);
    if (index <= this.#log.committed) return false;
    // Raft §5.4.2 (Figure 8): replicas of an older term's entry prove nothing.
    if (!this.#bugs.commitOldTerm && this.#log.term(index) !== this.#term) return false;
    for (let i = this.#log.committed + 1; i <= index; i++) {
      const e = this.#log.entry(i);
      if (e.term === this.#term && e.type === "normal") this.#uncommittedBytes -= e.data.length;
    }
    this.#uncommittedBytes = Math.max(0, this.#uncommittedBytes);
    this.#log.commitTo(index);
    return true;
  }

  #afterCommit(): void {
    if (this.#pendingReads.length > 0 && this.#committedInTerm()) {
      const reads = this.#pendingReads;
      this.#pendingReads = [];
      for (const r of reads) this.#leaderRead(r.from, r.ctx, false);
      this.#flushReads(); // one round for all of them
    }
    this.#bcastAppend();
    if (!this.#membership.isVoter(this.id) && this.#log.committed >= this.#lastConfIndex) {
      this.#stepDownRemoved();
      return;
    }
    this.#maybeAutoPromote();
  }

  #committedInTerm(): boolean {
    return this.#log.term(this.#log.committed) === this.#term;
  }

  /**
   * Our removal committed: stop leading, and let the most up-to-date voter campaign at once
   * rather than wait for an election timeout.
   */
  #stepDownRemoved(): void {
    let best: NodeId = noNode;
    let bestMatch = -1;
    for (const id of this.#membership.voterIds()) {
      const match = this.#progress.get(id)?.match ?? 0;
      if (match > bestMatch) {
        best = id;
        bestMatch = match;
      }
    }
    if (best !== noNode) this.#sendTimeoutNow(best);
    this.#becomeFollower(this.#term, noNode);
  }

  #sendTimeoutNow(to: NodeId): void {
    this.#send({ type: "MsgTimeoutNow", to });
  }

  #abortLeaderTransfer(): void {
    this.#leadTransferee = noNode;
  }

  // =====================================================================================
  // ReadIndex
  // =====================================================================================

  #leaderRead(from: NodeId, ctx: Uint8Array, flush = true): Done {
    if (this.#readOnly.pending + this.#pendingReads.length >= raftReadIndexQueueMax) return { ok: false, reason: "readQueueFull" };
    if (!this.#committedInTerm()) {
      // Our commit index may be behind the previous leader's until an entry of ours commits.
      this.#pendingReads.push({ from, ctx });
      return ok;
    }
    if (this.#bugs.readWithoutConfirm) {
      this.#respondRead(from, this.#log.committed, ctx);
      return ok;
    }
    this.#readOnly.add(from, ctx, this.#log.committed);
    if (flush) this.#flushReads();
    return ok;
  }

  /** Starts a heartbeat round for waiting reads if none is in flight; serves the confirmed ones. */
  #flushReads(): void {
    for (;;) {
      if (this.#readOnly.maybeStartRound()) this.#bcastHeartbeat();
      const reads = this.#readOnly.release(this.id, this.#membership.voterIds());
      for (const r of reads) this.#respondRead(r.from, r.index, r.ctx);
      // A lone voter confirms its own rounds at once: keep going while that serves reads.
      if (reads.length === 0 || this.#readOnly.pending === 0) return;
    }
  }

  #respondRead(from: NodeId, index: number, ctx: Uint8Array): void {
    if (from === this.id) this.#readStates.push({ index, ctx });
    else this.#send({ type: "MsgReadIndexResp", to: from, index, context: ctx });
  }

  // =====================================================================================
  // Membership
  // =====================================================================================

  #confChangeRefusal(change: ConfChange): string | null {
    if (!this.#committedInTerm()) return "the leader has not committed an entry of its term yet";
    if (this.#lastConfIndex > this.#log.committed) return "another configuration change is not committed yet";
    const why = this.#membership.refusal(change);
    if (why !== null) return why;
    if (change.type === "promote") {
      const pr = this.#progress.get(change.nodeId);
      // Caught up: appends flow normally (no probing, no snapshot) and it is close to commit.
      if (pr === undefined || pr.state !== "replicate" || pr.match + raftPromoteLagEntriesMax < this.#log.committed) {
        return `learner ${change.nodeId} has not caught up`;
      }
    }
    return null;
  }

  #maybeAutoPromote(): void {
    if (!this.#autoPromote || this.#role !== "leader") return;
    for (const id of this.#peers()) {
      const pr = this.#progress.get(id) as Progress;
      if (!pr.isLearner) continue;
      const change: ConfChange = { type: "promote", nodeId: id, context: emptyBytes };
      if (this.#confChangeRefusal(change) !== null) continue;
      this.proposeConfChange(change);
      return;
    }
  }

  /** New entries were written from `from` on: conf entries among them (or dropped) take effect. */
  #afterAppend(from: number, entries: Entry[]): void {
    if (from <= this.#lastConfIndex || entries.some((e) => e.type === "conf")) this.#refreshMembership();
  }

  /** The configuration in effect at `index`: its newest conf entry, else the snapshot's. */
  #confAt(index: number): { membership: Membership; index: number } {
    for (let i = index; i > this.#log.snapshotIndex; i--) {
      const e = this.#log.entry(i);
      if (e.type === "conf") return { membership: Membership.from(decodeConfEntry(e.data).conf), index: i };
    }
    return { membership: this.#snapshotMembership, index: this.#log.snapshotIndex };
  }

  /** `id` is removed in the committed configuration (not just in an entry that may be truncated). */
  #removalCommitted(id: NodeId): boolean {
    if (this.#lastConfIndex <= this.#log.committed) return true;
    return this.#confAt(this.#log.committed).membership.wasRemoved(id);
  }

  #refreshMembership(): void {
    const { membership, index } = this.#confAt(this.#log.lastIndex());
    this.#lastConfIndex = index;
    if (membership.equals(this.#membership)) return;
    this.#membership = membership;
    if (this.#role !== "leader") return;
    const next = this.#log.lastIndex() + 1;
    for (const id of membership.members()) {
      const pr = this.#progress.get(id);
      if (pr === undefined) this.#progress.set(id, this.#newProgress(id, next));
      else pr.isLearner = membership.isLearner(id);
    }
    for (const id of [...this.#progress.keys()]) if (!membership.isMember(id)) this.#progress.delete(id);
    if (this.#leadTransferee !== noNode && !membership.isVoter(this.#leadTransferee)) this.#abortLeaderTransfer();
  }

  // =====================================================================================
  // Plumbing
  // =====================================================================================

  #send(fields: Partial<Message> & { type: MessageType; to: NodeId }): void {
    const isVote = fields.type === "MsgVote" || fields.type === "MsgPreVote" || fields.type === "MsgVoteResp" || fields.type === "MsgPreVoteResp";
    // Vote messages carry the term they are about, which is not always ours.
    assert(!isVote || fields.term !== undefined, "vote messages name their term");
    const m = newMessage({ ...fields, from: this.id, term: fields.term ?? this.#term });
    assert(m.to !== this.id && m.to !== noNode, "messages go to a peer");
    if (mustFollowPersist(m.type)) this.#msgsAfterPersist.push(m);
    else this.#msgs.push(m);
  }

  /** Cheap checks of the facts every input must preserve (they stay on in production). */
  #assertInvariants(): void {
    const log = this.#log;
    assert(log.committed <= log.lastIndex(), "commit <= last index");
    assert(log.snapshotIndex <= log.committed, "snapshot <= commit");
    assert(this.#bugs.applyBeforeCommit || log.applying <= log.committed, "handed out for apply <= commit");
    assert(log.applied <= log.applying, "applied <= handed out");
    assert(log.persisted <= log.lastIndex(), "persisted <= last index");
    assert(log.lastTerm() <= this.#term, "no entry from a future term");
    assert(this.#role !== "leader" || this.#lead === this.id, "a leader leads");
    assert(this.#role !== "candidate" || this.#vote === this.id, "a candidate voted for itself");
  }

  #hardState(): HardState {
    return { term: this.#term, vote: this.#vote, commit: this.#log.committed };
  }

  #hardChanged(): boolean {
    const h = this.#prevHard;
    return h.term !== this.#term || h.vote !== this.#vote || h.commit !== this.#log.committed;
  }

  #softChanged(): boolean {
    return this.#prevSoft.leaderId !== this.#lead || this.#prevSoft.role !== this.#role;
  }

  #shouldSignalSnapshot(): boolean {
    if (this.#wantSnapshotSignaled || this.#log.applied <= this.#log.snapshotIndex) return false;
    const entries = this.#snapshotThresholdEntries > 0 && this.#log.applied - this.#log.snapshotIndex >= this.#snapshotThresholdEntries;
    const bytes = this.#snapshotThresholdBytes > 0 && this.#log.bytes >= this.#snapshotThresholdBytes;
    return entries || bytes;
  }
}

function notLeader(leaderId: NodeId): Refusal {
  return { ok: false, reason: "notLeader", leaderId };
}

function isNodeId(id: number): boolean {
  return Number.isInteger(id) && id >= 1 && id <= raftNodeIdMax;
}
