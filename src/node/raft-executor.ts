// The main thread's side of a Raft node: it replaces the single-node executor. Writes become
// log entries (PROPOSE on the command channel); the entries the cluster commits come back on the
// event channel and are applied here, in log order, on every node — the proposing node's client
// gets the apply's reply. Reads wait for a ReadIndex barrier (read-barrier.ts). DESIGN §2–§3.

import type { CommandTable } from "../commands/registry.ts";
import { Flag, goesThroughLog, type CommandSpec } from "../commands/types.ts";
import { raftWriteTimeoutMsDefault } from "../constants.ts";
import type { Invocation } from "../engine/engine.ts";
import { decodeConfEntry } from "../raft/conf-entry.ts";
import type { Entry, NodeId } from "../raft/types.ts";
import { Reply } from "../resp/reply.ts";
import type { Client } from "../server/client.ts";
import type { Executor } from "../server/dispatch.ts";
import type { Server } from "../server/server.ts";
import { assert } from "../util/assert.ts";
import { log } from "../util/log.ts";
import type { ChannelReceiver, ChannelSender } from "./channel.ts";
import { commandsSize, decodeEntry, encodeCommands, encodeExpire, EntryKind, keysSize, type DecodedEntry, type EntryKindCode } from "./entry-codec.ts";
import { FollowerProxy } from "./follower-proxy.ts";
import { decodeAddress, Members, type MemberAddress } from "./members.ts";
import { PendingWrites, writtenKeys, type PendingWrite } from "./pending-writes.ts";
import { ReadBarrier, type ReadBatch, type WaitingRead } from "./read-barrier.ts";
import { encodeRead, Ev, proposeSize, readEntries, Refused, RoleCode, writeProposeHeader, type RefusedCode } from "./thread-protocol.ts";
import { WireReader } from "./wire.ts";

/** Client-visible errors, as RedisRaft spells them where it has them. */
export const raftErrors = {
  noCluster: "NOCLUSTER No Raft Cluster",
  loading: "LOADING Redis is loading the dataset in memory",
  noLeader: "CLUSTERDOWN No raft leader",
  moved: (addr: string) => `MOVED 0 ${addr}`,
  timeout: "TIMEOUT not committed yet",
  lost: "TRYAGAIN the write was not committed (leadership changed); it did not happen, retry it",
  readLost: "TRYAGAIN the read could not be confirmed by the leader; retry it",
  storage: (why: string) => `ERR raftis storage failed, this node refuses writes: ${why}`,
} as const;

export interface RaftEvents {
  /**
   * A committed entry removed node `id` (maybe this one). `address` is where it was (the
   * table forgets it): the leader tells a removed follower, which no longer gets entries.
   */
  memberRemoved(id: NodeId, address: MemberAddress | undefined): void;
  /** The state machine should be snapshotted (the log grew past its threshold). */
  wantSnapshot(): void;
  /** A snapshot from the leader: replace the state machine with it. */
  loadSnapshot(index: number, term: number, data: Uint8Array): void;
  /** The members or their addresses changed (the bus must know whom to dial). */
  membersChanged(): void;
}

export class RaftExecutor implements Executor {
  readonly #server: Server;
  readonly #table: CommandTable;
  readonly #commands: ChannelSender;
  readonly #events: ChannelReceiver;
  readonly #scratch = new Reply();
  readonly #pending = new PendingWrites();
  readonly #reads = new ReadBarrier();
  readonly #proxyLink: FollowerProxy;
  readonly members = new Members();
  hooks: RaftEvents | null = null;
  /** This node's id; 0 until the node belongs to a cluster. */
  nodeId: NodeId = 0;
  clusterId = "";
  role: keyof typeof RoleCode = "follower";
  leaderId: NodeId = 0;
  term = 0;
  appliedIndex = 0;
  appliedTerm = 0;
  #storageFailed: string | null = null;
  #nextRequest = 1;
  #expireInFlight = false;
  #stopped = false;
  writeTimeoutMs = raftWriteTimeoutMsDefault;
  /** The addresses this node announces (raft.addr / raft.bus-addr or derived); set by the node. */
  selfAddress: MemberAddress | null = null;
  /** The term in which this node last proposed its own addresses. */
  #addressProposedTerm = 0;
  /** Admin calls waiting for an index to be applied (see whenApplied). */
  readonly #appliedWaiters = new Map<number, ((term: number | null) => void)[]>();

  /**
   * Resolves once the entry at `index` is applied, with its term (so the caller can tell whether
   * it is the entry it proposed), or null when a snapshot from the leader skipped over it.
   */
  whenApplied(index: number): Promise<number | null> {
    if (index <= this.appliedIndex) return Promise.resolve(null);
    return new Promise((resolve) => {
      const list = this.#appliedWaiters.get(index);
      if (list === undefined) this.#appliedWaiters.set(index, [resolve]);
      else list.push(resolve);
    });
  }

  constructor(server: Server, table: CommandTable, commands: ChannelSender, events: ChannelReceiver) {
    this.#server = server;
    this.#table = table;
    this.#commands = commands;
    this.#events = events;
    this.#proxyLink = new FollowerProxy(server);
    // A full command ring is backpressure: clients are read again once it drains.
    commands.onDrained = () => this.#server.resumeReading();
  }

  get initialized(): boolean {
    return this.nodeId !== 0;
  }

  /** Why this node cannot take cluster commands at all (loading, no cluster), or null. */
  unavailable(): string | null {
    if (this.#server.loading) return raftErrors.loading;
    return this.initialized ? null : raftErrors.noCluster;
  }

  /** Leader, and an entry of its term is applied: it may serve (DESIGN §3). */
  get leaderReady(): boolean {
    return this.role === "leader" && this.appliedTerm === this.term && this.term > 0;
  }

  get pendingWrites(): number {
    return this.#pending.size;
  }

  get pendingReads(): number {
    return this.#reads.waiting;
  }

  backpressure(): boolean {
    return this.#commands.backlogged;
  }

  /** Times the command ring was full and clients stopped being read. */
  get backpressureEvents(): number {
    return this.#commands.backlogEvents;
  }

  /** Processes events until stop(). */
  async processEvents(): Promise<void> {
    while (!this.#stopped) {
      if (!this.#events.hasData()) {
        const ok = await this.#events.waitForData(1000);
        if (!ok) continue;
      }
      this.#drainEvents();
    }
  }

  stop(): void {
    this.#stopped = true;
  }

  // ---- Executor ----

  run(client: Client, cmd: Invocation): void {
    const logged = goesThroughLog(cmd.spec);
    const route = this.#route(logged);
    if (route === "leader") {
      if (logged) this.#propose(client, EntryKind.command, [cmd]);
      else this.#read(client, [cmd], false);
    } else if (route === "followerRead") {
      this.#read(client, [cmd], false);
    } else if (route === "proxy") {
      this.#proxy(client, [cmd.argv], 0);
    } else {
      client.reply.error(route);
    }
  }

  /**
   * Where a data command goes: served here as leader, read here as a follower
   * (raft.follower-reads), forwarded to the leader (raft.follower-proxy), or refused with
   * the returned error (-NOCLUSTER, -MOVED, -CLUSTERDOWN).
   */
  #route(logged: boolean): "leader" | "followerRead" | "proxy" | string {
    const refused = this.unavailable();
    if (refused !== null) return refused;
    if (this.leaderReady) return "leader";
    const settings = this.#server.settings;
    const leaderKnown = this.leaderId !== 0 && this.leaderId !== this.nodeId && this.role !== "leader";
    if (leaderKnown && !logged && settings.raftFollowerReads) return "followerRead";
    if (leaderKnown && settings.raftFollowerProxy && this.members.address(this.leaderId) !== undefined) return "proxy";
    return this.#notLeaderError(this.leaderId);
  }

  #proxy(client: Client, argvs: string[][], replyOf: number): void {
    const addr = this.members.address(this.leaderId)?.addr;
    assert(addr !== undefined, "proxying to a leader with a known address");
    this.#proxyLink.forward(client, addr, argvs, replyOf, this.#server.settings.raftProxyResponseTimeout);
  }

  clientClosed(client: Client): void {
    this.#proxyLink.close(client);
  }

  runMulti(client: Client, cmds: Invocation[]): void {
    const server = this.#server;
    const hasWrite = cmds.some((c) => goesThroughLog(c.spec));
    const hasData = cmds.some((c) => c.spec.run !== undefined);
    if (!hasData) {
      // Only connection commands: nothing to order against the log.
      server.engine.applyMulti(cmds, server.clock.now(), 0, client.reply, (c) => server.dispatcher.run(client, c.spec, c.argv));
      return;
    }
    const route = this.#route(hasWrite);
    if (route === "leader") {
      if (hasWrite) this.#propose(client, EntryKind.multi, cmds);
      else this.#read(client, cmds, true);
    } else if (route === "followerRead") {
      this.#read(client, cmds, true);
    } else if (route === "proxy") {
      // The whole transaction as one bundle; WATCHed keys are watched again on the leader.
      const watched = [...client.watched.keys.keys()];
      const bundle = [...(watched.length > 0 ? [["WATCH", ...watched]] : []), ["MULTI"], ...cmds.map((c) => c.argv), ["EXEC"]];
      this.#proxy(client, bundle, bundle.length - 1);
    } else {
      client.reply.error(`EXECABORT Transaction discarded because of: ${route}`);
    }
  }

  writeRefusal(_client: Client, _spec: CommandSpec): string | null {
    if (this.#storageFailed !== null) return raftErrors.storage(this.#storageFailed);
    // Routing (leader, proxy or -MOVED) is run()'s decision.
    return null;
  }

  watchConflict(client: Client): boolean {
    return this.#pending.touchesAny(client.watched.keys.keys());
  }

  cron(): void {
    const now = this.#server.clock.now();
    for (const w of this.#pending.expired(now)) this.#answer(w, raftErrors.timeout);
    for (const b of this.#reads.takeUnconfirmed((b) => b.deadlineMs <= now)) this.#failReads(b, raftErrors.readLost);
    this.#activeExpire(now);
  }

  #notLeaderError(leaderId: NodeId): string {
    if (leaderId !== 0 && leaderId !== this.nodeId) {
      const addr = this.members.address(leaderId)?.addr;
      if (addr !== undefined) return raftErrors.moved(addr);
    }
    return raftErrors.noLeader;
  }

  // ---- writes ----

  #propose(client: Client | null, kind: EntryKindCode, cmds: readonly Invocation[]): void {
    const server = this.#server;
    const requestId = this.#nextRequest++;
    const argvs = cmds.map((c) => c.argv);
    const size = commandsSize(argvs);
    const header = { kind, origin: this.nodeId, requestId, timestampMs: Math.max(server.clock.now(), server.engine.lastAppliedMs) };
    this.#commands.send(proposeSize(size), (view) => encodeCommands(writeProposeHeader(view, requestId), header, argvs));
    this.#pending.add({ requestId, client, index: 0, term: 0, deadlineMs: server.clock.now() + this.writeTimeoutMs, keys: writtenKeys(cmds) });
    if (client !== null) server.beginAsync(client, "write");
  }

  /** Proposes the node's own bookkeeping (no client waits). */
  proposeMeta(argv: string[]): void {
    this.#propose(null, EntryKind.meta, [{ spec: metaSpec, argv }]);
  }

  /** Answers a pending write with `error` (when its apply will not answer it). */
  #answer(w: PendingWrite, error: string): void {
    this.#pending.remove(w);
    if (w.client === null) {
      this.#expireInFlight = false;
      return;
    }
    w.client.reply.error(error);
    this.#server.endAsync(w.client);
  }

  #activeExpire(now: number): void {
    const server = this.#server;
    if (!this.leaderReady || this.#expireInFlight || !server.settings.activeExpire) return;
    const due = server.engine.db.dueKeys(now, activeExpireBatch);
    if (due.length === 0) return;
    this.#expireInFlight = true;
    const requestId = this.#nextRequest++;
    const header = { origin: this.nodeId, requestId, timestampMs: Math.max(now, server.engine.lastAppliedMs) };
    this.#commands.send(proposeSize(keysSize(due)), (view) => encodeExpire(writeProposeHeader(view, requestId), header, due));
    this.#pending.add({ requestId, client: null, index: 0, term: 0, deadlineMs: now + this.writeTimeoutMs, keys: due });
  }

  // ---- reads ----

  #read(client: Client, cmds: readonly Invocation[], multi: boolean): void {
    const server = this.#server;
    if (!server.settings.raftQuorumReads) {
      this.#runRead({ client, cmds, multi });
      return;
    }
    const batch = this.#reads.add({ client, cmds, multi }, server.clock.now() + this.writeTimeoutMs);
    server.beginAsync(client, "read");
    if (batch !== null) {
      // One read request for every read of this turn, sent once the turn's reads are in.
      setImmediate(() => {
        this.#reads.sent(batch);
        this.#commands.sendBytes(encodeRead(batch.id));
      });
    }
  }

  #runRead(read: WaitingRead): void {
    const server = this.#server;
    const { client, cmds } = read;
    const now = server.clock.now();
    if (read.multi) {
      server.engine.applyMulti(cmds, now, server.nextReadSeed(), client.reply, (c) => server.dispatcher.run(client, c.spec, c.argv));
    } else {
      server.engine.read(cmds[0], now, server.nextReadSeed(), client.reply);
    }
  }

  #runBatch(batch: ReadBatch): void {
    for (const read of batch.reads) {
      if (!read.client.closed) this.#runRead(read);
      this.#server.endAsync(read.client);
    }
  }

  #failReads(batch: ReadBatch, error: string): void {
    for (const read of batch.reads) {
      read.client.reply.error(read.multi ? `EXECABORT Transaction discarded because of: ${error}` : error);
      this.#server.endAsync(read.client);
    }
  }

  // ---- events ----

  #drainEvents(): void {
    this.#events.drain((message) => {
      const r = new WireReader(message);
      const kind = r.u8();
      switch (kind) {
        case Ev.entries:
          this.#applyEntries(readEntries(r));
          break;
        case Ev.accepted: {
          const first = r.f64();
          const count = r.u32();
          const index = r.f64();
          const term = r.f64();
          for (let i = 0; i < count; i++) this.#pending.accepted(first + i, index + i, term);
          break;
        }
        case Ev.rejected: {
          const first = r.f64();
          const count = r.u32();
          const reason = r.u8() as RefusedCode;
          const leader = r.u32();
          for (let i = 0; i < count; i++) {
            const w = this.#pending.get(first + i);
            if (w !== undefined) this.#answer(w, this.#refusedError(reason, leader));
          }
          break;
        }
        case Ev.readOk: {
          const id = r.f64();
          const index = r.f64();
          if (this.#reads.confirm(id, index)) this.#runReadyReads();
          break;
        }
        case Ev.readFailed: {
          const id = r.f64();
          const reason = r.u8() as RefusedCode;
          const leader = r.u32();
          const batch = this.#reads.refuse(id);
          if (batch !== undefined) this.#failReads(batch, this.#refusedError(reason, leader));
          break;
        }
        case Ev.role:
          this.#roleChanged(r.u32(), r.u8(), r.f64());
          break;
        case Ev.snapshot: {
          const index = r.f64();
          const term = r.f64();
          r.bytes(); // membership: the snapshot data carries the node's own copy
          this.#snapshotLoaded(index, term, r.bytes().slice());
          break;
        }
        case Ev.wantSnapshot:
          this.hooks?.wantSnapshot();
          break;
        case Ev.storageFailed:
          this.#storageFailed = r.text();
          log("warning", `Storage failed: ${this.#storageFailed}; refusing writes`);
          // Part of their entries may be on disk and commit after a restart: indeterminate.
          for (const w of this.#pending.all()) this.#answer(w, raftErrors.timeout);
          break;
        default:
          assert(false, `unknown event kind ${kind}`);
      }
    });
  }

  #refusedError(reason: RefusedCode, leader: NodeId): string {
    if (reason === Refused.notLeader) return this.#notLeaderError(leader);
    if (reason === Refused.transfer) return "TRYAGAIN leadership transfer in progress; retry it";
    return "TRYAGAIN the leader is busy; retry it";
  }

  #roleChanged(leaderId: NodeId, roleCode: number, term: number): void {
    const role = (Object.keys(RoleCode) as (keyof typeof RoleCode)[]).find((k) => RoleCode[k] === roleCode);
    assert(role !== undefined, "known role code");
    const wasLeader = this.role === "leader";
    this.leaderId = leaderId;
    this.role = role;
    this.term = term;
    if (wasLeader && role !== "leader") {
      log("notice", `Lost leadership (term ${term}, leader ${leaderId || "unknown"})`);
      // Reads not confirmed yet will never be by this node; confirmed ones stay valid.
      for (const b of this.#reads.takeUnconfirmed(() => true)) this.#failReads(b, this.#notLeaderError(leaderId));
    }
    if (role === "leader" && !wasLeader) log("notice", `Became leader for term ${term}`);
  }

  #snapshotLoaded(index: number, term: number, data: Uint8Array): void {
    this.hooks?.loadSnapshot(index, term, data);
    this.appliedIndex = index;
    this.appliedTerm = term;
    // Whatever this node proposed up to there is inside the snapshot or lost: unknown.
    for (const w of this.#pending.acceptedUpTo(index)) this.#answer(w, raftErrors.timeout);
    for (const [at, waiters] of this.#appliedWaiters) {
      if (at > index) continue;
      this.#appliedWaiters.delete(at);
      for (const w of waiters) w(null);
    }
    this.hooks?.membersChanged();
    this.#runReadyReads();
  }

  #runReadyReads(): void {
    for (const batch of this.#reads.takeRunnable(this.appliedIndex)) this.#runBatch(batch);
  }

  // ---- apply ----

  #applyEntries(entries: Entry[]): void {
    for (const e of entries) {
      assert(e.index === this.appliedIndex + 1 || this.appliedIndex === 0, `entries apply in order (${e.index} after ${this.appliedIndex})`);
      const mine = this.#pending.atIndex(e.index);
      if (e.type === "normal") this.#applyNormal(e, mine);
      else if (e.type === "conf") this.#applyConf(e);
      if (mine !== undefined && this.#pending.get(mine.requestId) !== undefined) {
        // This node's proposal was at this index, but another entry committed there.
        this.#answer(mine, raftErrors.lost);
      }
      this.appliedIndex = e.index;
      this.appliedTerm = e.term;
      const waiters = this.#appliedWaiters.get(e.index);
      if (waiters !== undefined) {
        this.#appliedWaiters.delete(e.index);
        for (const w of waiters) w(e.term);
      }
    }
    this.#runReadyReads();
    this.#announceSelf();
  }

  /**
   * A leader whose own addresses are not (or no longer) in the replicated member table proposes
   * them, once per term: followers need them for -MOVED and new members to dial it.
   */
  #announceSelf(): void {
    const self = this.selfAddress;
    if (self === null || !this.leaderReady || this.#addressProposedTerm === this.term) return;
    const known = this.members.address(this.nodeId);
    if (known !== undefined && known.addr === self.addr && known.busAddr === self.busAddr) return;
    this.#addressProposedTerm = this.term;
    this.proposeMeta(["addr", String(this.nodeId), self.addr, self.busAddr]);
  }

  #applyNormal(e: Entry, mine: PendingWrite | undefined): void {
    const entry = decodeEntry(e.data);
    const server = this.#server;
    const own = mine !== undefined && entry.origin === this.nodeId && entry.requestId === mine.requestId ? mine : undefined;
    const client = own?.client ?? null;
    const target = client !== null && !client.closed ? client.reply : this.#scratch;
    switch (entry.kind) {
      case EntryKind.command: {
        const cmd = this.#invocation(entry.commands[0]);
        server.engine.apply(cmd, entry.timestampMs, e.index, target);
        // The proposer counted the call when its client sent it; replicas count it here, as
        // Redis replicas count what they replay.
        if (own === undefined) server.stats.called(server.stats.statFor(cmd.spec), null, false);
        break;
      }
      case EntryKind.multi: {
        const cmds = entry.commands.map((argv) => this.#invocation(argv));
        // Like Redis, each command inside EXEC counts as a call (EXEC itself was counted).
        for (const c of cmds) if (c.spec.run !== undefined) server.stats.called(server.stats.statFor(c.spec), null, false);
        // Connection commands queued in the transaction run where its client is.
        server.engine.applyMulti(cmds, entry.timestampMs, e.index, target, (c) => {
          if (target !== this.#scratch && client !== null) server.dispatcher.run(client, c.spec, c.argv);
        });
        break;
      }
      case EntryKind.expire:
        server.stats.expiredKeys += server.engine.expire(entry.keys, entry.timestampMs);
        break;
      case EntryKind.meta:
        this.#applyMeta(entry);
        break;
    }
    if (this.#scratch.length > 0) this.#scratch.take();
    if (own !== undefined) {
      this.#pending.remove(own);
      if (own.client === null) this.#expireInFlight = false;
      else server.endAsync(own.client);
    }
  }

  /** Looks a logged command up; the log only holds commands that passed these checks. */
  #invocation(argv: string[]): Invocation {
    let spec = this.#table.lookup(argv[0]);
    assert(spec !== undefined, `logged command ${argv[0]} exists`);
    if (spec.subcommands !== undefined) {
      spec = this.#table.lookupSub(spec, argv[1]);
      assert(spec !== undefined, `logged subcommand ${argv[1]} exists`);
    }
    return { spec, argv };
  }

  #applyMeta(entry: DecodedEntry): void {
    const argv = entry.commands[0];
    if (argv[0] === "addr" && argv.length === 4) {
      this.members.setAddress(Number(argv[1]), { addr: argv[2], busAddr: argv[3] });
      this.hooks?.membersChanged();
    } else {
      log("warning", `Ignoring unknown meta entry '${argv[0]}'`);
    }
  }

  #applyConf(e: Entry): void {
    const conf = decodeConfEntry(e.data);
    const removed = conf.change?.type === "remove" ? conf.change.nodeId : 0;
    const removedAddress = removed !== 0 ? this.members.address(removed) : undefined;
    this.members.setConf(conf.conf);
    if (conf.change !== null) {
      const address = decodeAddress(conf.change.context);
      if (address !== null && conf.change.type === "addLearner") this.members.setAddress(conf.change.nodeId, address);
    }
    this.hooks?.membersChanged();
    if (removed !== 0) this.hooks?.memberRemoved(removed, removedAddress);
  }
}

/** Active expiry proposes at most this many keys per entry. */
const activeExpireBatch = 1000;

/** The table row meta entries are logged under (never looked up: meta is applied by the node). */
const metaSpec: CommandSpec = {
  name: "raft.meta",
  arity: -1,
  flags: Flag.write,
  firstKey: 0,
  lastKey: 0,
  keyStep: 0,
  group: "cluster",
  summary: "raftis internal bookkeeping entry",
  since: "0.1.0",
};

