// Every limit raftis has lives here, named with its unit last. Relations between limits are
// asserted at the bottom, when the module loads.

import { assert } from "./util/assert.ts";

// ---- RESP protocol (Redis's defaults) ----
/** proto-max-bulk-len: largest bulk string a client may send (CONFIG SET-able). */
export const protoMaxBulkLenBytesDefault = 512 * 1024 * 1024;
/** PROTO_INLINE_MAX_SIZE: an inline command, or a `*N`/`$N` header line, may not exceed this. */
export const protoInlineMaxBytes = 64 * 1024;
/** Largest multibulk count Redis accepts (INT_MAX). Arrays grow as arguments arrive. */
export const protoMultibulkMaxCount = 2147483647;
/** Bulk arguments at least this long are gathered in chunks instead of re-concatenating. */
export const protoBigArgBytes = 32 * 1024;
/** Before AUTH (requirepass set), a request may have at most this many arguments (Redis: 10). */
export const protoUnauthMultibulkMaxCount = 10;
/** Before AUTH, a bulk argument may be at most this long (Redis: 16384). */
export const protoUnauthBulkMaxBytes = 16384;
/** Largest string value Redis lets SETRANGE/APPEND/SETBIT build (proto-max-bulk-len). */
export const stringMaxBytes = 512 * 1024 * 1024;

// ---- Connections ----
/** Reply buffers start at this size and grow by doubling. */
export const replyBufferInitialBytes = 16 * 1024;
/** A reply buffer that grew past this is dropped after a flush, so idle clients stay small. */
export const replyBufferKeepBytes = 1024 * 1024;
/**
 * When a client's unsent output exceeds this, raftis stops reading its requests until the
 * socket drains: a client that pipelines without reading replies cannot grow our memory.
 */
export const clientOutputPauseBytes = 4 * 1024 * 1024;
/** Default hard limit for one client's unsent output (0 = none, as Redis's `normal` class). */
export const clientOutputHardLimitBytesDefault = 0;
/** Pipelined reads of one client waiting for a read barrier at once. */
export const clientInflightReadsMax = 16;
/** Pipelined writes of one client waiting for their commit at once. */
export const clientInflightWritesMax = 1024;
/** A command is timed for INFO commandstats once every this many calls (estimates usec). */
export const commandTimingSampleEvery = 16;
/** maxclients default, as Redis. */
export const maxClientsDefault = 10000;
/** Longest client name accepted by CLIENT SETNAME (Redis has no limit; we keep one). */
export const clientNameMaxBytes = 4096;
/** At most this many commands are queued between MULTI and EXEC. */
export const multiQueueMaxCommands = 1024 * 1024;

// ---- Keyspace ----
/** Active expiry runs this often (Redis hz 10). */
export const activeExpireIntervalMs = 100;
/** Keys examined per active-expiry cycle. */
export const activeExpireKeysPerCycle = 2000;
/** SCAN-family COUNT default, as Redis. */
export const scanCountDefault = 10;
/** A SCAN call looks at no more than COUNT times this many empty slots before returning. */
export const scanEmptySlotsPerCount = 10;
/** Random-element picks try this many random slots before falling back to a linear walk. */
export const randomSlotTries = 64;

// ---- Engine ----
/** Largest integer a Redis string holds: the int64 range. */
export const int64Max = 9223372036854775807n;
export const int64Min = -9223372036854775808n;

assert(protoInlineMaxBytes < protoMaxBulkLenBytesDefault, "inline limit below bulk limit");
assert(replyBufferInitialBytes <= replyBufferKeepBytes, "reply buffer sizes ordered");
assert(clientOutputPauseBytes >= replyBufferKeepBytes, "pause threshold above kept buffer");
assert(protoBigArgBytes < protoInlineMaxBytes, "big-arg threshold below inline limit");

// ---- Rings between threads (src/ring/) ----
// Each ring is one SharedArrayBuffer allocated at start; a record may use at most half of a
// ring (see ringRecordMaxBytes), larger payloads are the caller's to split.
/** main → raft worker: client commands. */
export const ringCommandBytes = 8 * 1024 * 1024;
/** raft worker → main: committed entries and read states to apply. */
export const ringEventBytes = 8 * 1024 * 1024;
/** raft worker → storage worker: entries and hard state to persist. */
export const ringPersistBytes = 8 * 1024 * 1024;
/** storage worker → raft worker: "persisted up to" acknowledgements (small records). */
export const ringPersistedBytes = 1024 * 1024;
/** Smallest ring: the control block and a few records. */
export const ringCapacityMinBytes = 64;
/** Ring positions are free-running 32-bit counters, so a ring must stay well below 2^31. */
export const ringCapacityMaxBytes = 1024 * 1024 * 1024;
/**
 * Checks of the other side's word before a waiting side sleeps: ~10 µs of spinning, against a
 * wake-up that costs ~25 µs on each side (bench/ring.ts: round trip p50 ~0.8 µs vs ~60 µs).
 */
export const ringSpinChecksDefault = 100;

// ---- Log entries (src/node/entry-codec.ts) ----
/** Largest encoded log entry (a command or a whole MULTI/EXEC); bigger ones are refused. */
export const entryBytesMax = 600 * 1024 * 1024;
/** Most arguments one command in an entry may carry. */
export const entryArgsMax = 8 * 1024 * 1024;

// ---- Raft node (src/node/) ----
/** A write whose fate is still unknown after this long is answered -TIMEOUT (indeterminate). */
export const raftWriteTimeoutMsDefault = 10_000;

// ---- Channels between threads (src/node/channel.ts) ----
/** Messages waiting for ring space, per channel; the sender applies backpressure long before. */
export const channelBacklogMaxBytes = 2 * 1024 * 1024 * 1024;

// ---- Storage (src/storage/) ----
/** A log segment rolls over once it holds this many bytes (the batch that crosses it stays). */
export const logSegmentBytes = 64 * 1024 * 1024;
/**
 * Segments are preallocated with zeros this much at a time: overwriting allocated blocks lets
 * fdatasync skip the size update (~7k vs ~5.3k fsyncs/s here); small enough to cost ~1 ms.
 */
export const logPreallocateChunkBytes = 4 * 1024 * 1024;
/** A record claiming a longer payload than this is corrupt (a sanity bound on the length field). */
export const logRecordPayloadMaxBytes = 1024 * 1024 * 1024;
/** The group-commit buffer starts at this size and grows by doubling. */
export const logFlushBufferInitialBytes = 1024 * 1024;
/** Snapshots kept on disk: the newest, and older ones to fall back on if it is unreadable. */
export const snapshotsKeptCount = 2;

assert(ringCapacityMinBytes <= ringPersistedBytes, "rings above the minimum");
assert(Math.max(ringCommandBytes, ringEventBytes, ringPersistBytes) <= ringCapacityMaxBytes, "rings below the maximum");
assert(ringPersistBytes / 2 <= logRecordPayloadMaxBytes, "any persist-ring record fits a log record");
assert(logFlushBufferInitialBytes <= logSegmentBytes, "flush buffer below segment size");
assert(logPreallocateChunkBytes <= logSegmentBytes, "preallocation chunk within a segment");
assert(snapshotsKeptCount >= 1, "keep at least one snapshot");

// ---- Raft core (src/raft/); times are ticks, the shell decides how long a tick is ----
/** A follower campaigns after a random timeout in [n, 2n) ticks without hearing a leader. */
export const raftElectionTicksDefault = 10;
/** A leader sends heartbeats every this many ticks. */
export const raftHeartbeatTicksDefault = 1;
/** append-req-max-count: MsgApp in flight per follower. */
export const raftInflightMsgsMaxDefault = 256;
/** Bytes of entries in flight per follower. */
export const raftInflightBytesMaxDefault = 64 * 1024 * 1024;
/** append-req-max-size: bytes of entries per MsgApp (one entry always fits, however large). */
export const raftAppendMsgBytesMaxDefault = 1024 * 1024;
/** A leader refuses proposals while its uncommitted entries hold more than this. */
export const raftUncommittedBytesMaxDefault = 64 * 1024 * 1024;
/** The core asks for a snapshot after this many entries applied since the last one... */
export const raftSnapshotThresholdEntriesDefault = 100_000;
/** ...or once the log it keeps in memory holds this many bytes (RedisRaft's log-max-file-size). */
export const raftSnapshotThresholdBytesDefault = 64 * 1024 * 1024;
/** Snapshot data per MsgSnap. */
export const raftSnapshotChunkBytesDefault = 256 * 1024;
/** MsgSnap chunks in flight per follower. */
export const raftSnapshotChunksInflightMax = 4;
/** Bookkeeping counted per entry, beside its data, in message and log sizes. */
export const raftEntryOverheadBytes = 24;
/** Bytes of committed entries handed out in one ready (one entry always fits). */
export const raftApplyBatchBytesMax = 64 * 1024 * 1024;
/** ReadIndex requests a leader queues (waiting for a term commit or a heartbeat round). */
export const raftReadIndexQueueMax = 64 * 1024;
/** A learner may be promoted once its log is within this many entries of the leader's commit. */
export const raftPromoteLagEntriesMax = 64;
/**
 * Heartbeat responses from a follower without any append progress while appends are in flight,
 * after which the leader assumes they were lost and probes again.
 */
export const raftStallHeartbeatsMax = 4;
/** Node ids are positive 32-bit integers. */
export const raftNodeIdMax = 0xffffffff;

assert(raftHeartbeatTicksDefault < raftElectionTicksDefault, "heartbeats well inside the election timeout");
assert(raftAppendMsgBytesMaxDefault <= raftInflightBytesMaxDefault, "one MsgApp fits the in-flight bytes");
assert(raftSnapshotChunksInflightMax >= 1, "at least one snapshot chunk in flight");

// ---- Client connections and server introspection (src/server/, INFO, CLIENT) ----
/** client-query-buffer-limit default (Redis: 1gb): unparsed input plus a request's arguments. */
export const clientQueryBufferLimitBytesDefault = 1024 * 1024 * 1024;
/** INFO errorstats tracks at most this many distinct error codes (Redis: 128). */
export const errorStatsMaxCodes = 128;
/** instantaneous_ops_per_sec and friends average this many samples (Redis: 16). */
export const instantaneousSamples = 16;
/** maxmemory checks re-read the process's memory at most this often. */
export const usedMemoryRefreshMs = 1;
/** DEBUG SLEEP may wait at most this long, so a typo cannot park a connection for days. */
export const debugSleepMaxMs = 3600 * 1000;

// ---- History checkers (src/check/) ----
/** Linearizability search steps per key before its result is "unknown" rather than a hang. */
export const checkKeyStepsMaxDefault = 10_000_000;
/** Searches the explanation of one non-linearizable key may run while shrinking it. */
export const checkExplainRunsMax = 200;
/** Steps of each of those searches that tries a weaker history (many unknown outcomes search slowly). */
export const checkExplainRelaxStepsMax = 100_000;
/** Cycles the list-append checker reports per kind (one per strongly connected component). */
export const checkCyclesReportedMax = 16;
/** Rare anomalies (lost appends, incompatible reads...) reported per kind; the rest are counted. */
export const checkAnomaliesReportedMax = 32;

// ---- Lists and sorted sets (src/engine/types/) ----
/** Smallest ring-buffer capacity of a list (a power of two); it never shrinks below this. */
export const dequeCapacityMin = 8;
/** Entries per leaf and children per inner node of a sorted set's B+tree (32 was slower, 128 no faster). */
export const zsetTreeNodeMax = 64;
/** Replies of ZRANDMEMBER with a negative count (repeats allowed) hold at most this many elements. */
export const randomCountRepliesMax = 64 * 1024 * 1024;

// ---- HyperLogLog (src/engine/types/hll.ts) ----
/**
 * hll-sparse-max-bytes (Redis default 3000): a sparse HLL that would grow past this many bytes,
 * header included, is promoted to the dense encoding. A constant rather than a CONFIG
 * parameter for now; the stored bytes depend on it, so every replica must agree.
 */
export const hllSparseMaxBytes = 3000;

// ---- Deterministic simulator (src/sim/); times are simulated microseconds ----
/** One tick of a simulated node's clock, before its own skew. */
export const simTickUs = 10_000;
/** Election timeout of the simulated cores, in ticks. */
export const simElectionTicks = 10;
/** After the faults heal, a leader must commit a new entry within this many election timeouts. */
export const simLivenessElectionTimeouts = 30;
/**
 * The same bound for cores without pre-vote: there a candidate with a stale log restarts everyone's
 * election timer each time it campaigns, and with a fast clock it keeps winning the race to
 * campaign (26 timeouts seen in 20k seeds; every recovery slower than 12 had pre-vote off).
 */
export const simLivenessElectionTimeoutsNoPreVote = 100;
/** A client gives up on a request after this long (a write's outcome is then unknown). */
export const simClientTimeoutUs = 500_000;
/** Nodes one run may create: initial members plus learners added later (ids are never reused). */
export const simNodesMax = 9;
/** Membership changes keep at least this many voters. */
export const simVotersMin = 3;
/** Events kept for violation reports. */
export const simTraceEventsKept = 4096;
/** Events shown in a violation's trace. */
export const simTraceLinesShown = 60;
/** Elections and faults shown before a linearizability failure's culprit. */
export const simTimelineShown = 16;
/** Linearizability search steps per key before its result is "unknown". */
export const simCheckStepsMax = 2_000_000;

assert(simClientTimeoutUs > 2 * simElectionTicks * simTickUs, "a client waits out at least one election");
assert(simVotersMin >= 1 && simVotersMin < simNodesMax, "room to add and remove members");

// ---- Raft bus: the TCP transport between nodes (src/bus/) ----
/**
 * Largest frame payload (one encoded Raft message). A MsgApp holds at most one entry past
 * append-req-max-size, so the largest entry plus some room for the message around it must fit.
 */
export const busFramePayloadBytesMax = 640 * 1024 * 1024;
/** Handshake frames are small; before authentication nothing larger is read. */
export const busHandshakeFrameBytesMax = 1024;
/**
 * Bytes waiting to go to one peer (encoded or about to be). Past it, further messages to that
 * peer are dropped (Raft retransmits): a slow follower can neither stall the leader nor grow its
 * memory. A single message larger than this still goes out when the queue is empty.
 */
export const busPeerQueueBytesMaxDefault = 64 * 1024 * 1024;
/** Reconnect attempts back off exponentially from raft.reconnect-interval up to this. */
export const busReconnectBackoffMaxMs = 1000;
/** A message whose encoding may exceed this is encoded into its own buffer, not the batch. */
export const busLargeMessageBytes = 256 * 1024;
/** PBKDF2 rounds that turn raft.cluster-password into the handshake key (~10 ms, once). */
export const busPasswordKdfRounds = 100_000;
/** Log lines about one misbehaving connection, per reason, before they are only counted. */
export const busConnLogLinesMax = 8;
/** Inbound connections still in their handshake; more are closed at once (a connection flood). */
export const busPendingHandshakesMax = 64;
/** The same refusal (reason and remote host) is logged as a warning at most once per this long. */
export const busRefusalLogIntervalMs = 10_000;

assert(busFramePayloadBytesMax >= entryBytesMax + 1024 * 1024, "a frame holds the largest entry and its message");
assert(busFramePayloadBytesMax >= raftAppendMsgBytesMaxDefault + raftSnapshotChunkBytesDefault, "a frame holds a MsgApp or a snapshot chunk");
assert(busFramePayloadBytesMax < 2 ** 32, "frame lengths fit a u32");
assert(busLargeMessageBytes < busPeerQueueBytesMaxDefault, "large messages are large relative to the queue");
assert(busHandshakeFrameBytesMax < busLargeMessageBytes, "handshake frames are small");

// ---- Incremental snapshots (src/node/snapshot-writer.ts) ----
/** Snapshot records are gathered into chunks of about this size (a longer record goes alone). */
export const snapshotChunkBytes = 1024 * 1024;
/** A snapshot slice stops after this long, so clients wait at most about this much per slice. */
export const snapshotSliceMsDefault = 3;
/** ...or after serializing this many keys, whichever comes first. */
export const snapshotSliceKeysDefault = 100_000;
/** A slice reads the clock after this many slots (reading it per key would cost ~5%). */
export const snapshotSliceClockEverySlots = 16;

assert(snapshotSliceMsDefault > 0 && snapshotSliceKeysDefault > 0, "a slice makes progress");
