// A raftis node (DESIGN §1): the main thread (this file's RaftNode, the server and the state
// machine), the Raft worker and the storage worker, wired by SharedArrayBuffer rings for the hot
// path and comlink for the control plane. start() recovers what --dir holds, or initializes a
// cluster (--init / RAFT.CLUSTER INIT), then serves.

import * as Comlink from "comlink";
import type { StartOptions } from "../config/cli.ts";
import type { Settings } from "../config/settings.ts";
import type { DiskCrashPoint } from "../chaos/disk-fault.ts";
import { commandTable } from "../commands/index.ts";
import { ringPersistedBytes, raftUncommittedBytesMaxDefault } from "../constants.ts";
import type { Entry, HardState, RaftConfig, Refusal, Snapshot } from "../raft/types.ts";
import { createDoorbell } from "../ring/doorbell.ts";
import { createRingBuffer } from "../ring/layout.ts";
import { RingConsumer } from "../ring/consumer.ts";
import { RingProducer } from "../ring/producer.ts";
import { Server } from "../server/server.ts";
import type { RecoveredState } from "../storage/types.ts";
import { assert } from "../util/assert.ts";
import { log } from "../util/log.ts";
import type { RaftWorkerApi } from "../../workers/raft.worker.ts";
import type { StorageWorkerApi } from "../../workers/storage.worker.ts";
import { ChannelReceiver, ChannelSender } from "./channel.ts";
import { decodeConfState, encodeConfState } from "./conf-state-codec.ts";
import { raftInfo, type PeerView } from "./raft-info.ts";
import { RaftExecutor, raftErrors } from "./raft-executor.ts";
import { RespClient } from "../client/resp-client.ts";
import { showReply } from "../resp/reply-parser.ts";
import { encodeAddress, type MemberAddress } from "./members.ts";
import { mkdirSync, readdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { decodeNodeSnapshot } from "./snapshot-codec.ts";
import { SnapshotWriter } from "./snapshot-writer.ts";
import { entryTypeOf } from "./thread-protocol.ts";

/** The admin operations RAFT.* commands call (src/commands/raft.ts). */
export interface NodeAdmin {
  readonly executor: RaftExecutor;
  /** RAFT.CLUSTER INIT: creates a cluster of one; resolves to its dbid. */
  init(dbid: string | null): Promise<string>;
  /** RAFT.CLUSTER JOIN: asks the given nodes to add this one; resolves once added. */
  join(addrs: readonly string[]): Promise<void>;
  /** RAFT.NODE ADD (on the leader): adds a learner; resolves to its id and the dbid once committed. */
  addNode(requestedId: number, addr: string, busAddr: string | null): Promise<{ id: number; dbid: string }>;
  /** RAFT.NODE REMOVE (on the leader): removes a member once committed. */
  removeNode(id: number): Promise<void>;
  /** RAFT.NODESHUTDOWN: the leader says this node was removed. */
  removedSelf(): void;
  /** RAFT.DEBUG COMPACT: snapshot now and compact the log. */
  compact(): Promise<void>;
  /** RAFT.DEBUG DISKCRASH (fault injection): the node dies at `point` of a later write. */
  armDiskCrash(point: DiskCrashPoint | null): Promise<void>;
  transferLeader(to: number | null): Promise<string | null>;
  timeoutNow(): Promise<string | null>;
}

export class RaftNode implements NodeAdmin {
  readonly server: Server;
  readonly executor: RaftExecutor;
  readonly settings: Settings;
  readonly #raftWorker: Worker;
  readonly #storageWorker: Worker;
  readonly raft: Comlink.Remote<RaftWorkerApi>;
  readonly storage: Comlink.Remote<StorageWorkerApi>;
  #status: Awaited<ReturnType<RaftWorkerApi["status"]>> = null;
  #peers: PeerView[] = [];
  #storageStats: Awaited<ReturnType<StorageWorkerApi["stats"]>> | null = null;
  /** The snapshot being taken, if any: a second request waits for it rather than racing it. */
  #snapshotting: Promise<void> | null = null;
  #lastSnapshotIndex = 0;
  #stopping = false;

  private constructor(settings: Settings, configFile: string | null) {
    this.settings = settings;
    const raftDoorbell = createDoorbell();
    const ring = powerOfTwoAtLeast(settings.raftRingSize);
    const main = { toWorker: createRingBuffer(ring), fromWorker: createRingBuffer(ring) };
    const storageRings = { toWorker: createRingBuffer(ring), fromWorker: createRingBuffer(ringPersistedBytes) };
    let executor: RaftExecutor | null = null;
    this.server = new Server({
      settings,
      configFile,
      onShutdown: () => void this.shutdown(0),
      executor: (server) => {
        // Commands wake the Raft worker once per turn, not once per command.
        const commands = new RingProducer(main.toWorker, { doorbell: raftDoorbell, deferWake: true });
        executor = new RaftExecutor(server, commandTable, new ChannelSender(commands), new ChannelReceiver(new RingConsumer(main.fromWorker)));
        return executor;
      },
    });
    assert(executor !== null, "the server built the Raft executor");
    this.executor = executor;
    this.server.mode = "cluster";
    this.server.admin = this;
    const stopping = (): boolean => this.#stopping;
    this.#raftWorker = spawnWorker(new URL("../../workers/raft.worker.ts", import.meta.url), "raft", stopping);
    this.#storageWorker = spawnWorker(new URL("../../workers/storage.worker.ts", import.meta.url), "storage", stopping);
    this.raft = Comlink.wrap<RaftWorkerApi>(this.#raftWorker);
    this.storage = Comlink.wrap<StorageWorkerApi>(this.#storageWorker);
    this.#pendingAttach = { main, storageRings, raftDoorbell };
  }

  readonly #pendingAttach: {
    main: { toWorker: SharedArrayBuffer; fromWorker: SharedArrayBuffer };
    storageRings: { toWorker: SharedArrayBuffer; fromWorker: SharedArrayBuffer };
    raftDoorbell: Int32Array;
  };

  static async start(options: StartOptions): Promise<RaftNode> {
    const node = new RaftNode(options.settings, options.configFile);
    await node.#boot(options);
    return node;
  }

  async #boot(options: StartOptions): Promise<void> {
    const s = this.settings;
    const { main, storageRings, raftDoorbell } = this.#pendingAttach;
    this.executor.hooks = {
      memberRemoved: (id, address) => this.#memberRemoved(id, address),
      wantSnapshot: () => void this.compact().catch((e: Error) => log("warning", `Snapshot failed: ${e.message}`)),
      loadSnapshot: (_index, _term, data) => this.#loadSnapshot(data),
      membersChanged: () => this.#membersChanged(),
    };
    this.server.infoSections.set("raft", () => raftInfo(this, this.#status, this.#storageStats, this.#peers));
    this.server.infoRefresh = async (sections) => {
      const wanted = sections.map((x) => x.toLowerCase());
      if (!wanted.includes("raft") && !wanted.includes("everything")) return;
      [this.#status, this.#storageStats, this.#peers] = await Promise.all([this.raft.status(), this.storage.stats(), this.raft.peerStats()]);
    };
    const recovered = await this.storage.start({
      rings: storageRings,
      raftDoorbell,
      dir: s.dir,
      memory: s.raftStorage === "memory",
      fsync: s.raftLogFsync,
      loglevel: s.loglevel,
    });
    // Listen first: with --port 0 the address to announce is known only now.
    this.server.loading = recovered.hardState !== null;
    try {
      this.server.listen();
    } catch (e) {
      throw new Error(`Failed listening on ${s.bind}:${s.port}: ${(e as Error).message}`);
    }
    const hs = recovered.hardState;
    const clientPort = this.server.ports[0] ?? s.port;
    try {
      this.#busPort = await this.raft.attach({
        mainRings: main,
        storageRings,
        doorbell: raftDoorbell,
        loglevel: s.loglevel,
        bus: {
          listenHost: s.bind.split(/\s+/).find((h) => h !== "") ?? "127.0.0.1",
          // Client port + 10000 unless raft.bus-port says otherwise (an ephemeral client port
          // gets an ephemeral bus port).
          listenPort: s.raftBusPort || (s.port === 0 ? 0 : clientPort + 10000),
          password: s.raftClusterPassword,
          connectionTimeoutMs: s.raftConnectionTimeout,
          responseTimeoutMs: s.raftResponseTimeout,
          reconnectIntervalMs: s.raftReconnectInterval,
          nodeId: hs?.nodeId ?? 0,
          clusterId: hs?.clusterId ?? "",
        },
      });
    } catch (e) {
      throw new Error(`Failed listening for the Raft bus: ${(e as Error).message}`);
    }
    void this.executor.processEvents();
    if (recovered.hardState !== null) {
      await this.#restore(recovered);
      this.server.loading = false;
    } else if (options.init) {
      const dbid = await this.init(null);
      log("notice", `Cluster initialized (dbid ${dbid}) at first start (--init)`);
    } else if (options.join.length > 0) {
      await this.join(options.join);
      return;
    } else {
      log("notice", "No cluster state in --dir: waiting for RAFT.CLUSTER INIT or JOIN");
      return;
    }
    // A cluster of one elects itself at once: announce readiness once it can serve.
    const self = this.executor.nodeId;
    const alone = (): boolean => {
      const voters = this.executor.members.conf.voters;
      return voters.length === 0 || (voters.length === 1 && voters[0] === self);
    };
    const deadline = Date.now() + 2 * this.settings.raftElectionTimeout;
    while (alone() && !this.executor.leaderReady && Date.now() < deadline) await Bun.sleep(2);
  }

  /** host:port clients reach this node at (raft.addr, else --bind/--port). */
  get announcedAddr(): string {
    if (this.settings.raftAddr !== "") return this.settings.raftAddr;
    const host = this.settings.bind.split(/\s+/).find((h) => h !== "0.0.0.0" && h !== "::" && h !== "") ?? "127.0.0.1";
    return `${host}:${this.server.ports[0] ?? this.settings.port}`;
  }

  /** host:port peers reach this node's bus at (raft.bus-addr, else addr's host and the bus port). */
  get announcedBusAddr(): string {
    if (this.settings.raftBusAddr !== "") return this.settings.raftBusAddr;
    const host = this.announcedAddr.slice(0, this.announcedAddr.lastIndexOf(":"));
    return `${host}:${this.#busPort}`;
  }

  /** The port the Raft bus listens on (known once the Raft worker started it). */
  #busPort = 0;

  async #restore(state: RecoveredState): Promise<void> {
    const hs = state.hardState;
    assert(hs !== null, "restoring a node with an identity");
    this.executor.nodeId = hs.nodeId;
    this.executor.clusterId = hs.clusterId;
    this.executor.selfAddress = { addr: this.announcedAddr, busAddr: this.announcedBusAddr };
    let snapshot: Snapshot | null = null;
    if (state.snapshot !== null) {
      const meta = { index: state.snapshot.meta.lastIndex, term: state.snapshot.meta.lastTerm, conf: decodeConfState(state.snapshot.meta.config) };
      snapshot = { meta, data: state.snapshot.data };
      this.#loadSnapshot(state.snapshot.data);
      this.executor.appliedIndex = meta.index;
      this.executor.appliedTerm = meta.term;
      this.#lastSnapshotIndex = meta.index;
    }
    const entries: Entry[] = state.entries.map((e) => ({ index: e.index, term: e.term, type: entryTypeOf(e.type), data: e.data }));
    const hardState: HardState = { term: hs.term, vote: hs.vote, commit: 0 };
    log("notice", `Recovered node ${hs.nodeId} of cluster ${hs.clusterId}: term ${hs.term}, snapshot at ${snapshot?.meta.index ?? 0}, ${entries.length} log entries`);
    this.#membersChanged();
    await this.raft.start(this.#raftConfig(hs.nodeId, { initial: { hardState, snapshot, entries } }), { tickMs: this.#tickMs() });
  }

  async join(addrs: readonly string[]): Promise<void> {
    this.#requireUninitialized();
    const s = this.settings;
    const deadline = Date.now() + s.raftJoinTimeout;
    const queue = [...addrs];
    let joined: { id: number; dbid: string; via: string } | null = null;
    const lastAnswer = new Map<string, string>();
    while (joined === null && Date.now() < deadline) {
      for (let i = 0; i < queue.length && joined === null; i++) {
        const target = queue[i];
        const reply = await askNodeAdd(target, s.raftId, this.announcedAddr, this.announcedBusAddr, s.raftConnectionTimeout);
        if (reply.kind === "joined") {
          joined = { ...reply, via: target };
        } else if (reply.kind === "moved") {
          log("verbose", `Join redirected to the leader at ${reply.addr}`);
          if (!queue.includes(reply.addr)) queue.splice(i + 1, 0, reply.addr);
        } else if (reply.kind === "failed") {
          throw new Error(reply.message.startsWith("ERR") ? reply.message : `ERR ${reply.message}`);
        } else {
          log("verbose", `Join through ${target}: ${reply.message}; retrying`);
          lastAnswer.set(target, reply.message);
        }
      }
      if (joined === null) await Bun.sleep(s.raftReconnectInterval);
    }
    if (joined === null) {
      const answers = [...lastAnswer].map(([a, m]) => `${a}: ${m}`).join("; ");
      log("warning", `Could not join through ${addrs.join(", ")} within raft.join-timeout (${s.raftJoinTimeout} ms)${answers === "" ? "" : ` (last answers: ${answers})`}`);
      throw new Error("ERR failed to connect to cluster for join, please check logs");
    }
    log("notice", `Joined Raft cluster, node id: ${joined.id}, dbid: ${joined.dbid}`);
    await this.storage.setIdentity({ clusterId: joined.dbid, nodeId: joined.id });
    await this.raft.setIdentity(joined.id, joined.dbid);
    // Until the leader's log arrives this node knows no members: learn their bus addresses from
    // the node that added it, so it can answer the leader at once.
    await this.raft.setAddresses(await memberBusAddresses(joined.via, s.raftConnectionTimeout));
    this.executor.nodeId = joined.id;
    this.executor.clusterId = joined.dbid;
    this.executor.selfAddress = { addr: this.announcedAddr, busAddr: this.announcedBusAddr };
    // No voters: the leader sends this node the log (or a snapshot), then promotes it.
    await this.raft.start(this.#raftConfig(joined.id, {}), { tickMs: this.#tickMs() });
  }

  async addNode(requestedId: number, addr: string, busAddr: string | null): Promise<{ id: number; dbid: string }> {
    const ex = this.executor;
    this.#requireLeader();
    if (requestedId !== 0 && ex.members.known(requestedId)) throw new Error("ERR node id has already been used in this cluster");
    let id = requestedId;
    while (id === 0 || ex.members.known(id)) id = randomNodeId();
    const bus = busAddr ?? defaultBusAddr(addr);
    const r = await this.raft.proposeConfChange({ type: "addLearner", nodeId: id, context: encodeAddress({ addr, busAddr: bus }) });
    if (!r.ok) throw new Error(confRefusal(r));
    const term = await ex.whenApplied(r.firstIndex);
    if (term !== r.term) throw new Error(raftErrors.lost);
    return { id, dbid: ex.clusterId };
  }

  async removeNode(id: number): Promise<void> {
    const ex = this.executor;
    this.#requireLeader();
    if (!ex.members.ids().includes(id)) throw new Error("ERR node id does not exist");
    const r = await this.raft.proposeConfChange({ type: "remove", nodeId: id, context: new Uint8Array(0) });
    if (!r.ok) throw new Error(confRefusal(r));
    const term = await ex.whenApplied(r.firstIndex);
    if (term !== r.term) throw new Error(raftErrors.lost);
  }

  #requireUninitialized(): void {
    if (this.server.loading) throw new Error(raftErrors.loading);
    if (this.executor.initialized) throw new Error("ERR Already cluster member");
  }

  /** Admin changes are made by the leader: anything else is redirected or refused. */
  #requireLeader(): void {
    const ex = this.executor;
    const refused = ex.unavailable();
    if (refused !== null) throw new Error(refused);
    if (ex.leaderReady) return;
    const addr = ex.leaderId !== 0 && ex.leaderId !== ex.nodeId ? ex.members.address(ex.leaderId)?.addr : undefined;
    throw new Error(addr !== undefined ? raftErrors.moved(addr) : raftErrors.noLeader);
  }

  async init(dbid: string | null): Promise<string> {
    this.#requireUninitialized();
    const nodeId = this.settings.raftId || randomNodeId();
    const clusterId = dbid ?? randomDbid();
    await this.storage.setIdentity({ clusterId, nodeId });
    await this.raft.setIdentity(nodeId, clusterId);
    this.executor.nodeId = nodeId;
    this.executor.clusterId = clusterId;
    this.executor.selfAddress = { addr: this.announcedAddr, busAddr: this.announcedBusAddr };
    await this.raft.start(this.#raftConfig(nodeId, { bootstrapVoters: [nodeId] }), { tickMs: this.#tickMs() });
    return clusterId;
  }

  armDiskCrash(point: DiskCrashPoint | null): Promise<void> {
    return this.storage.armDiskCrash(point);
  }

  /**
   * Snapshots the state machine at its applied index, saves it, and lets Raft compact. If one is
   * being taken (Raft asked for it), waits for that one, then takes another if entries were
   * applied since: RAFT.DEBUG COMPACT answers only once a snapshot covers what it saw applied.
   */
  async compact(): Promise<void> {
    while (this.#snapshotting !== null) await this.#snapshotting;
    this.#snapshotting = this.#takeSnapshot();
    try {
      await this.#snapshotting;
    } finally {
      this.#snapshotting = null;
    }
  }

  async #takeSnapshot(): Promise<void> {
    // Index, term, membership and the writer's start belong to one turn: nothing applies between.
    const index = this.executor.appliedIndex;
    const term = this.executor.appliedTerm;
    if (index === 0 || index === this.#lastSnapshotIndex) return;
    const conf = encodeConfState(this.executor.members.conf);
    const started = performance.now();
    // Incremental: slices of a few ms, clients served in between (copy-on-write keeps it at index).
    const writer = new SnapshotWriter(this.server.engine, this.executor.members);
    this.#writer = writer;
    let chunks: Uint8Array[];
    try {
      chunks = await writer.run();
    } finally {
      this.#writer = null;
    }
    const buffers = [...new Set(chunks.map((c) => c.buffer as ArrayBuffer))];
    const data = await this.storage.saveSnapshot(index, term, conf, Comlink.transfer(chunks, buffers));
    const bytes = data.length; // before the transfer below detaches it
    await this.raft.snapshotTaken(index, Comlink.transfer(data, [data.buffer as ArrayBuffer]));
    this.#lastSnapshotIndex = index;
    log("notice", `Snapshot taken at index ${index} (${bytes} bytes, ${(performance.now() - started).toFixed(0)} ms)`);
  }

  get lastSnapshotIndex(): number {
    return this.#lastSnapshotIndex;
  }

  async transferLeader(to: number | null): Promise<string | null> {
    const r = await this.raft.transferLeader(to ?? 0);
    return r === null ? null : r.reason;
  }

  async timeoutNow(): Promise<string | null> {
    const r = await this.raft.campaign();
    return r === null ? null : r.reason;
  }

  /** The snapshot being written, if any (a snapshot from the leader aborts it). */
  #writer: SnapshotWriter | null = null;

  #loadSnapshot(data: Uint8Array): void {
    this.#writer?.abort();
    const members = decodeNodeSnapshot(data, this.server.engine);
    this.executor.members.setConf(members.conf);
    for (const id of members.ids()) {
      const a = members.address(id);
      if (a !== undefined) this.executor.members.setAddress(id, a);
    }
  }

  /** Tells the Raft worker's bus whom to dial (addresses from the replicated member table). */
  #membersChanged(): void {
    const m = this.executor.members;
    const addresses: [number, string][] = [];
    for (const id of m.ids()) {
      const a = m.address(id);
      if (a !== undefined) addresses.push([id, a.busAddr]);
    }
    void this.raft.setAddresses(addresses).catch((e: Error) => log("warning", `Cannot update peers: ${e.message}`));
  }

  #memberRemoved(id: number, address: MemberAddress | undefined): void {
    if (id === this.executor.nodeId) {
      this.removedSelf();
      return;
    }
    // A removed follower gets no more entries, so it cannot learn of its removal from the log:
    // the leader tells it (RedisRaft's RAFT.NODESHUTDOWN), a few times in case it is slow.
    if (!this.executor.leaderReady || address === undefined) return;
    void tellRemoved(address.addr, id, this.executor.clusterId, this.settings.raftConnectionTimeout);
  }

  /**
   * This node left the cluster (its removal committed, or the leader said so): it archives its
   * files, so a restart cannot bring the stale member back, and stops (raft.shutdown-on-remove).
   */
  removedSelf(): void {
    if (this.#stopping) return;
    log("warning", `This node (${this.executor.nodeId}) was removed from the cluster`);
    if (!this.settings.raftShutdownOnRemove) return;
    this.#archiveOnStop = true;
    // A moment for the last replies and, from a removed leader, its hand-over to go out.
    setTimeout(() => void this.shutdown(0), removedShutdownDelayMs);
  }

  #archiveOnStop = false;

  #tickMs(): number {
    return Math.max(1, Math.min(this.settings.raftPeriodicInterval, Math.floor(this.settings.raftElectionTimeout / 10)));
  }

  #raftConfig(id: number, extra: Partial<RaftConfig>): RaftConfig {
    const s = this.settings;
    const tick = this.#tickMs();
    const electionTicks = Math.max(2, Math.round(s.raftElectionTimeout / tick));
    return {
      id,
      seed: (id ^ Date.now()) >>> 0,
      electionTicks,
      heartbeatTicks: Math.max(1, Math.min(electionTicks - 1, Math.round(s.raftRequestTimeout / tick))),
      preVote: true,
      checkQuorum: true,
      maxInflightMsgs: s.raftAppendReqMaxCount,
      maxSizePerMsgBytes: s.raftAppendReqMaxSize,
      maxUncommittedBytes: raftUncommittedBytesMaxDefault,
      snapshotThresholdBytes: s.raftLogMaxFileSize,
      snapshotChunkBytes: s.raftSnapshotReqMaxSize,
      autoPromote: true,
      ...extra,
    };
  }

  /** Stops serving, stops the workers, exits. */
  async shutdown(code: number): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.server.stop();
    this.executor.stop();
    try {
      await Promise.race([Promise.all([this.raft.stop(), this.storage.stop()]), Bun.sleep(2000)]);
    } finally {
      this.#raftWorker.terminate();
      this.#storageWorker.terminate();
      if (this.#archiveOnStop && this.settings.raftStorage === "disk") archiveState(this.settings.dir, this.executor.nodeId);
      process.exit(code);
    }
  }
}

/** A worker whose death ends the node: its state can no longer be trusted (BUN-NOTES). */
function spawnWorker(url: URL, name: string, stopping: () => boolean): Worker {
  const w = new Worker(url);
  w.addEventListener("error", (e) => {
    log("warning", `The ${name} worker failed: ${e.message}; stopping the node`);
    process.exit(1);
  });
  w.addEventListener("close", () => {
    if (stopping()) return;
    log("warning", `The ${name} worker exited; stopping the node`);
    process.exit(1);
  });
  return w;
}

type NodeAddReply =
  | { kind: "joined"; id: number; dbid: string }
  | { kind: "moved"; addr: string }
  | { kind: "retry"; message: string }
  | { kind: "failed"; message: string };

/** One RAFT.NODE ADD attempt against `target` (host:port), as RedisRaft's join does. */
async function askNodeAdd(target: string, id: number, addr: string, busAddr: string, timeoutMs: number): Promise<NodeAddReply> {
  const i = target.lastIndexOf(":");
  let client: RespClient;
  try {
    client = await RespClient.connect(target.slice(0, i), Number(target.slice(i + 1)), timeoutMs);
  } catch (e) {
    return { kind: "retry", message: (e as Error).message };
  }
  try {
    const r = await Promise.race([client.call("RAFT.NODE", "ADD", String(id), addr, busAddr), Bun.sleep(timeoutMs * 10).then(() => null)]);
    if (r === null) return { kind: "retry", message: "no reply" };
    if (r.t === "array" && r.v.length === 2 && r.v[0].t === "int" && r.v[1].t === "bulk") return { kind: "joined", id: Number(r.v[0].v), dbid: r.v[1].v };
    if (r.t === "error") {
      if (r.v.startsWith("MOVED ")) return { kind: "moved", addr: r.v.split(" ")[2] };
      // A listed node may itself be joining (NOCLUSTER) or restarting (LOADING): try the others
      // and come back to it until raft.join-timeout.
      if (/^(CLUSTERDOWN|TRYAGAIN|LOADING|NOCLUSTER) /.test(r.v)) return { kind: "retry", message: r.v };
      return { kind: "failed", message: r.v };
    }
    return { kind: "retry", message: `invalid reply ${showReply(r)}` };
  } catch (e) {
    return { kind: "retry", message: (e as Error).message };
  } finally {
    client.close();
  }
}

/** Tells a removed node (at its client address) that it was removed; best effort. */
async function tellRemoved(addr: string, id: number, dbid: string, timeoutMs: number): Promise<void> {
  const i = addr.lastIndexOf(":");
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const c = await RespClient.connect(addr.slice(0, i), Number(addr.slice(i + 1)), timeoutMs);
      try {
        const r = await Promise.race([c.call("RAFT.NODESHUTDOWN", String(id), dbid), Bun.sleep(timeoutMs).then(() => null)]);
        if (r !== null && r.t === "simple") return;
      } finally {
        c.close();
      }
    } catch {
      // Not reachable now: try again shortly; it may also be gone already.
    }
    await Bun.sleep(200 * (attempt + 1));
  }
}

/** Moves a removed node's Raft files into an archive directory inside --dir. */
function archiveState(dir: string, id: number): void {
  try {
    const archive = join(dir, `removed-${id}-${Date.now()}`);
    mkdirSync(archive);
    for (const name of readdirSync(dir)) {
      if (name === "hardstate" || /^(log-\d+\.seg|snap-\d+\.snap)$/.test(name)) renameSync(join(dir, name), join(archive, name));
    }
    log("notice", `Archived this node's Raft state in ${archive}`);
  } catch (e) {
    log("warning", `Could not archive the Raft state in ${dir}: ${(e as Error).message}`);
  }
}

/** The members' bus addresses as `target` (host:port) reports them in INFO raft. */
async function memberBusAddresses(target: string, timeoutMs: number): Promise<[number, string][]> {
  const i = target.lastIndexOf(":");
  const out: [number, string][] = [];
  try {
    const c = await RespClient.connect(target.slice(0, i), Number(target.slice(i + 1)), timeoutMs);
    try {
      const r = await c.call("INFO", "raft");
      const info = r.t === "bulk" || r.t === "verbatim" ? r.v : "";
      const self = /^raft_node_id:(\d+)/m.exec(info)?.[1];
      const selfBus = /^raft_bus_addr:(\S+)/m.exec(info)?.[1];
      if (self !== undefined && selfBus !== undefined) out.push([Number(self), selfBus]);
      for (const m of info.matchAll(/^raft_node\d+:id=(\d+),.*?bus_addr=([^,\s]+)/gm)) out.push([Number(m[1]), m[2]]);
    } finally {
      c.close();
    }
  } catch (e) {
    log("warning", `Cannot read the members' addresses from ${target}: ${(e as Error).message}`);
  }
  return out;
}

/** A node's bus address when it announces none: its client host, client port + 10000. */
export function defaultBusAddr(addr: string): string {
  const i = addr.lastIndexOf(":");
  return `${addr.slice(0, i)}:${Number(addr.slice(i + 1)) + 10000}`;
}

function confRefusal(r: Refusal): string {
  if (r.reason === "confChangeRefused") return `TRYAGAIN ${r.why}`;
  if (r.reason === "notLeader") return raftErrors.noLeader;
  return `ERR cannot change the membership: ${r.reason}`;
}

function powerOfTwoAtLeast(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** A removed node stops this long after learning it, so its last messages go out. */
const removedShutdownDelayMs = 300;

function randomNodeId(): number {
  return 1 + Math.floor(Math.random() * 2147483646);
}

function randomDbid(): string {
  let s = "";
  for (let i = 0; i < 32; i++) s += "0123456789abcdef"[Math.floor(Math.random() * 16)];
  return s;
}
