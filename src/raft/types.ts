// The plain data RaftCore takes in and hands out. Everything here is msgpack-friendly (numbers,
// strings, booleans, Uint8Array, arrays, plain objects): messages cross the wire as they are, and
// ready() output goes to storage and to the state machine unchanged.
//
// How a shell drives a RaftCore (src/raft/raft.ts):
//
// - Start. A brand-new cluster: every initial member is built with the same `bootstrapVoters`
//   and an empty state; each then holds the committed entry 1/1 naming them. A node that joins
//   an existing cluster starts empty without bootstrapVoters and waits: the leader adds it with
//   proposeConfChange({type: "addLearner", nodeId, context: its addresses}), sends it the log
//   (or a snapshot), then promotes it (the shell calls promote, or autoPromote does it) once it
//   has caught up. A restart passes `initial` = what storage holds (hard state, newest snapshot
//   with its data, entries after it); bootstrapVoters is then ignored.
// - Inputs. tick() at a fixed interval; step(m) for every message addressed to this node;
//   propose / proposeConfChange / readIndex / transferLeader / campaign on request. After any
//   input: while hasReady(), take ready() and carry it out (see Ready), then advance(ready).
// - Writes. propose(datas) returns {firstIndex, term}: entry firstIndex+i is that command iff it
//   commits with `term`; if another term commits at that index the command was lost.
// - Reads. readIndex(ctx) answers later with a ReadState {index, ctx}: run the read once the
//   state machine has applied `index`. Requests can be lost (leader change, dropped message) and,
//   over a duplicating network, answered twice: time them out, ignore unknown ctx.
// - Snapshots. When ready().wantSnapshot, snapshot the state machine at its applied index,
//   persist it, then call snapshotTaken(index, data). The data must hold whatever the shell needs
//   to restart from it alone (e.g. the members' addresses, which live in conf entries that get
//   compacted). A snapshot in ready().snapshot came from the leader: persist it (it replaces the
//   whole log) and load it into the state machine.
// - Membership. Conf entries come out in committedEntries; decodeConfEntry(e.data) gives the
//   change (with its context) and the whole resulting configuration. A configuration takes effect
//   when appended, before it commits. A node that sees its own removal committed should stop.
//   Ids are never reused: the configuration remembers removed ids and drops their messages.
// - Checking. status(), logEntries(), termAt(), committedIndex, appliedIndex expose what
//   SafetyChecker (src/raft/invariants.ts) needs to check Raft's properties after every step.

/** A node id: a positive 32-bit integer, never reused in a cluster's life. */
export type NodeId = number;
/** "No node": no vote cast, no known leader. */
export const noNode: NodeId = 0;

// ---- Log ----

/**
 * `normal`: a client command (opaque bytes). `noop`: the empty entry a new leader appends so an
 * entry of its term commits. `conf`: a membership change; its data is a `ConfEntry`
 * (src/raft/conf-entry.ts) holding the change *and* the whole resulting configuration.
 */
/** Every entry type, in a fixed order: codecs number them by position, so append only. */
export const entryTypes = ["normal", "noop", "conf"] as const;
export type EntryType = (typeof entryTypes)[number];

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  data: Uint8Array;
}

/** What must be on disk before vote responses and append acknowledgements may leave. */
export interface HardState {
  term: number;
  /** The candidate voted for in `term`, or noNode. */
  vote: NodeId;
  /** A hint only: commit is recomputed after a restart; it never exceeds the persisted log. */
  commit: number;
}

/** A membership. `removed` holds every id ever removed: such ids are never accepted again. */
export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
  removed: NodeId[];
}

export type ConfChangeType = "addLearner" | "promote" | "remove";

/**
 * One single-server change. `context` is opaque to the core (the shell puts the node's
 * addresses there) and comes back in the committed conf entry.
 */
export interface ConfChange {
  type: ConfChangeType;
  nodeId: NodeId;
  context: Uint8Array;
}

export interface SnapshotMeta {
  /** Last log index the snapshot covers, and its term. */
  index: number;
  term: number;
  /** The membership in effect at `index`. */
  conf: ConfState;
}

export interface Snapshot {
  meta: SnapshotMeta;
  /** The state machine's serialized state (opaque to the core). */
  data: Uint8Array;
}

// ---- Messages ----

/** Every message type, in a fixed order: codecs number them by position, so append only. */
export const messageTypes = [
  "MsgApp",
  "MsgAppResp",
  "MsgVote",
  "MsgVoteResp",
  "MsgPreVote",
  "MsgPreVoteResp",
  "MsgHeartbeat",
  "MsgHeartbeatResp",
  "MsgSnap",
  "MsgSnapResp",
  "MsgReadIndex",
  "MsgReadIndexResp",
  "MsgTimeoutNow",
] as const;
export type MessageType = (typeof messageTypes)[number];

/** One piece of a snapshot in flight. The last piece is the one with offset + length = totalBytes. */
export interface SnapshotChunk {
  meta: SnapshotMeta;
  /** Byte offset of `data` within the snapshot's data. */
  offset: number;
  totalBytes: number;
  data: Uint8Array;
}

/**
 * Every message has every field (unused ones are 0 / false / empty), etcd-style: fields are
 * reused per type as follows.
 *
 * | type             | logTerm / index                  | commit     | reject / rejectHint            | other |
 * |------------------|----------------------------------|------------|--------------------------------|-------|
 * | MsgApp           | term/index of the entry before `entries` | leader's commit | –                  | entries |
 * | MsgAppResp       | index: last index now matching the leader (accept), or the rejected MsgApp's index | – | reject; rejectHint = index to probe from, logTerm = its term | |
 * | MsgVote/PreVote  | candidate's last term/index      | –          | –                              | context = campaignTransferContext when forced by a transfer |
 * | MsgVoteResp/PreVoteResp | –                         | –          | reject = vote denied           | |
 * | MsgHeartbeat     | index = read round (ReadIndex)   | min(follower's match, leader's commit) | – | |
 * | MsgHeartbeatResp | index = read round echoed        | –          | –                              | |
 * | MsgSnap          | –                                | –          | –                              | snapshot = one chunk |
 * | MsgSnapResp      | logTerm/index = the snapshot's term/index | – | reject = chunk out of order; rejectHint = bytes received so far | |
 * | MsgReadIndex     | –                                | –          | –                              | context = the read's ctx |
 * | MsgReadIndexResp | index = read index               | –          | –                              | context = the read's ctx |
 * | MsgTimeoutNow    | –                                | –          | –                              | |
 */
export interface Message {
  type: MessageType;
  from: NodeId;
  to: NodeId;
  term: number;
  logTerm: number;
  index: number;
  entries: Entry[];
  commit: number;
  reject: boolean;
  rejectHint: number;
  context: Uint8Array;
  snapshot: SnapshotChunk | null;
}

/** MsgVote/MsgPreVote context of a campaign started by MsgTimeoutNow: it bypasses leader leases. */
export const campaignTransferContext: Uint8Array = new Uint8Array([0x74]); // "t"

// ---- Output ----

export type Role = "follower" | "preCandidate" | "candidate" | "leader";

export interface SoftState {
  leaderId: NodeId;
  role: Role;
}

/** A confirmed ReadIndex: once the state machine has applied `index`, the read may run. */
export interface ReadState {
  index: number;
  ctx: Uint8Array;
}

/**
 * What the shell must do, returned by `ready()`. Handing it out marks it taken: the next ready()
 * has only what happened since. The order matters:
 *
 * 1. Send `messages` now (the leader's appends go out in parallel with its own disk write).
 * 2. Persist, in this order, `snapshot` (replacing the whole log), `entries` (first drop every
 *    stored entry with index >= entries[0].index, then append) and `hardState`. Storage must
 *    handle readies in the order they were produced.
 * 3. Once that is durable: send `messagesAfterPersist`, then call
 *    `onPersisted(persistPoint.index, persistPoint.term)` when `persistPoint` is not null. A
 *    crash before that point may lose the ready's writes: nothing that depends on them has left.
 * 4. Load `snapshot` into the state machine (if any), apply `committedEntries` in order, serve
 *    `readStates` once applied ≥ their index; then `advance(ready)`. Step 4 may run before or
 *    in parallel with steps 2–3: committed entries are already durable locally.
 */
export interface Ready {
  /** Leader or role changed since the last ready (null: unchanged). */
  softState: SoftState | null;
  /** To persist; null when unchanged. */
  hardState: HardState | null;
  /** To persist (see the order above). */
  entries: Entry[];
  /** A snapshot received from the leader: persist it, then load it into the state machine. */
  snapshot: Snapshot | null;
  /** May leave immediately. */
  messages: Message[];
  /** May leave only after this ready's snapshot, entries and hard state are durable. */
  messagesAfterPersist: Message[];
  /** The last entry (or the snapshot) this ready asks to persist; null if it persists none. */
  persistPoint: { index: number; term: number } | null;
  /** Committed and locally durable: apply in order. Conf entries are included. */
  committedEntries: Entry[];
  readStates: ReadState[];
  /** The log since the last snapshot grew past the threshold: take one, then snapshotTaken(). */
  wantSnapshot: boolean;
}

// ---- Input ----

/**
 * Bugs planted on purpose, to prove the tests and the simulator catch them. Test-only; all off
 * by default; each is a one-line branch in the core.
 */
export interface PlantedBugs {
  /** Commit an entry of an older term by counting replicas (Raft paper, Figure 8). */
  commitOldTerm?: boolean;
  /** Grant votes without checking the candidate's log is at least as up to date. */
  voteWithoutLogCheck?: boolean;
  /** Serve ReadIndex with the leader's commit index, without a heartbeat round. */
  readWithoutConfirm?: boolean;
  /** Leave the vote out of the hard state handed to storage. */
  forgetPersistVote?: boolean;
  /** Hand out entries to apply once they are durable locally, committed or not. */
  applyBeforeCommit?: boolean;
}

export const plantedBugNames = [
  "commitOldTerm",
  "voteWithoutLogCheck",
  "readWithoutConfirm",
  "forgetPersistVote",
  "applyBeforeCommit",
] as const satisfies readonly (keyof PlantedBugs)[];

/** What the node had on disk at start (all empty for a brand-new node). */
export interface InitialState {
  hardState: HardState;
  /** The newest snapshot; its data is kept to send to followers behind the compacted log. */
  snapshot: Snapshot | null;
  /** The log after the snapshot, in order, without gaps. */
  entries: Entry[];
}

export interface RaftConfig {
  id: NodeId;
  /** Seeds the election-timeout randomness (give each node its own). */
  seed: number;
  /** Ticks: a follower campaigns after a random timeout in [electionTicks, 2*electionTicks). */
  electionTicks?: number;
  /** Ticks between a leader's heartbeats. */
  heartbeatTicks?: number;
  /** Run a pre-vote round before a real election (thesis §9.6). Default true. */
  preVote?: boolean;
  /**
   * A leader that has not heard from a quorum for electionTicks steps down, and a node that
   * heard from a leader in the last electionTicks ignores higher-term (pre)votes. Default true.
   */
  checkQuorum?: boolean;
  /** MsgApp in flight per follower (append-req-max-count). */
  maxInflightMsgs?: number;
  /** Bytes of entries in flight per follower (0: no byte limit). */
  maxInflightBytes?: number;
  /** Bytes of entries in one MsgApp (append-req-max-size); one entry always fits. */
  maxSizePerMsgBytes?: number;
  /** Proposals are refused while the leader's uncommitted entries hold more than this. */
  maxUncommittedBytes?: number;
  /** wantSnapshot once this many entries were applied since the last snapshot (0: never). */
  snapshotThresholdEntries?: number;
  /** ... or once the in-memory log holds this many bytes (0: never). */
  snapshotThresholdBytes?: number;
  /** Bytes of snapshot data per MsgSnap. */
  snapshotChunkBytes?: number;
  /** The leader proposes a learner's promotion itself once the learner has caught up. */
  autoPromote?: boolean;
  /**
   * Voters of a brand-new cluster. Used only when the initial state is empty: the node then
   * starts with one committed conf entry (1/1) naming them, as every bootstrapped peer does.
   * A node that joins an existing cluster starts empty with no voters and learns its
   * membership from the leader.
   */
  bootstrapVoters?: NodeId[];
  initial?: InitialState;
  bugs?: PlantedBugs;
}

// ---- Results ----

/** Why the core refused a request. `notLeader.leaderId` is noNode when no leader is known. */
export type Refusal =
  | { ok: false; reason: "notLeader"; leaderId: NodeId }
  | { ok: false; reason: "transferInProgress"; transferee: NodeId }
  | { ok: false; reason: "uncommittedLimit" }
  | { ok: false; reason: "confChangeRefused"; why: string }
  | { ok: false; reason: "transferRefused"; why: string }
  | { ok: false; reason: "readQueueFull" }
  | { ok: false; reason: "notVoter" };

export type ProposeResult = { ok: true; firstIndex: number; term: number } | Refusal;
export type Done = { ok: true } | Refusal;

// ---- Status ----

export type ProgressState = "probe" | "replicate" | "snapshot";

export interface ProgressStatus {
  id: NodeId;
  match: number;
  next: number;
  state: ProgressState;
  isLearner: boolean;
  inflight: number;
  recentActive: boolean;
  /** Snapshot state: the snapshot index being sent and bytes acknowledged so far. */
  pendingSnapshot: number;
  snapshotAckedBytes: number;
}

export interface Status {
  id: NodeId;
  term: number;
  vote: NodeId;
  role: Role;
  leaderId: NodeId;
  /** Highest index known committed; never decreases. */
  commit: number;
  /** Highest index the shell applied (acknowledged by advance); never decreases; <= commit. */
  applied: number;
  /** Highest index storage acknowledged (onPersisted). */
  persisted: number;
  firstIndex: number;
  lastIndex: number;
  lastTerm: number;
  snapshotIndex: number;
  snapshotTerm: number;
  conf: ConfState;
  /** Leader only: an entry of the current term is committed (it may serve reads). */
  committedInTerm: boolean;
  leadTransferee: NodeId;
  uncommittedBytes: number;
  electionElapsed: number;
  randomizedElectionTimeout: number;
  /** Leader only, sorted by id; includes the leader itself when it is a member. */
  progress: ProgressStatus[];
}
