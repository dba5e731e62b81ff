// What one seed simulates: cluster size, the nemesis mode (which family of faults dominates),
// the cores' configuration, network weather, disk, clocks and clients. Drawn from the run's
// randomness before anything else, so a seed names the whole setup.

import type { RaftConfig } from "../raft/types.ts";
import { simElectionTicks, simTickUs } from "../constants.ts";
import type { Weather } from "./network.ts";
import type { SimRandom } from "./random.ts";

/**
 * The dominant fault pattern of a run. Every mode is a generic fault schedule, run for clean
 * seeds too; some aim at classic traps:
 * - mixed: a bit of everything.
 * - partitions: symmetric, one-way and isolating cuts, lossy and laggy weather.
 * - crashes: single, leader, majority and whole-cluster crashes, torn writes.
 * - flaky-leaders: new leaders often crash (or lose their outbound links) within a few ticks of
 *   winning, after appending but before replicating: the Raft paper's Figure 8.
 * - vote-crash: a node that has just sent a vote often crashes at once and restarts within
 *   milliseconds, with whole-cluster restarts that make candidates collide.
 * - stale-leader: the leader is cut off from its peers (clients still reach it) and its clock
 *   slowed, so it keeps believing it leads while a new leader commits writes.
 * - membership: learners added and promoted, followers and leaders removed, transfers.
 */
export const nemesisModes = ["mixed", "partitions", "crashes", "flaky-leaders", "vote-crash", "stale-leader", "membership"] as const;
export type NemesisMode = (typeof nemesisModes)[number];

/** The RaftConfig fields a run chooses (id, seed, bootstrap, initial state and bugs come later). */
export type CoreSettings = Required<
  Pick<
    RaftConfig,
    | "electionTicks"
    | "heartbeatTicks"
    | "preVote"
    | "checkQuorum"
    | "maxInflightMsgs"
    | "maxInflightBytes"
    | "maxSizePerMsgBytes"
    | "maxUncommittedBytes"
    | "snapshotThresholdEntries"
    | "snapshotThresholdBytes"
    | "snapshotChunkBytes"
    | "autoPromote"
  >
>;

export interface Profile {
  readonly nodes: 3 | 5;
  readonly mode: NemesisMode;
  readonly core: CoreSettings;
  /** Weather during fault phases (the nemesis changes it too); heal phases are calm. */
  readonly weather: Weather;
  /** A node's tick interval is simTickUs scaled by a factor in [1 - skew, 1 + skew]. */
  readonly clockSkew: number;
  /** Disk write latency range (0: durable at once). */
  readonly diskMinUs: number;
  readonly diskMaxUs: number;
  /** Probability that a crash tears the oldest pending write. */
  readonly tornChance: number;
  readonly clients: number;
  readonly keys: number;
  /** Of the requests of clients that both read and write, the share of reads. */
  readonly readShare: number;
  /** Of reads, the share sent to any node (followers ask the leader for a read index). */
  readonly followerReadShare: number;
  readonly thinkMaxUs: number;
  /** Simulated time of fault and heal phases before the final heal. */
  readonly faultTimeUs: number;
}

export function drawProfile(rng: SimRandom, seed: number, nodes: 3 | 5 | null, forceMode: NemesisMode | null): Profile {
  const size: 3 | 5 = nodes ?? (seed % 2 === 1 ? 3 : 5);
  const drawn = rng.weighted<NemesisMode>({
    mixed: 3,
    partitions: 2,
    crashes: 2,
    "flaky-leaders": 3,
    "vote-crash": 3,
    "stale-leader": 3,
    membership: 2,
  });
  // Drawn even when forced, so that the rest of the setup stays the same.
  const mode = forceMode ?? drawn;
  const tiny = rng.chance(0.5);
  const core: CoreSettings = {
    electionTicks: simElectionTicks,
    heartbeatTicks: rng.chance(0.7) ? 1 : 2,
    // Turning pre-vote off makes candidates collide (vote-crash wants that).
    preVote: rng.chance(mode === "vote-crash" ? 0.4 : 0.8),
    checkQuorum: rng.chance(0.8),
    maxInflightMsgs: rng.chance(0.5) ? rng.between(1, 4) : 256,
    maxInflightBytes: rng.chance(0.3) ? rng.between(64, 1024) : 0,
    // One entry per MsgApp (the minimum always fits) lets replication stop halfway.
    maxSizePerMsgBytes: tiny || mode === "flaky-leaders" ? 1 : rng.between(64, 4096),
    maxUncommittedBytes: rng.chance(0.2) ? rng.between(100, 400) : 1 << 30,
    snapshotThresholdEntries: rng.chance(mode === "membership" ? 0.9 : 0.7) ? rng.between(5, 40) : 0,
    snapshotThresholdBytes: 0,
    snapshotChunkBytes: rng.between(16, 256),
    autoPromote: rng.chance(0.5),
  };
  const lossy = mode === "partitions" || mode === "flaky-leaders";
  const weather: Weather = {
    loss: rng.chance(0.7) ? rng.float() * (lossy ? 0.15 : 0.05) : 0,
    dup: rng.chance(0.5) ? rng.float() * (mode === "vote-crash" ? 0.2 : 0.05) : 0,
    delayMinUs: 100,
    delayMaxUs: rng.between(500, mode === "vote-crash" ? 8_000 : 3_000),
    slow: rng.chance(0.5) ? rng.float() * 0.05 : 0,
    slowMaxUs: rng.between(5_000, 60_000),
  };
  const syncDisk = rng.chance(0.2);
  return {
    nodes: size,
    mode,
    core,
    weather,
    clockSkew: rng.float() * 0.2,
    diskMinUs: syncDisk ? 0 : 50,
    diskMaxUs: syncDisk ? 0 : rng.between(200, 3_000),
    tornChance: rng.chance(0.7) ? 0.5 : 0,
    clients: rng.between(3, 6),
    keys: rng.between(2, 4),
    readShare: 0.3 + rng.float() * 0.4,
    followerReadShare: rng.float() * 0.5,
    thinkMaxUs: rng.between(1_000, 20_000),
    faultTimeUs: rng.between(30, 50) * simElectionTicks * simTickUs,
  };
}
