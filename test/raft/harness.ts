// An in-memory cluster of real RaftCores driven by scenario commands (etcd-io/raft's
// InteractionEnv, our dialect). Each node has a storage (what survived its last persist), a tiny
// key-value state machine ("k=v" entries) and an outbox; the network is one FIFO list of messages
// in flight. Nothing moves unless a command says so, so every trace is exact.
//
// Persistence: a node persists each ready at once (persist=sync, the default) or only on
// `persist N` (persist=manual), which shows what waits for the disk. `restart N` rebuilds a node
// from its storage: whatever was not persisted is lost.
// Partitions drop messages crossing them when they are sent (they still show in the sender's ready).
// After every step the SafetyChecker looks at all nodes; violations and assertion failures
// ("panic") are printed where they happen.
//
// Commands (ids are node ids; lists are written (1,2,3)):
//   add-nodes N [voters=(..)] [prevote= checkquorum= election= heartbeat= inflight= inflight-bytes=
//             max-msg-bytes= max-uncommitted= snapshot-entries= chunk-bytes= auto-promote=
//             persist=sync|manual bugs=(name,..) seed=]   N new nodes; bootstrapped when voters=
//   campaign ID | propose ID data.. | read-index ID CTX | transfer-leader ID TO
//   add-learner ID NODE | promote ID NODE | remove ID NODE      (a conf change proposed at ID)
//   report-unreachable ID PEER | compact ID [INDEX=applied] | restart ID
//   tick [IDS] [n=K] | tick-heartbeat [IDS] | tick-election [IDS] (exactly up to the timeout)
//   process-ready [IDS] | persist [IDS] | stabilize [IDS]
//   deliver-msgs [TO..] [drop=(..)] [from=(..)] [type=MsgX] [n=K] [loss=% dup=% shuffle=true]
//   drop-msgs (same filters) | partition A B / C D | heal
//   raft-log ID | status [IDS] | raft-state | kv [IDS] | msgs

import { decodeConfEntry } from "../../src/raft/conf-entry.ts";
import { describeBytes, describeConf, describeEntry, describeMessage, describeReady } from "../../src/raft/describe.ts";
import { SafetyChecker } from "../../src/raft/invariants.ts";
import { RaftCore } from "../../src/raft/raft.ts";
import {
  plantedBugNames,
  type ConfChangeType,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type PlantedBugs,
  type RaftConfig,
  type Ready,
  type Refusal,
  type Snapshot,
} from "../../src/raft/types.ts";
import { Rng } from "../../src/engine/rng.ts";
import { AssertionError } from "../../src/util/assert.ts";

export interface Command {
  name: string;
  /** Positional arguments (a lone "/" separates partition groups). */
  args: string[];
  /** key=value options; lists are written (1,2,3). */
  opts: Map<string, string>;
  /** Every word after the command name, as written (propose takes its data from here). */
  words: string[];
}

export function parseCommand(line: string): Command {
  const words = line.trim().split(/\s+/);
  const args: string[] = [];
  const opts = new Map<string, string>();
  for (const w of words.slice(1)) {
    const eq = w.indexOf("=");
    if (eq > 0 && optionKeys.has(w.slice(0, eq))) {
      opts.set(w.slice(0, eq), w.slice(eq + 1));
    } else {
      args.push(w);
    }
  }
  return { name: words[0], args, opts, words: words.slice(1) };
}

/** Option keys are known words; anything else with "=" (like k=v data) is an argument. */
const optionKeys = new Set([
  "voters",
  "prevote",
  "checkquorum",
  "election",
  "heartbeat",
  "inflight",
  "inflight-bytes",
  "max-msg-bytes",
  "max-uncommitted",
  "snapshot-entries",
  "chunk-bytes",
  "auto-promote",
  "persist",
  "bugs",
  "seed",
  "drop",
  "from",
  "type",
  "n",
  "loss",
  "dup",
  "shuffle",
]);

interface Storage {
  hardState: HardState;
  snapshot: Snapshot | null;
  entries: Entry[];
}

interface PersistJob {
  rd: Ready;
}

class Node {
  core: RaftCore;
  crashed = false;
  storage: Storage = { hardState: { term: 0, vote: 0, commit: 0 }, snapshot: null, entries: [] };
  kv = new Map<string, string>();
  /** Index of the last entry applied to kv (or of the loaded snapshot). */
  applied = 0;
  pending: PersistJob[] = [];

  constructor(
    readonly id: NodeId,
    readonly config: RaftConfig,
    readonly manualPersist: boolean,
  ) {
    this.core = new RaftCore(config);
  }
}

export class Harness {
  readonly #nodes = new Map<NodeId, Node>();
  #inFlight: Message[] = [];
  #groups: NodeId[][] | null = null;
  readonly #checker = new SafetyChecker();
  readonly #reported = new Set<string>();
  #out: string[] = [];
  /** Violations and panics seen: a scenario without planted bugs must have none. */
  readonly problems: string[] = [];
  bugsPlanted = false;
  /** Drives the random network options (loss=, dup=, shuffle=); scenarios that use none never draw. */
  readonly #rng: Rng;

  constructor(seed = 1) {
    this.#rng = new Rng(seed);
  }

  /** Leaders as their cores see themselves (more than one only across terms). */
  leaders(): { id: NodeId; term: number; committedInTerm: boolean; commit: number }[] {
    const out: { id: NodeId; term: number; committedInTerm: boolean; commit: number }[] = [];
    for (const n of this.#nodes.values()) {
      if (n.crashed || n.core.role !== "leader") continue;
      const s = n.core.status();
      out.push({ id: n.id, term: s.term, committedInTerm: s.committedInTerm, commit: s.commit });
    }
    return out.sort((a, b) => b.term - a.term);
  }

  nodeIds(): NodeId[] {
    return [...this.#nodes.keys()].sort((a, b) => a - b);
  }

  core(id: NodeId): RaftCore {
    return this.#node(String(id)).core;
  }

  run(cmd: Command): string {
    this.#out = [];
    try {
      this.#dispatch(cmd);
    } catch (e) {
      if (e instanceof ScenarioError) this.#print(`error: ${e.message}`);
      else throw e;
    }
    return this.#out.join("\n");
  }

  #print(line: string): void {
    this.#out.push(line);
  }

  #dispatch(cmd: Command): void {
    switch (cmd.name) {
      case "add-nodes":
        return this.#addNodes(cmd);
      case "campaign":
        return this.#call(this.#node(cmd.args[0]), (c) => c.campaign());
      case "propose": {
        const node = this.#node(cmd.args[0]);
        const datas = cmd.words.slice(1).map((s) => new TextEncoder().encode(s));
        return this.#call(node, (c) => c.propose(datas));
      }
      case "add-learner":
      case "promote":
      case "remove":
        return this.#confChange(cmd);
      case "read-index": {
        const node = this.#node(cmd.args[0]);
        const ctx = new TextEncoder().encode(cmd.args[1] ?? "");
        return this.#call(node, (c) => c.readIndex(ctx));
      }
      case "transfer-leader": {
        const node = this.#node(cmd.args[0]);
        const to = Number(cmd.args[1]);
        return this.#call(node, (c) => c.transferLeader(to));
      }
      case "report-unreachable": {
        const node = this.#node(cmd.args[0]);
        return this.#call(node, (c) => (c.reportUnreachable(Number(cmd.args[1])), { ok: true as const }));
      }
      case "tick":
        return this.#tick(cmd, "n");
      case "tick-heartbeat":
        return this.#tick(cmd, "heartbeat");
      case "tick-election":
        return this.#tick(cmd, "election");
      case "process-ready":
        for (const n of this.#select(cmd.args)) this.#processReady(n);
        return;
      case "persist":
        for (const n of this.#select(cmd.args)) this.#persistPending(n);
        return;
      case "deliver-msgs":
        this.#deliver(cmd, true);
        return;
      case "drop-msgs":
        this.#deliver(cmd, false);
        return;
      case "stabilize":
        return this.#stabilize(this.#select(cmd.args));
      case "partition":
        return this.#partition(cmd.args);
      case "heal":
        this.#groups = null;
        return;
      case "compact":
        return this.#compact(cmd);
      case "restart":
        return this.#restart(this.#node(cmd.args[0]));
      case "raft-log":
        return this.#raftLog(this.#node(cmd.args[0]));
      case "status":
        for (const n of this.#select(cmd.args)) this.#status(n);
        return;
      case "raft-state":
        return this.#raftState();
      case "kv":
        for (const n of this.#select(cmd.args)) {
          const pairs = [...n.kv.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`);
          this.#print(`${n.id}: applied=${n.applied} ${pairs.length > 0 ? pairs.join(" ") : "(empty)"}`);
        }
        return;
      case "msgs":
        for (const m of this.#inFlight) this.#print(describeMessage(m));
        return;
      default:
        throw new ScenarioError(`unknown command ${cmd.name}`);
    }
  }

  // ---- nodes ----

  #addNodes(cmd: Command): void {
    const count = Number(cmd.args[0] ?? "1");
    const voters = listOpt(cmd.opts.get("voters"));
    const bugs: PlantedBugs = {};
    for (const b of listOptStrings(cmd.opts.get("bugs"))) {
      if (!(plantedBugNames as readonly string[]).includes(b)) throw new ScenarioError(`unknown bug ${b}`);
      bugs[b as keyof PlantedBugs] = true;
      this.bugsPlanted = true;
    }
    for (let i = 0; i < count; i++) {
      const id = this.#nodes.size + 1;
      const config: RaftConfig = {
        id,
        seed: Number(cmd.opts.get("seed") ?? "0") * 1000 + id,
        preVote: boolOpt(cmd.opts.get("prevote"), true),
        checkQuorum: boolOpt(cmd.opts.get("checkquorum"), true),
        electionTicks: numOpt(cmd.opts.get("election"), 10),
        heartbeatTicks: numOpt(cmd.opts.get("heartbeat"), 1),
        maxInflightMsgs: numOpt(cmd.opts.get("inflight"), 256),
        maxInflightBytes: numOpt(cmd.opts.get("inflight-bytes"), 0),
        maxSizePerMsgBytes: numOpt(cmd.opts.get("max-msg-bytes"), 1024 * 1024),
        maxUncommittedBytes: numOpt(cmd.opts.get("max-uncommitted"), 1 << 30),
        snapshotThresholdEntries: numOpt(cmd.opts.get("snapshot-entries"), 0),
        snapshotThresholdBytes: 0,
        snapshotChunkBytes: numOpt(cmd.opts.get("chunk-bytes"), 1024),
        autoPromote: boolOpt(cmd.opts.get("auto-promote"), false),
        bootstrapVoters: voters,
        bugs,
      };
      const node = new Node(id, config, cmd.opts.get("persist") === "manual");
      this.#nodes.set(id, node);
      // The bootstrap entry is written and applied before the scenario starts.
      while (node.core.hasReady()) {
        const rd = node.core.ready();
        this.#persist(node, rd);
        this.#apply(node, rd);
      }
      const s = node.core.status();
      this.#print(`${id}: term=${s.term} commit=${s.commit} last=${s.lastIndex} ${describeConf(s.conf)}`);
    }
    this.#checkInvariants();
  }

  #node(arg: string | undefined): Node {
    const n = this.#nodes.get(Number(arg));
    if (n === undefined) throw new ScenarioError(`no node ${arg}`);
    return n;
  }

  /** The nodes named (all when none), in id order. */
  #select(args: string[]): Node[] {
    if (args.length === 0) return [...this.#nodes.values()].sort((a, b) => a.id - b.id);
    return args.map((a) => this.#node(a));
  }

  /** Runs `fn` on a node's core; an assertion failure crashes the node (printed as panic). */
  #guard(node: Node, fn: (core: RaftCore) => void): boolean {
    if (node.crashed) {
      this.#print(`${node.id} is crashed`);
      return false;
    }
    try {
      fn(node.core);
      return true;
    } catch (e) {
      if (!(e instanceof AssertionError)) throw e;
      node.crashed = true;
      this.#problem(`panic on node ${node.id}: ${e.message}`);
      return false;
    } finally {
      this.#checkInvariants();
    }
  }

  #call(node: Node, fn: (core: RaftCore) => { ok: true } | Refusal | { ok: true; firstIndex: number; term: number }): void {
    this.#guard(node, (core) => {
      const r = fn(core);
      if (!r.ok) this.#print(`refused: ${describeRefusal(r)}`);
      else if ("firstIndex" in r) this.#print(`ok ${r.term}/${r.firstIndex}`);
    });
  }

  #confChange(cmd: Command): void {
    const node = this.#node(cmd.args[0]);
    const nodeId = Number(cmd.args[1]);
    const type: ConfChangeType = cmd.name === "add-learner" ? "addLearner" : cmd.name === "promote" ? "promote" : "remove";
    const context = new TextEncoder().encode(type === "addLearner" ? `addr${nodeId}` : "");
    this.#call(node, (c) => c.proposeConfChange({ type, nodeId, context }));
  }

  #tick(cmd: Command, mode: "n" | "heartbeat" | "election"): void {
    for (const node of this.#select(cmd.args)) {
      const s = node.core.status();
      let n = numOpt(cmd.opts.get("n"), 1);
      if (mode === "heartbeat") n = node.config.heartbeatTicks ?? 1;
      if (mode === "election") {
        // Exactly enough ticks to reach this node's (randomized) timeout.
        const timeout = s.role === "leader" ? (node.config.electionTicks ?? 10) : s.randomizedElectionTimeout;
        n = Math.max(1, timeout - s.electionElapsed);
      }
      for (let i = 0; i < n; i++) if (!this.#guard(node, (c) => c.tick())) break;
    }
  }

  // ---- ready, persist, apply ----

  #processReady(node: Node): boolean {
    if (node.crashed || !node.core.hasReady()) return false;
    let rd: Ready | null = null;
    this.#guard(node, (c) => {
      rd = c.ready();
    });
    if (rd === null) return false;
    const ready: Ready = rd;
    this.#print(`> ${node.id} handling Ready`);
    for (const line of describeReady(ready)) this.#print(`  ${line}`);
    this.#send(ready.messages);
    if (node.manualPersist && (ready.hardState !== null || ready.entries.length > 0 || ready.snapshot !== null || ready.messagesAfterPersist.length > 0)) {
      node.pending.push({ rd: ready });
      this.#print(`  (persist pending)`);
    } else {
      this.#persist(node, ready);
    }
    this.#apply(node, ready);
    return true;
  }

  #persist(node: Node, rd: Ready): void {
    const st = node.storage;
    if (rd.snapshot !== null) {
      st.snapshot = rd.snapshot;
      st.entries = [];
    }
    if (rd.entries.length > 0) {
      const from = rd.entries[0].index;
      st.entries = st.entries.filter((e) => e.index < from).concat(rd.entries);
    }
    if (rd.hardState !== null) st.hardState = rd.hardState;
    this.#send(rd.messagesAfterPersist);
    const p = rd.persistPoint;
    if (p !== null) this.#guard(node, (c) => c.onPersisted(p.index, p.term));
  }

  #persistPending(node: Node): void {
    const jobs = node.pending;
    node.pending = [];
    for (const job of jobs) {
      const p = job.rd.persistPoint;
      this.#print(`> ${node.id} persisted${p === null ? " hard state" : ` up to ${p.term}/${p.index}`}`);
      for (const m of job.rd.messagesAfterPersist) this.#print(`  ${describeMessage(m)}`);
      this.#persist(node, job.rd);
    }
  }

  #apply(node: Node, rd: Ready): void {
    if (rd.snapshot !== null) {
      node.kv = decodeKv(rd.snapshot.data);
      node.applied = rd.snapshot.meta.index;
    }
    for (const e of rd.committedEntries) {
      if (e.type === "normal") {
        const text = new TextDecoder().decode(e.data);
        const eq = text.indexOf("=");
        node.kv.set(eq < 0 ? text : text.slice(0, eq), eq < 0 ? "" : text.slice(eq + 1));
      } else if (e.type === "conf") {
        decodeConfEntry(e.data); // the shell would learn addresses here
      }
      node.applied = e.index;
    }
    for (const v of this.#checker.observeApplied(node.id, rd.committedEntries)) this.#problem(v);
    this.#guard(node, (c) => c.advance(rd));
  }

  #compact(cmd: Command): void {
    const node = this.#node(cmd.args[0]);
    const index = cmd.args[1] === undefined ? node.applied : Number(cmd.args[1]);
    if (index > node.applied) throw new ScenarioError(`node ${node.id} applied only up to ${node.applied}`);
    // The kv state at `index`: only the current state exists, so compact at the applied index.
    if (index !== node.applied) throw new ScenarioError("compact takes the applied index");
    const data = encodeKv(node.kv);
    this.#guard(node, (c) => c.snapshotTaken(index, data));
    const snap = node.core.latestSnapshot();
    if (snap !== null && snap.meta.index === index) {
      node.storage.snapshot = snap;
      node.storage.entries = node.storage.entries.filter((e) => e.index > index);
      this.#print(`${node.id}: snapshot ${snap.meta.term}/${snap.meta.index} ${describeConf(snap.meta.conf)} data=${describeBytes(snap.data)}`);
    }
  }

  #restart(node: Node): void {
    node.pending = [];
    node.crashed = false;
    const st = node.storage;
    node.core = new RaftCore({ ...node.config, bootstrapVoters: node.config.bootstrapVoters, initial: { hardState: st.hardState, snapshot: st.snapshot, entries: st.entries } });
    node.kv = st.snapshot === null ? new Map() : decodeKv(st.snapshot.data);
    node.applied = st.snapshot?.meta.index ?? 0;
    this.#checker.restarted(node.id);
    const s = node.core.status();
    this.#print(`${node.id}: restarted term=${s.term} vote=${s.vote} commit=${s.commit} last=${s.lastIndex} ${describeConf(s.conf)}`);
    this.#checkInvariants();
  }

  // ---- network ----

  #send(msgs: Message[]): void {
    for (const m of msgs) {
      if (this.#groups !== null && this.#groupOf(m.from) !== this.#groupOf(m.to)) continue;
      this.#inFlight.push(m);
    }
  }

  #groupOf(id: NodeId): number {
    const groups = this.#groups as NodeId[][];
    const i = groups.findIndex((g) => g.includes(id));
    return i < 0 ? groups.length : i;
  }

  #partition(args: string[]): void {
    const groups: NodeId[][] = [[]];
    for (const a of args) {
      if (a === "/") groups.push([]);
      else groups[groups.length - 1].push(Number(a));
    }
    this.#groups = groups;
  }

  #deliver(cmd: Command, deliver: boolean): void {
    const to = cmd.args.map(Number);
    const dropTo = listOpt(cmd.opts.get("drop"));
    const from = listOpt(cmd.opts.get("from"));
    const type = cmd.opts.get("type");
    const selected: Message[] = [];
    const rest: Message[] = [];
    let limit = numOpt(cmd.opts.get("n"), Infinity);
    for (const m of this.#inFlight) {
      const match = limit > 0 && (to.length === 0 || to.includes(m.to) || dropTo.includes(m.to)) && (from.length === 0 || from.includes(m.from)) && (type === undefined || m.type === type);
      if (match) limit--;
      (match ? selected : rest).push(m);
    }
    this.#inFlight = rest;
    // Random faults (fuzzing): lose or duplicate each message with the given percentages, and
    // deliver in a random order.
    const loss = numOpt(cmd.opts.get("loss"), 0);
    const dup = numOpt(cmd.opts.get("dup"), 0);
    let batch: Message[] = [];
    for (const m of selected) {
      if (loss > 0 && this.#rng.nextInt(100) < loss) continue;
      batch.push(m);
      if (dup > 0 && this.#rng.nextInt(100) < dup) batch.push(m);
    }
    if (cmd.opts.get("shuffle") === "true") {
      for (let i = batch.length - 1; i > 0; i--) {
        const j = this.#rng.nextInt(i + 1);
        [batch[i], batch[j]] = [batch[j], batch[i]];
      }
    }
    this.#deliverMessages(batch, (m) => deliver && !dropTo.includes(m.to));
  }

  #deliverMessages(msgs: Message[], keep: (m: Message) => boolean): void {
    let current: NodeId = 0;
    for (const m of msgs) {
      const node = this.#nodes.get(m.to);
      if (!keep(m)) {
        this.#print(`dropped: ${describeMessage(m)}`);
        continue;
      }
      if (node === undefined || node.crashed) continue;
      if (m.to !== current) {
        this.#print(`> ${m.to} receiving messages`);
        current = m.to;
      }
      this.#print(`  ${describeMessage(m)}`);
      this.#guard(node, (c) => c.step(m));
    }
  }

  #stabilize(nodes: Node[]): void {
    const ids = new Set(nodes.map((n) => n.id));
    for (let round = 0; ; round++) {
      if (round > 1000) throw new ScenarioError("stabilize did not settle");
      let progress = false;
      for (const n of nodes) if (this.#processReady(n)) progress = true;
      const selected = this.#inFlight.filter((m) => ids.has(m.to));
      this.#inFlight = this.#inFlight.filter((m) => !ids.has(m.to));
      if (selected.length > 0) {
        progress = true;
        this.#deliverMessages(selected, () => true);
      }
      if (!progress) return;
    }
  }

  // ---- inspection ----

  #raftLog(node: Node): void {
    const c = node.core;
    if (c.firstIndex > 1) this.#print(`snapshot ${c.termAt(c.firstIndex - 1)}/${c.firstIndex - 1}`);
    const entries = c.logEntries(c.firstIndex, c.lastIndex + 1);
    if (entries.length === 0) this.#print("log is empty");
    for (const e of entries) this.#print(describeEntry(e));
  }

  #status(node: Node): void {
    const s = node.core.status();
    this.#print(
      `${s.id}: ${s.role} term=${s.term} vote=${s.vote} lead=${s.leaderId} commit=${s.commit} applied=${s.applied} persisted=${s.persisted} last=${s.lastIndex} snapshot=${s.snapshotTerm}/${s.snapshotIndex} ticks=${s.electionElapsed}/${s.role === "leader" ? (node.config.electionTicks ?? 10) : s.randomizedElectionTimeout}${s.leadTransferee !== 0 ? ` transferee=${s.leadTransferee}` : ""}`,
    );
    this.#print(`  ${describeConf(s.conf)}`);
    for (const p of s.progress) {
      let line = `  ${p.id}: match=${p.match} next=${p.next} ${p.state}`;
      if (p.isLearner) line += " learner";
      if (p.inflight > 0) line += ` inflight=${p.inflight}`;
      if (p.state === "snapshot") line += ` snapshot=${p.pendingSnapshot} acked=${p.snapshotAckedBytes}`;
      if (p.id !== s.id && !p.recentActive) line += " inactive";
      this.#print(line);
    }
  }

  #raftState(): void {
    for (const n of this.#select([])) {
      const s = n.core.status();
      this.#print(`${s.id}: ${s.role} term=${s.term} lead=${s.leaderId} commit=${s.commit} applied=${s.applied} last=${s.lastIndex}${n.crashed ? " crashed" : ""}`);
    }
  }

  // ---- safety ----

  #checkInvariants(): void {
    const live = [...this.#nodes.values()].filter((n) => !n.crashed).map((n) => n.core);
    for (const v of this.#checker.check(live)) this.#problem(v);
  }

  #problem(text: string): void {
    if (this.#reported.has(text)) return;
    this.#reported.add(text);
    this.problems.push(text);
    this.#print(`VIOLATION ${text}`);
  }
}

class ScenarioError extends Error {}

function describeRefusal(r: Refusal): string {
  switch (r.reason) {
    case "notLeader":
      return `not leader (leader ${r.leaderId})`;
    case "transferInProgress":
      return `leadership transfer to ${r.transferee} in progress`;
    case "uncommittedLimit":
      return "too many uncommitted bytes";
    case "confChangeRefused":
    case "transferRefused":
      return r.why;
    case "readQueueFull":
      return "read queue full";
    case "notVoter":
      return "not a voter";
  }
}

function listOpt(v: string | undefined): number[] {
  return listOptStrings(v).map(Number);
}

function listOptStrings(v: string | undefined): string[] {
  if (v === undefined) return [];
  const inner = v.replace(/^\(/, "").replace(/\)$/, "").trim();
  return inner === "" ? [] : inner.split(",").map((s) => s.trim());
}

function boolOpt(v: string | undefined, dflt: boolean): boolean {
  return v === undefined ? dflt : v === "true";
}

function numOpt(v: string | undefined, dflt: number): number {
  return v === undefined ? dflt : Number(v);
}

function encodeKv(kv: Map<string, string>): Uint8Array {
  const pairs = [...kv.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`);
  return new TextEncoder().encode(pairs.join(";"));
}

function decodeKv(data: Uint8Array): Map<string, string> {
  const kv = new Map<string, string>();
  const text = new TextDecoder().decode(data);
  if (text === "") return kv;
  for (const pair of text.split(";")) {
    const eq = pair.indexOf("=");
    kv.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return kv;
}
