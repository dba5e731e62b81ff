// The deterministic simulator (DESIGN §9, L1): real RaftCores, each with a reference key-value
// state machine, behind a simulated network (src/sim/network.ts), disk (src/sim/disk.ts) and
// clocks, with concurrent clients and a fault injector (src/sim/nemesis.ts), all driven by one
// seeded PRNG through one event queue. This file is the nodes' shell (the Ready loop of
// src/raft/types.ts), the clients, and the checks:
//   - SafetyChecker (src/raft/invariants.ts) after every event, plus the state machines: every
//     node gets the same result at each index, and equal snapshots at equal indexes;
//   - any exception out of a core call (an assertion) is a violation;
//   - liveness: after each heal, a leader must commit a fresh entry within a bound;
//   - linearizability of the client history, per key (src/check/).
// The run stops at the first violation and reports it with the last events that led to it.

import { checkLinearizability, formatNonLinearizable, HistoryRecorder, kvModel, type KvInput, type KvOutput } from "../check/index.ts";
import {
  simCheckStepsMax,
  simClientTimeoutUs,
  simElectionTicks,
  simLivenessElectionTimeouts,
  simLivenessElectionTimeoutsNoPreVote,
  simNodesMax,
  simTickUs,
  simTimelineShown,
  simTraceLinesShown,
  simVotersMin,
} from "../constants.ts";
import { decodeConfEntry } from "../raft/conf-entry.ts";
import { describeBytes, describeConf } from "../raft/describe.ts";
import { SafetyChecker } from "../raft/invariants.ts";
import { RaftCore } from "../raft/raft.ts";
import type { Message, NodeId, PlantedBugs, RaftConfig, Ready, Refusal, Role } from "../raft/types.ts";
import { assert } from "../util/assert.ts";
import { EventQueue } from "./event-queue.ts";
import { decodeCommand, encodeCommand, KvMachine, type KvCommand, type KvResult } from "./kv-machine.ts";
import { Nemesis, type NemesisHost } from "./nemesis.ts";
import { calmWeather, Network } from "./network.ts";
import { SimNode, type ClientRequest } from "./node.ts";
import { drawProfile, type NemesisMode, type Profile } from "./profile.ts";
import { SimRandom } from "./random.ts";
import { formatTime, Trace } from "./trace.ts";

export type ViolationKind = "safety" | "linearizability" | "liveness" | "assertion";

export interface Violation {
  readonly kind: ViolationKind;
  readonly summary: string;
  /** The minimal trace: relevant last events, the checker's explanation, node states. */
  readonly details: readonly string[];
}

export interface SimOptions {
  readonly seed: number;
  /** Cluster size; by default odd seeds run 3 nodes and even seeds 5. */
  readonly nodes?: 3 | 5 | null;
  /** Runs this nemesis mode instead of the one the seed draws. */
  readonly mode?: NemesisMode | null;
  /** A planted bug (src/raft/types.ts, PlantedBugs) turned on in every node. */
  readonly bug?: keyof PlantedBugs | null;
  /** Receives every event as it happens. */
  readonly verbose?: ((line: string) => void) | null;
}

export interface SimStats {
  events: number;
  simulatedUs: number;
  leadersElected: number;
  maxTerm: number;
  crashes: number;
  tornWrites: number;
  restarts: number;
  messagesDelivered: number;
  messagesLost: number;
  messagesCut: number;
  snapshotsTaken: number;
  snapshotsInstalled: number;
  confChangesProposed: number;
  transfers: number;
  heals: number;
  /** Longest time from a heal to a committed probe entry. */
  maxRecoveryUs: number;
  opsOk: number;
  opsFailed: number;
  opsUnknown: number;
  readsOk: number;
  /** Keys whose linearizability search ran out of budget (neither proved nor refuted). */
  uncheckedKeys: number;
}

export interface SeedResult {
  readonly seed: number;
  readonly profile: Profile;
  /** The mode was forced (--mode) rather than drawn. */
  readonly modeForced: boolean;
  readonly bug: keyof PlantedBugs | null;
  readonly violation: Violation | null;
  /** Digest of the whole event trace: same seed, same digest. */
  readonly digest: string;
  readonly stats: SimStats;
}

export function runSeed(options: SimOptions): SeedResult {
  return new Simulation(options).run();
}

/** Unwinds the run at the first violation. */
class Halt extends Error {
  constructor(readonly violation: Violation) {
    super(violation.summary);
  }
}

interface SimClient {
  readonly id: number;
  /** Some clients mostly read, some mostly write: readers stick to whoever answers them. */
  readonly readShare: number;
  /** How long it waits for an answer (some give up on a silent node sooner than others). */
  readonly timeoutUs: number;
  /** The node it believes leads. */
  target: NodeId;
}

type Phase = "fault" | "heal" | "drain" | "done";

interface Probe {
  readonly node: NodeId;
  readonly index: number;
  readonly term: number;
}

const textEncoder = new TextEncoder();

class Simulation implements NemesisHost {
  readonly rng: SimRandom;
  readonly network: Network;
  readonly #seed: number;
  readonly #modeForced: boolean;
  readonly #bug: keyof PlantedBugs | null;
  readonly #profile: Profile;
  readonly #queue = new EventQueue();
  readonly #trace: Trace;
  readonly #verbose: ((line: string) => void) | null;
  readonly #checker = new SafetyChecker();
  readonly #nodes = new Map<NodeId, SimNode>();
  readonly #nemesis: Nemesis;
  readonly #recorder = new HistoryRecorder<KvInput, KvOutput>();
  readonly #clients: SimClient[] = [];
  /** Result of each applied index, as the first node to apply it saw it. */
  readonly #results = new Map<number, string>();
  /** Snapshot data taken or installed at each index (a state-machine digest). */
  readonly #snapshots = new Map<number, Uint8Array>();
  /** Elections, crashes, restarts and faults, kept apart: they explain most linearizability failures. */
  readonly #timeline: { time: number; text: string }[] = [];
  readonly #stats: SimStats = {
    events: 0,
    simulatedUs: 0,
    leadersElected: 0,
    maxTerm: 0,
    crashes: 0,
    tornWrites: 0,
    restarts: 0,
    messagesDelivered: 0,
    messagesLost: 0,
    messagesCut: 0,
    snapshotsTaken: 0,
    snapshotsInstalled: 0,
    confChangesProposed: 0,
    transfers: 0,
    heals: 0,
    maxRecoveryUs: 0,
    opsOk: 0,
    opsFailed: 0,
    opsUnknown: 0,
    readsOk: 0,
    uncheckedKeys: 0,
  };
  #nextId = 1;
  #phase: Phase = "fault";
  #healStart = 0;
  #probe: Probe | null = null;
  #probeSeq = 0;
  /** A node applied the current probe (as the entry it was proposed as). */
  #probeApplied = false;
  #upCores: RaftCore[] = [];
  #upDirty = true;
  /**
   * Some core handed out a ready (or a node started or stopped) since the last safety check.
   * Everything the checker looks at (term, role, log, commit, applied) changes only that way, so
   * events without one (most ticks, client bookkeeping) need no check.
   */
  #changed = true;

  constructor(options: SimOptions) {
    this.#seed = options.seed;
    this.#modeForced = (options.mode ?? null) !== null;
    this.#bug = options.bug ?? null;
    this.rng = new SimRandom(options.seed);
    this.#profile = drawProfile(this.rng, options.seed, options.nodes ?? null, options.mode ?? null);
    this.network = new Network(this.rng, this.#profile.weather);
    this.#verbose = options.verbose ?? null;
    this.#trace = new Trace(this.#verbose);
    this.#nemesis = new Nemesis(this, this.#profile);
  }

  run(): SeedResult {
    let violation: Violation | null = null;
    try {
      this.#start();
      while (this.#phase !== "done" && this.#queue.runNext(Infinity)) {
        this.#stats.events++;
        this.#checkSafety();
      }
      violation = this.#checkHistory();
    } catch (e) {
      if (!(e instanceof Halt)) throw e;
      violation = e.violation;
    }
    this.#stats.simulatedUs = this.#queue.now;
    return { seed: this.#seed, profile: this.#profile, modeForced: this.#modeForced, bug: this.#bug, violation, digest: this.#trace.digest(), stats: this.#stats };
  }

  // =====================================================================================
  // Setup and phases
  // =====================================================================================

  #start(): void {
    const p = this.#profile;
    const c = p.core;
    this.#note(0, 0, `seed ${this.#seed}: ${p.nodes} nodes, mode ${p.mode}${this.#bug === null ? "" : `, bug ${this.#bug}`}; ` +
      `prevote=${c.preVote} checkquorum=${c.checkQuorum} heartbeat=${c.heartbeatTicks} inflight=${c.maxInflightMsgs} msg-bytes=${c.maxSizePerMsgBytes} ` +
      `snapshot-entries=${c.snapshotThresholdEntries} chunk=${c.snapshotChunkBytes} auto-promote=${c.autoPromote}; ` +
      `loss=${p.weather.loss.toFixed(3)} dup=${p.weather.dup.toFixed(3)} disk=${p.diskMinUs}-${p.diskMaxUs}us clients=${p.clients} keys=${p.keys}`);
    const voters = Array.from({ length: p.nodes }, (_, i) => i + 1);
    for (let i = 0; i < p.nodes; i++) this.#createNode(voters);
    for (let i = 0; i < p.clients; i++) {
      const readShare = i % 3 === 0 ? 0.9 : i % 3 === 1 ? 0.1 : p.readShare;
      const timeoutUs = this.rng.between(simClientTimeoutUs / 5, simClientTimeoutUs);
      const client: SimClient = { id: i + 1, readShare, timeoutUs, target: this.rng.pick(voters) };
      this.#clients.push(client);
      this.#queue.after(this.rng.between(0, p.thinkMaxUs), () => this.#issue(client));
    }
    this.#startFaultPhase();
  }

  #startFaultPhase(): void {
    this.#phase = "fault";
    const end = this.#queue.now + this.rng.between(30, 150) * simTickUs;
    this.#note(0, 0, `phase: faults until ${formatTime(end)}`);
    const loop = (): void => {
      if (this.#phase !== "fault" || this.#queue.now >= end) return;
      this.#nemesis.act();
      this.#queue.after(this.#nemesis.nextDelayUs(), loop);
    };
    this.#queue.after(this.#nemesis.nextDelayUs(), loop);
    const healWhenIdle = (): void => {
      // A scripted schedule finishes first (its steps have their own time limits).
      if (this.#nemesis.busy) this.#queue.after(simTickUs, healWhenIdle);
      else this.#startHeal();
    };
    this.#queue.at(end, healWhenIdle);
  }

  /** Every fault ends: links open, calm weather, normal clocks, every crashed node restarts. */
  #startHeal(): void {
    this.#phase = "heal";
    this.#stats.heals++;
    this.network.heal();
    this.network.weather = { ...calmWeather, delayMaxUs: this.#profile.weather.delayMaxUs };
    this.#note(0, 0, "phase: heal (links open, calm weather, every node up)");
    for (const n of this.#sortedNodes()) {
      n.clockRate = 1;
      if (n.state === "down") this.restart(n.id, "heal");
    }
    this.#healStart = this.#queue.now;
    this.#probe = null;
    this.#probeApplied = false;
    this.#watchLiveness();
  }

  /** After a heal: a leader must emerge and commit a fresh entry (the probe) within the bound. */
  #watchLiveness(): void {
    if (this.#phase !== "heal") return;
    const now = this.#queue.now;
    const timeouts = this.#profile.core.preVote ? simLivenessElectionTimeouts : simLivenessElectionTimeoutsNoPreVote;
    const boundUs = timeouts * simElectionTicks * simTickUs;
    if (this.#probeApplied) {
      const took = now - this.#healStart;
      this.#stats.maxRecoveryUs = Math.max(this.#stats.maxRecoveryUs, took);
      this.#note(this.#probe?.node ?? 0, 0, `liveness: probe committed ${formatTime(took)} after the heal`);
      if (now < this.#profile.faultTimeUs) this.#startFaultPhase();
      else this.#startDrain();
      return;
    }
    if (now - this.#healStart > boundUs) {
      this.#halt("liveness", `no leader committed a new entry within ${formatTime(boundUs)} after the faults healed`, null);
    }
    const leader = this.leaderId();
    const probe = this.#probe;
    if (leader !== null) {
      const core = this.#node(leader).core as RaftCore;
      if (probe === null || probe.node !== leader || probe.term !== core.term) {
        const cmd: KvCommand = { kind: "probe", tag: String(++this.#probeSeq) };
        const res = this.#guard(this.#node(leader), "propose", () => core.propose([encodeCommand(cmd)]));
        if (res.ok) {
          this.#probe = { node: leader, index: res.firstIndex, term: res.term };
          this.#note(leader, 0, `liveness: probe ${cmd.tag} proposed at ${res.term}/${res.firstIndex}`);
        }
        this.#drain(this.#node(leader));
      }
    }
    this.#queue.after(simTickUs / 2, () => this.#watchLiveness());
  }

  /** The end: clients stop issuing; once every request has its answer (or timed out), the run is over. */
  #startDrain(): void {
    this.#phase = "drain";
    this.#note(0, 0, "phase: drain (clients finish)");
    this.#queue.after(simClientTimeoutUs + simTickUs, () => {
      this.#phase = "done";
    });
  }

  // =====================================================================================
  // Nodes: start, crash, restart, stop
  // =====================================================================================

  #createNode(bootstrapVoters: NodeId[] | null): SimNode {
    const id = this.#nextId++;
    const skew = this.#profile.clockSkew * (2 * this.rng.float() - 1);
    const bugs: PlantedBugs = this.#bug === null ? {} : { [this.#bug]: true };
    const config: RaftConfig = { ...this.#profile.core, id, seed: 0, bugs };
    if (bootstrapVoters !== null) config.bootstrapVoters = bootstrapVoters;
    const n = new SimNode(id, config, Math.round(simTickUs * (1 + skew)));
    this.#nodes.set(id, n);
    this.#boot(n, null);
    return n;
  }

  /** Starts (or restarts) a node's core from its disk. */
  #boot(n: SimNode, why: string | null): void {
    const initial = n.disk.initialState();
    n.incarnation++;
    n.kv = initial.snapshot === null ? new KvMachine() : KvMachine.fromSnapshot(initial.snapshot.data);
    const config: RaftConfig = { ...n.config, seed: this.rng.seed(), initial };
    n.core = this.#guard(n, "restart", () => new RaftCore(config));
    n.state = "up";
    n.clockRate = 1;
    this.#upDirty = true;
    this.#changed = true;
    const c = n.core;
    const s = initial.hardState;
    const text = `${why === null ? "start" : "restart"} ${n.id}: term=${s.term} vote=${s.vote} commit=${c.committedIndex} ` +
      `snapshot=${initial.snapshot?.meta.index ?? 0} last=${c.lastIndex}${why === null ? "" : ` (${why})`}`;
    this.#note(n.id, 0, text);
    if (why !== null) this.#timeline.push({ time: this.#queue.now, text });
    this.#scheduleTick(n);
    this.#drain(n);
  }

  crash(id: NodeId, why: string): void {
    const n = this.#node(id);
    if (n.state !== "up" || this.#phase !== "fault") return;
    const tear = this.rng.chance(this.#profile.tornChance);
    const torn = n.disk.crash((records) => (tear ? this.rng.between(0, records) : 0));
    this.#stats.crashes++;
    if (torn !== null) this.#stats.tornWrites++;
    this.#down(n, "down");
    const text = `crash ${id} (${why})${torn === null ? "" : `; torn write: ${torn.kept} of ${torn.of} records kept`}`;
    this.#note(id, 0, text);
    this.#timeline.push({ time: this.#queue.now, text });
  }

  restart(id: NodeId, why: string): void {
    const n = this.#node(id);
    if (n.state !== "down") return;
    this.#stats.restarts++;
    this.#checker.restarted(id);
    this.#boot(n, why);
  }

  /** The node applied its own removal: it stops for good. */
  #stop(n: SimNode): void {
    this.#down(n, "stopped");
    this.#note(n.id, 0, `${n.id} applied its own removal and stops`);
  }

  #down(n: SimNode, state: "down" | "stopped"): void {
    n.state = state;
    n.core = null;
    n.incarnation++;
    n.wantSnapshot = false;
    n.writes.clear();
    n.reads.clear();
    for (const req of n.requests) this.#queue.after(this.#clientDelay(), () => this.#giveUp(req, "connection lost"));
    n.requests.clear();
    this.#upDirty = true;
    this.#changed = true;
  }

  #scheduleTick(n: SimNode): void {
    const inc = n.incarnation;
    const interval = Math.max(1, Math.round(n.tickUs / n.clockRate));
    this.#queue.after(interval, () => {
      if (n.incarnation !== inc || n.state !== "up") return;
      const core = n.core as RaftCore;
      this.#trace.hashOnly(this.#queue.now, n.id);
      this.#guard(n, "tick", () => core.tick());
      this.#drain(n);
      this.#scheduleTick(n);
    });
  }

  // =====================================================================================
  // The shell: readies, persistence, messages, apply
  // =====================================================================================

  /** Carries out every ready the node has, in the order src/raft/types.ts (Ready) prescribes. */
  #drain(n: SimNode): void {
    while (n.state === "up") {
      const core = n.core as RaftCore;
      if (!this.#guard(n, "hasReady", () => core.hasReady())) break;
      const rd = this.#guard(n, "ready", () => core.ready());
      this.#changed = true;
      if (rd.softState !== null) this.#roleChanged(n, core, rd);
      if (rd.hardState !== null && core.role === "leader") this.#nemesis.onLeaderCommit(n.id, rd.hardState.commit);
      for (const m of rd.messages) this.#send(m);
      if (needsWrite(rd)) {
        n.disk.enqueue({ snapshot: rd.snapshot, entries: rd.entries, hardState: rd.hardState, afterPersist: rd.messagesAfterPersist, point: rd.persistPoint });
        if (!n.disk.busy) this.#startBatch(n);
      }
      // Applying may run before the write is durable: committed entries already are.
      const removed = this.#apply(n, rd);
      this.#guard(n, "advance", () => core.advance(rd));
      if (rd.wantSnapshot) n.wantSnapshot = true;
      if (removed) {
        this.#stop(n);
        return;
      }
    }
    this.#maybeSnapshot(n);
  }

  #roleChanged(n: SimNode, core: RaftCore, rd: Ready): void {
    const ss = rd.softState;
    assert(ss !== null, "a role change");
    const text = `${n.id} is ${ss.role} in term ${core.term}${ss.leaderId === 0 || ss.role === "leader" ? "" : ` (leader ${ss.leaderId})`}`;
    this.#note(n.id, 0, text);
    if (ss.role !== "leader") return;
    this.#stats.leadersElected++;
    this.#stats.maxTerm = Math.max(this.#stats.maxTerm, core.term);
    this.#timeline.push({ time: this.#queue.now, text });
    this.#nemesis.onLeader(n.id);
  }

  /** Group commit: every queued write of `n` goes into one batch, durable after one latency. */
  #startBatch(n: SimNode): void {
    n.disk.startBatch();
    const generation = n.disk.generation;
    const latency = this.rng.between(this.#profile.diskMinUs, this.#profile.diskMaxUs);
    this.#queue.after(latency, () => this.#persisted(n, generation));
  }

  /** The batch in flight on `n`'s disk is durable. */
  #persisted(n: SimNode, generation: number): void {
    if (n.disk.generation !== generation || n.state !== "up") return;
    const core = n.core as RaftCore;
    const jobs = n.disk.completeBatch();
    let snapshot: string | null = null;
    let point: string | null = null;
    let hard: string | null = null;
    for (const job of jobs) {
      if (job.snapshot !== null) snapshot = `${job.snapshot.meta.term}/${job.snapshot.meta.index}`;
      if (job.entries.length > 0 && job.point !== null) point = `${job.point.term}/${job.point.index}`;
      if (job.hardState !== null) hard = `term=${job.hardState.term} vote=${job.hardState.vote}`;
    }
    if (snapshot !== null || point !== null || hard !== null) {
      this.#note(n.id, 0, `${n.id} durable:${snapshot === null ? "" : ` snapshot ${snapshot}`}${point === null ? "" : ` entries to ${point}`}${hard === null ? "" : ` ${hard}`}`);
    }
    for (const job of jobs) {
      for (const m of job.afterPersist) this.#send(m);
      const p = job.point;
      if (p !== null) this.#guard(n, "onPersisted", () => core.onPersisted(p.index, p.term));
    }
    if (n.disk.pending > 0) this.#startBatch(n);
    this.#drain(n);
  }

  #send(m: Message): void {
    const fate = this.network.route(m.from, m.to);
    if (fate.kind !== "delivered") {
      if (fate.kind === "lost") this.#stats.messagesLost++;
      else this.#stats.messagesCut++;
      this.#trace.message(this.#queue.now, fate.kind, m);
      return;
    }
    for (const d of fate.delays) this.#queue.after(d, () => this.#deliver(m));
    if (m.type === "MsgVoteResp" && !m.reject) this.#nemesis.onVoteSent(m.from, m.to, m.term);
  }

  #deliver(m: Message): void {
    const n = this.#nodes.get(m.to);
    if (n === undefined || n.state !== "up") return;
    const core = n.core as RaftCore;
    this.#stats.messagesDelivered++;
    this.#trace.message(this.#queue.now, "deliver", m);
    this.#guard(n, "step", () => core.step(m));
    this.#drain(n);
  }

  /** Loads a ready's snapshot and applies its committed entries; true if the node applied its own removal. */
  #apply(n: SimNode, rd: Ready): boolean {
    let removed = false;
    const snap = rd.snapshot;
    if (snap !== null) {
      n.kv = KvMachine.fromSnapshot(snap.data);
      this.#stats.snapshotsInstalled++;
      this.#note(n.id, 0, `${n.id} loads snapshot ${snap.meta.term}/${snap.meta.index} (${snap.data.length} bytes)`);
      if (n.kv.applied !== snap.meta.index) {
        this.#halt("safety", `state machine: node ${n.id} got snapshot ${snap.meta.term}/${snap.meta.index} whose data covers index ${n.kv.applied}`, [n.id]);
      }
      this.#checkSnapshot(n, snap.meta.index, snap.data);
      // Our writes it covers may or may not be in it: their clients will time out (unknown).
      for (const index of [...n.writes.keys()]) if (index <= snap.meta.index) n.writes.delete(index);
    }
    // Newly committed entries are seen as committed (in this term) before they are applied, so
    // that leader completeness is checked against them too.
    if (rd.committedEntries.length > 0) {
      this.#checkSafety();
      this.#changed = true; // applying changes what the checker sees again
    }
    const problems = this.#checker.observeApplied(n.id, rd.committedEntries);
    if (problems.length > 0) this.#halt("safety", problems[0], [n.id]);
    for (const e of rd.committedEntries) {
      if (e.index !== n.kv.applied + 1) {
        this.#halt("safety", `state machine: node ${n.id} was handed entry ${e.term}/${e.index} to apply after ${n.kv.applied}`, [n.id]);
      }
      let result: KvResult = null;
      if (e.type === "normal") {
        const cmd = decodeCommand(e.data);
        result = n.kv.apply(e.index, cmd);
        const p = this.#probe;
        if (cmd.kind === "probe" && p !== null && p.index === e.index && p.term === e.term) this.#probeApplied = true;
      } else {
        n.kv.skip(e.index);
        if (e.type === "conf") {
          const change = decodeConfEntry(e.data).change;
          if (change !== null && change.type === "remove" && change.nodeId === n.id) removed = true;
        }
      }
      const seen = `${e.term}/${e.index} ${e.type} -> ${JSON.stringify(result)}`;
      const first = this.#results.get(e.index);
      if (first === undefined) this.#results.set(e.index, seen);
      else if (first !== seen) this.#halt("safety", `state machine: node ${n.id} applied ${seen} but another node applied ${first}`, [n.id]);
      const w = n.writes.get(e.index);
      if (w !== undefined) {
        n.writes.delete(e.index);
        // Another entry took the index: ours can never commit there.
        if (w.term !== e.term || e.type !== "normal") this.#reply(w.req, "fail", null, 0);
        else if (typeof result === "string" && result.startsWith("ERR")) this.#reply(w.req, "fail", null, 0);
        else this.#reply(w.req, "ok", result, 0);
      }
    }
    for (const rs of rd.readStates) {
      const r = n.reads.get(describeBytes(rs.ctx));
      if (r !== undefined && r.index === null) r.index = rs.index; // unknown or repeated ctx: ignored
    }
    if (n.reads.size > 0) this.#serveReads(n);
    return removed;
  }

  #serveReads(n: SimNode): void {
    for (const [ctx, r] of n.reads) {
      if (r.index === null || r.index > n.kv.applied) continue;
      n.reads.delete(ctx);
      this.#reply(r.req, "ok", n.kv.get(r.req.key), 0);
    }
  }

  /** Takes the snapshot the core asked for once no write is pending (so the disk holds what it covers). */
  #maybeSnapshot(n: SimNode): void {
    if (!n.wantSnapshot || n.state !== "up" || n.disk.pending > 0) return;
    const core = n.core as RaftCore;
    n.wantSnapshot = false;
    const index = n.kv.applied;
    const data = n.kv.snapshot();
    this.#checkSnapshot(n, index, data);
    this.#guard(n, "snapshotTaken", () => core.snapshotTaken(index, data));
    const snap = core.latestSnapshot();
    // Nothing new when a snapshot from the leader already covers this index.
    if (snap === null || snap.meta.index !== index || index <= (n.disk.stored.snapshot?.meta.index ?? 0)) return;
    n.disk.writeSnapshot(snap);
    this.#changed = true;
    this.#stats.snapshotsTaken++;
    this.#note(n.id, 0, `${n.id} took snapshot ${snap.meta.term}/${index}`);
  }

  #checkSnapshot(n: SimNode, index: number, data: Uint8Array): void {
    const known = this.#snapshots.get(index);
    if (known === undefined) {
      this.#snapshots.set(index, data);
      return;
    }
    if (known.length !== data.length || known.some((b, i) => b !== data[i])) {
      this.#halt("safety", `state machine: node ${n.id}'s state at index ${index} differs from another node's at the same index`, [n.id]);
    }
  }

  // =====================================================================================
  // Clients
  // =====================================================================================

  #issue(c: SimClient): void {
    if (this.#phase === "drain" || this.#phase === "done") return;
    const p = this.#profile;
    const isRead = this.rng.chance(c.readShare);
    const key = `k${this.rng.int(p.keys)}`;
    const known = this.liveIds();
    if (!known.includes(c.target)) c.target = this.rng.pick(known);
    const node = isRead && this.rng.chance(p.followerReadShare) ? this.rng.pick(known) : c.target;
    let input: KvInput;
    if (isRead) input = { kind: "get" };
    else {
      const r = this.rng.int(100);
      if (r < 45) input = { kind: "set", value: String(c.id * 1_000_000 + this.#recorder.size) };
      else if (r < 85) input = { kind: "incr", by: 1 };
      else input = { kind: "del" };
    }
    const op = this.#recorder.invoke(`c${c.id}@n${node}`, key, input, this.#queue.now);
    const req: ClientRequest = { client: c.id, op, key, input, node, done: false };
    this.#note(node, 0, `c${c.id} -> ${node}: op ${op} ${kvModel.describeOp(input, undefined).replace(" → ?", "")} ${key}`);
    this.#queue.after(this.#clientDelay(), () => this.#request(req));
    this.#queue.after(c.timeoutUs, () => this.#giveUp(req, "timeout"));
  }

  /** A request reaches its node. */
  #request(req: ClientRequest): void {
    if (req.done) return;
    const n = this.#nodes.get(req.node);
    if (n === undefined || n.state !== "up") {
      this.#reply(req, "fail", null, 0); // connection refused: it certainly did not happen
      return;
    }
    const core = n.core as RaftCore;
    n.requests.add(req);
    if (req.input.kind === "get") {
      const ctx = `r${n.id}.${n.incarnation}.${++n.readSeq}`;
      const res = this.#guard(n, "readIndex", () => core.readIndex(textEncoder.encode(ctx)));
      if (res.ok) n.reads.set(describeBytes(textEncoder.encode(ctx)), { req, index: null });
      else this.#reply(req, "fail", null, refusalHint(res));
    } else {
      const cmd = toCommand(`c${req.client}.${req.op}`, req.key, req.input);
      const res = this.#guard(n, "propose", () => core.propose([encodeCommand(cmd)]));
      if (res.ok) {
        // An older write of ours at that index was overwritten here; it may still commit
        // elsewhere, so its outcome stays unknown (its client times out).
        n.writes.set(res.firstIndex, { req, term: res.term });
        this.#note(n.id, 0, `${n.id} proposes op ${req.op} at ${res.term}/${res.firstIndex}`);
      } else {
        this.#reply(req, "fail", null, refusalHint(res));
      }
    }
    this.#drain(n);
  }

  /** The node answers; the client hears it after a delay (unless it gave up meanwhile). */
  #reply(req: ClientRequest, outcome: "ok" | "fail", output: KvOutput, hint: NodeId): void {
    this.#nodes.get(req.node)?.requests.delete(req);
    this.#queue.after(this.#clientDelay(), () => {
      if (req.done) return;
      req.done = true;
      const c = this.#clients[req.client - 1];
      const now = this.#queue.now;
      if (outcome === "ok") {
        this.#recorder.ok(req.op, output, now);
        this.#stats.opsOk++;
        if (req.input.kind === "get") this.#stats.readsOk++;
      } else {
        this.#recorder.fail(req.op, now);
        this.#stats.opsFailed++;
        if (hint !== 0) c.target = hint;
        else if (req.node === c.target) c.target = this.rng.pick(this.liveIds());
      }
      this.#note(req.node, 0, `c${c.id} <- ${req.node}: op ${req.op} ${outcome}${outcome === "ok" ? ` ${JSON.stringify(output)}` : ""}`);
      // Without a leader to try, back off for a few ticks rather than spin on refusals.
      this.#next(c, outcome === "fail" && hint === 0 ? this.rng.between(1, 3) * simTickUs : 0);
    });
  }

  /** The client stops waiting: a write's outcome is unknown, a read simply did not happen. */
  #giveUp(req: ClientRequest, why: string): void {
    if (req.done) return;
    req.done = true;
    const c = this.#clients[req.client - 1];
    if (req.input.kind === "get") {
      this.#recorder.fail(req.op, this.#queue.now);
      this.#stats.opsFailed++;
    } else {
      this.#recorder.unknown(req.op);
      this.#stats.opsUnknown++;
    }
    this.#note(req.node, 0, `c${c.id} gives up op ${req.op} (${why})`);
    c.target = this.rng.pick(this.liveIds());
    this.#next(c);
  }

  #next(c: SimClient, backoffUs = 0): void {
    this.#queue.after(backoffUs + this.rng.between(0, this.#profile.thinkMaxUs), () => this.#issue(c));
  }

  #clientDelay(): number {
    return this.rng.between(50, 1_000);
  }

  // =====================================================================================
  // NemesisHost
  // =====================================================================================

  now(): number {
    return this.#queue.now;
  }

  after(delayUs: number, run: () => void): void {
    this.#queue.after(delayUs, run);
  }

  inFaultPhase(): boolean {
    return this.#phase === "fault";
  }

  upIds(): NodeId[] {
    return this.#sortedNodes().filter((n) => n.state === "up").map((n) => n.id);
  }

  downIds(): NodeId[] {
    return this.#sortedNodes().filter((n) => n.state === "down").map((n) => n.id);
  }

  liveIds(): NodeId[] {
    return this.#sortedNodes().filter((n) => n.state !== "stopped").map((n) => n.id);
  }

  leaderId(): NodeId | null {
    let best: SimNode | null = null;
    for (const n of this.#sortedNodes()) {
      if (n.state !== "up" || n.core?.role !== "leader") continue;
      if (best === null || n.core.term > (best.core as RaftCore).term) best = n;
    }
    return best?.id ?? null;
  }

  roleOf(id: NodeId): Role | null {
    const n = this.#node(id);
    return n.state === "up" && n.core !== null ? n.core.role : null;
  }

  logEnd(id: NodeId): string | null {
    const n = this.#node(id);
    return n.state === "up" && n.core !== null ? `${n.core.termAt(n.core.lastIndex) ?? 0}/${n.core.lastIndex}` : null;
  }

  campaign(id: NodeId, why: string): void {
    const n = this.#node(id);
    if (n.state !== "up" || this.#phase !== "fault") return;
    const core = n.core as RaftCore;
    const res = this.#guard(n, "campaign", () => core.campaign());
    this.#note(id, 0, `${why}${res.ok ? "" : `: refused (${res.reason})`}`);
    this.#drain(n);
  }

  incarnation(id: NodeId): number {
    return this.#node(id).incarnation;
  }

  setClock(id: NodeId, rate: number): void {
    this.#node(id).clockRate = rate;
  }

  note(text: string): void {
    this.#note(0, 0, text);
    this.#timeline.push({ time: this.#queue.now, text });
  }

  transferLeadership(): void {
    const leader = this.leaderId();
    if (leader === null) return;
    const n = this.#node(leader);
    const core = n.core as RaftCore;
    const others = core.status().conf.voters.filter((v) => v !== leader);
    if (others.length === 0) return;
    const to = this.rng.pick(others);
    const res = this.#guard(n, "transferLeader", () => core.transferLeader(to));
    this.#stats.transfers++;
    this.#note(leader, to, `nemesis: transfer leadership ${leader} -> ${to}${res.ok ? "" : `: refused (${res.reason})`}`);
    this.#drain(n);
  }

  addLearner(): void {
    const leader = this.leaderId();
    if (leader === null || this.#nodes.size >= simNodesMax) return;
    const id = this.#nextId;
    this.#confChange(leader, "addLearner", id, () => this.#createNode(null));
  }

  promoteLearner(): void {
    const leader = this.leaderId();
    if (leader === null) return;
    const learners = (this.#node(leader).core as RaftCore).status().conf.learners;
    if (learners.length > 0) this.#confChange(leader, "promote", this.rng.pick(learners), null);
  }

  removeMember(removeLeader: boolean): void {
    const leader = this.leaderId();
    if (leader === null) return;
    const conf = (this.#node(leader).core as RaftCore).status().conf;
    if (conf.voters.length <= simVotersMin) return;
    const others = [...conf.voters, ...conf.learners].filter((v) => v !== leader);
    const target = removeLeader ? leader : others.length > 0 ? this.rng.pick(others) : leader;
    this.#confChange(leader, "remove", target, null);
  }

  #confChange(leader: NodeId, type: "addLearner" | "promote" | "remove", nodeId: NodeId, onOk: (() => void) | null): void {
    const n = this.#node(leader);
    const core = n.core as RaftCore;
    const context = textEncoder.encode(`node${nodeId}`);
    const res = this.#guard(n, "proposeConfChange", () => core.proposeConfChange({ type, nodeId, context }));
    this.#stats.confChangesProposed++;
    this.#note(leader, nodeId, `nemesis: ${type} ${nodeId} at leader ${leader}: ${res.ok ? `proposed at ${res.term}/${res.firstIndex}` : `refused (${describeRefusal(res)})`}`);
    this.#drain(n);
    if (res.ok && onOk !== null) onOk();
  }

  // =====================================================================================
  // Checks and reports
  // =====================================================================================

  #checkSafety(): void {
    if (!this.#changed) return;
    this.#changed = false;
    if (this.#upDirty) {
      this.#upCores = this.#sortedNodes()
        .filter((n) => n.state === "up")
        .map((n) => n.core as RaftCore);
      this.#upDirty = false;
    }
    const problems = this.#checker.check(this.#upCores);
    if (problems.length > 0) this.#halt("safety", problems[0], idsIn(problems[0]));
  }

  #checkHistory(): Violation | null {
    const history = this.#recorder.history();
    const result = checkLinearizability(kvModel, history, { stepsMax: simCheckStepsMax });
    this.#stats.uncheckedKeys = result.unknownKeys.length;
    const anomaly = result.anomalies[0];
    if (anomaly === undefined) return null;
    const until = anomaly.explanation?.culprit.op.complete ?? Infinity;
    const events = this.#timeline.filter((e) => e.time <= until).slice(-simTimelineShown);
    const details = [
      "(operation times are simulated microseconds)",
      ...formatNonLinearizable(kvModel, anomaly),
      `elections and faults up to the culprit's completion (last ${simTimelineShown}):`,
      ...events.map((e) => `  ${formatTime(e.time).padStart(9)} ${e.text}`),
    ];
    return { kind: "linearizability", summary: `key ${JSON.stringify(anomaly.key)} is not linearizable`, details };
  }

  /** Runs a core call; anything it throws is a violation (an assertion: the node's state is broken). */
  #guard<T>(n: SimNode, what: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof Halt) throw e;
      const text = e instanceof Error ? `${e.message}${e.name === "AssertionError" ? "" : `\n${e.stack ?? ""}`}` : String(e);
      this.#halt("assertion", `node ${n.id}: ${what}: ${text}`, [n.id]);
    }
  }

  #halt(kind: ViolationKind, summary: string, nodes: NodeId[] | null): never {
    const details = [
      `at ${formatTime(this.#queue.now)}; last events${nodes === null ? "" : ` of node${nodes.length === 1 ? "" : "s"} ${nodes.join(", ")}`}:`,
      ...this.#trace.last(simTraceLinesShown, nodes).map((l) => `  ${l}`),
      `elections and faults (last ${simTimelineShown}):`,
      ...this.#timeline.slice(-simTimelineShown).map((e) => `  ${formatTime(e.time).padStart(9)} ${e.text}`),
      "nodes:",
      ...this.#sortedNodes().map((n) => `  ${this.#describeNode(n)}`),
    ];
    throw new Halt({ kind, summary, details });
  }

  #describeNode(n: SimNode): string {
    if (n.state !== "up" || n.core === null) {
      const st = n.disk.stored;
      const last = st.entries.length > 0 ? st.entries[st.entries.length - 1].index : (st.snapshot?.meta.index ?? 0);
      return `${n.id}: ${n.state} (disk: term=${st.hardState.term} vote=${st.hardState.vote} last=${last})`;
    }
    const c = n.core;
    const s = c.status();
    let line = `${n.id}: ${c.role} term=${c.term} lead=${c.leaderId} commit=${c.committedIndex} applied=${c.appliedIndex} persisted=${s.persisted} last=${c.lastIndex} snapshot=${c.firstIndex - 1} ${describeConf(s.conf)}`;
    if (n.disk.pending > 0) line += ` (${n.disk.pending} writes pending)`;
    for (const p of s.progress) {
      line += `\n      ${p.id}: match=${p.match} next=${p.next} ${p.state}${p.isLearner ? " learner" : ""} inflight=${p.inflight}${p.recentActive ? "" : " inactive"}`;
      if (p.state === "snapshot") line += ` snapshot=${p.pendingSnapshot} acked=${p.snapshotAckedBytes}`;
    }
    return line;
  }

  #note(a: NodeId, b: NodeId, text: string): void {
    this.#trace.note(this.#queue.now, a, b, text);
  }

  #node(id: NodeId): SimNode {
    const n = this.#nodes.get(id);
    assert(n !== undefined, `node ${id} exists`);
    return n;
  }

  #sortedNodes(): SimNode[] {
    return [...this.#nodes.values()]; // inserted in id order
  }
}

function needsWrite(rd: Ready): boolean {
  // A ready with only messagesAfterPersist still goes through the queue: those messages may
  // acknowledge entries of an earlier ready whose write is not durable yet.
  return rd.snapshot !== null || rd.entries.length > 0 || rd.hardState !== null || rd.messagesAfterPersist.length > 0 || rd.persistPoint !== null;
}

function toCommand(tag: string, key: string, input: KvInput): KvCommand {
  switch (input.kind) {
    case "set":
      return { kind: "set", tag, key, value: input.value };
    case "incr":
      return { kind: "incr", tag, key, by: input.by ?? 1 };
    case "del":
      return { kind: "del", tag, key };
    default:
      throw new Error(`not a write: ${input.kind}`);
  }
}

function refusalHint(r: Refusal): NodeId {
  return r.reason === "notLeader" ? r.leaderId : 0;
}

function describeRefusal(r: Refusal): string {
  switch (r.reason) {
    case "notLeader":
      return `not leader, leader ${r.leaderId}`;
    case "transferInProgress":
      return `transfer to ${r.transferee} in progress`;
    case "confChangeRefused":
    case "transferRefused":
      return r.why;
    default:
      return r.reason;
  }
}

/** Node ids named in a violation text ("node 3", "nodes 1 and 2", "leaders, 1 and 2"). */
function idsIn(text: string): NodeId[] | null {
  const ids = new Set<NodeId>();
  for (const m of text.matchAll(/\b(?:node|nodes|leader|leaders,?|and)\s+(\d+)/g)) ids.add(Number(m[1]));
  return ids.size === 0 ? null : [...ids].sort((a, b) => a - b);
}
