// The client side of a node: listens, reads requests, dispatches them, and writes replies
// once per event-loop turn with backpressure (a slow reader pauses its own input instead of
// growing our memory). Runs on the main thread.

import type { NodeAdmin } from "../node/node.ts";
import type { TCPSocketListener } from "bun";
import { commandTable } from "../commands/index.ts";
import type { ServerContext } from "../commands/types.ts";
import { clientOutputPauseBytes, protoInlineMaxBytes, usedMemoryRefreshMs } from "../constants.ts";
import type { Settings } from "../config/settings.ts";
import { Engine } from "../engine/engine.ts";
import { Rng } from "../engine/rng.ts";
import { ProtocolError } from "../resp/parser.ts";
import { assert } from "../util/assert.ts";
import { log } from "../util/log.ts";
import { Client, type ClientSocket, type ClientSocketData, type InflightKind } from "./client.ts";
import { Clock } from "./clock.ts";
import { Dispatcher, type Executor } from "./dispatch.ts";
import { LocalExecutor } from "./local-executor.ts";
import { ServerStats } from "./stats.ts";

/**
 * What one argument costs beyond its bytes (array slot, string header), counted against
 * client-query-buffer-limit so a request of millions of empty arguments is limited too.
 */
const argvSlotBytesEstimate = 16;

/** While a client waits on a command, reading continues until this much input is queued. */
const waitingInputPauseBytes = protoInlineMaxBytes;

export interface ServerOptions {
  settings: Settings;
  /** Replaces the single-node executor (the Raft node installs its own). */
  executor?: (server: Server) => Executor;
  /** SHUTDOWN ran: the process should end (main.ts exits; tests may just stop the server). */
  onShutdown?: () => void;
  /** The config file the node started with (INFO config_file). */
  configFile?: string | null;
}

export class Server {
  readonly settings: Settings;
  readonly engine: Engine;
  readonly clock = new Clock();
  readonly stats = new ServerStats();
  readonly clients = new Map<number, Client>();
  readonly dispatcher: Dispatcher;
  readonly executor: Executor;
  readonly startedAtMs: number;
  /**
   * Extra INFO sections contributed by other parts of the node (`raft`): name → its
   * `field:value\r\n` lines. Shown by INFO <name> and INFO everything.
   */
  readonly infoSections = new Map<string, () => string>();
  /** The Raft node's admin operations (RAFT.* commands); null when running --standalone. */
  admin: NodeAdmin | null = null;
  /** Called before INFO renders, to refresh what infoSections show (null: nothing to refresh). */
  infoRefresh: ((sections: readonly string[]) => Promise<void>) | null = null;
  #listeners: TCPSocketListener<ClientSocketData>[] = [];
  #nextClientId = 1;
  #flushQueue = new Set<Client>();
  /** Clients whose held request may start (see endAsync). */
  readonly #resumeQueue = new Set<Client>();
  /** Clients that stopped because the executor pushed back (see resumeReading). */
  readonly #backpressured = new Set<Client>();
  #flushScheduled = false;
  #cron: ReturnType<typeof setInterval> | null = null;
  #usedMemory = 0;
  #usedMemoryAtMs = 0;
  #usedMemoryPeak = 0;
  #readSeed = 0;
  readonly #onShutdown: () => void;
  readonly configFile: string | null;
  /** 40 hex digits, new at every start (INFO run_id). */
  readonly runId: string;
  lastSaveSec: number;
  #recentWindowStartMs = 0;
  #currentMaxInput = 0;
  #currentMaxOutput = 0;
  #previousMaxInput = 0;
  #previousMaxOutput = 0;

  constructor(options: ServerOptions) {
    this.settings = options.settings;
    this.#onShutdown = options.onShutdown ?? (() => this.stop());
    this.configFile = options.configFile ?? null;
    this.runId = Buffer.from(crypto.getRandomValues(new Uint8Array(20))).toString("hex");
    this.engine = new Engine(this.settings);
    this.dispatcher = new Dispatcher(this, commandTable);
    this.executor = options.executor?.(this) ?? new LocalExecutor(this);
    this.startedAtMs = Date.now();
    this.lastSaveSec = Math.floor(this.startedAtMs / 1000);
  }

  /** HELLO's and INFO's `mode`: a Raft node reports "cluster". */
  mode: "standalone" | "cluster" = "standalone";
  /**
   * A restarting node reads its state after its port opens: until it has, data and admin
   * commands get -LOADING (as Redis answers while it loads) and INFO says loading:1.
   */
  loading = false;

  /** The ports actually bound (useful with --port 0). */
  get ports(): number[] {
    return this.#listeners.map((l) => l.port);
  }

  listen(): void {
    const hosts = this.settings.bind.split(/\s+/).filter((h) => h.length > 0);
    for (const hostname of hosts) {
      const listener = Bun.listen<ClientSocketData>({
        hostname,
        port: this.#listeners.length > 0 && this.settings.port === 0 ? this.#listeners[0].port : this.settings.port,
        data: { client: null },
        socket: {
          open: (socket) => this.#onOpen(socket),
          data: (socket, data) => this.#onData(socket, data),
          drain: (socket) => this.#onDrain(socket),
          close: (socket) => this.#onClose(socket),
          error: (socket, error) => {
            log("verbose", `Client error: ${error.message}`);
            this.#onClose(socket);
          },
        },
      });
      this.#listeners.push(listener);
    }
    this.#cron = setInterval(() => this.#serverCron(), 1000 / this.settings.hz);
    this.refreshUsedMemory();
  }

  stop(): void {
    if (this.#cron !== null) clearInterval(this.#cron);
    this.#cron = null;
    // Replies already computed still go out (as far as the sockets take them): a SET
    // pipelined before SHUTDOWN gets its +OK. Then the listeners stop accepting.
    for (const client of this.clients.values()) {
      this.flush(client);
      client.closed = true;
      client.socket.end();
    }
    this.clients.clear();
    for (const l of this.#listeners) l.stop(false);
    this.#listeners = [];
  }

  /** The context a local (connection/server) handler runs with. */
  contextFor(client: Client): ServerContext {
    const server = this;
    const now = this.clock.now();
    let rng: Rng | null = null;
    return {
      db: this.engine.db,
      now,
      get rng() {
        if (rng === null) rng = new Rng(server.nextReadSeed());
        return rng;
      },
      reply: client.reply,
      settings: this.settings,
      client,
      server: this,
    };
  }

  /** Seeds for reads with random results (RANDOMKEY, SRANDMEMBER): varied, reproducible. */
  nextReadSeed(): number {
    this.#readSeed = (this.#readSeed + 0x9e3779b9) >>> 0;
    return this.#readSeed;
  }

  /** Bytes the process holds in its JS heap and buffers (INFO used_memory). */
  usedMemory(): number {
    return this.#usedMemory;
  }

  usedMemoryPeak(): number {
    return this.#usedMemoryPeak;
  }

  /**
   * Over maxmemory? Re-reads the process's memory at most every usedMemoryRefreshMs, so a
   * burst of writes cannot run far past the limit between two cron ticks.
   */
  overMaxmemory(): boolean {
    if (this.settings.maxmemory <= 0) return false;
    if (performance.now() - this.#usedMemoryAtMs >= usedMemoryRefreshMs) this.refreshUsedMemory();
    return this.#usedMemory > this.settings.maxmemory;
  }

  /** Recomputes used memory now (after CONFIG SET maxmemory, so it applies at once). */
  refreshUsedMemory(): void {
    const m = process.memoryUsage();
    this.#usedMemory = m.heapUsed + m.arrayBuffers;
    this.#usedMemoryAtMs = performance.now();
    if (this.#usedMemory > this.#usedMemoryPeak) this.#usedMemoryPeak = this.#usedMemory;
  }

  /** Largest query buffer seen lately (INFO client_recent_max_input_buffer). */
  get recentMaxInputBuffer(): number {
    return Math.max(this.#currentMaxInput, this.#previousMaxInput);
  }

  /** Largest unsent output seen lately (INFO client_recent_max_output_buffer). */
  get recentMaxOutputBuffer(): number {
    return Math.max(this.#currentMaxOutput, this.#previousMaxOutput);
  }

  /** requirepass is set and this client has not authenticated (Redis's authRequired). */
  authRequired(client: Client): boolean {
    return this.settings.requirepass !== "" && !client.authenticated;
  }

  #onOpen(socket: ClientSocket): void {
    this.stats.totalConnections++;
    if (this.clients.size >= this.settings.maxclients) {
      this.stats.rejectedConnections++;
      socket.write("-ERR max number of clients reached\r\n");
      socket.end();
      return;
    }
    const limits = {
      maxBulkLen: () => this.settings.protoMaxBulkLen,
      authRequired: () => this.authRequired(client),
    };
    const client: Client = new Client(this.#nextClientId++, socket, limits, Date.now(), this.settings.requirepass === "");
    client.reply.onError = (message) => this.stats.errorReply(message);
    // Bun.listen's `data` object is shared by every socket: give each its own.
    socket.data = { client };
    this.clients.set(client.id, client);
  }

  #onData(socket: ClientSocket, data: Buffer): void {
    const client = socket.data.client;
    if (client === null || client.closed) return;
    this.stats.netInputBytes += data.length;
    this.stats.reads++;
    client.lastInteractionMs = Date.now();
    client.parser.feed(data);
    this.processInput(client);
    const parser = client.parser;
    const queued = parser.buffered + parser.argvBytes + parser.argvCount * argvSlotBytesEstimate;
    if (queued > this.#currentMaxInput) this.#currentMaxInput = queued;
    const limit = this.settings.clientQueryBufferLimit;
    if (!client.closed && queued > limit) {
      // Redis closes such a client without a reply: it is not speaking the protocol sanely.
      log("warning", `Closing client that reached max query buffer length: id=${client.id} addr=${client.addr} (qbuf initial bytes: ${queued})`);
      this.closeClient(client);
    }
  }

  /** Runs the client's buffered requests until it must wait, then writes the replies. */
  processInput(client: Client): void {
    while (!client.waiting && !client.outputBlocked && !client.closeAfterReply && !client.closed) {
      if (this.executor.backpressure()) {
        // A full ring to the Raft worker: stop here; resumeReading() continues.
        this.#backpressured.add(client);
        break;
      }
      let argv: string[] | null = client.heldArgv;
      client.heldArgv = null;
      if (argv === null && client.heldProtocolError === null) {
        try {
          argv = client.parser.next();
        } catch (e) {
          if (!(e instanceof ProtocolError)) throw e;
          log("verbose", `Protocol error (${e.message}) from client: id=${client.id} addr=${client.addr}`);
          client.heldProtocolError = `ERR Protocol error: ${e.message}`;
        }
      }
      if (client.heldProtocolError !== null) {
        // Replies keep request order: the error waits for the requests in flight before it.
        if (client.inflight > 0) {
          client.waiting = true;
          break;
        }
        client.reply.error(client.heldProtocolError);
        client.closeAfterReply = true;
        break;
      }
      if (argv === null) break;
      if (!this.dispatcher.execute(client, argv)) {
        client.heldArgv = argv;
        client.waiting = true;
        break;
      }
      if (client.reply.length >= clientOutputPauseBytes) this.flush(client);
    }
    client.parser.detach();
    this.#updateReading(client);
    this.flush(client);
  }

  /** A request of `client` will reply later; see Client.inflightKind. */
  beginAsync(client: Client, kind: Exclude<InflightKind, "none">): void {
    assert(client.inflight === 0 || client.inflightKind === kind, "only requests of one kind are in flight");
    client.inflight++;
    client.inflightKind = kind;
  }

  /**
   * A request that replied later has written its reply: send it, and once nothing is in
   * flight let the client's held request go ahead (at the end of this turn, so replies to
   * many clients share one pass).
   */
  endAsync(client: Client): void {
    assert(client.inflight > 0, "endAsync follows beginAsync");
    client.inflight--;
    if (client.inflight === 0) {
      client.inflightKind = "none";
      if (client.waiting) this.#resumeQueue.add(client);
    }
    this.scheduleFlush(client);
  }

  /** The executor can take work again: continue every client it pushed back. */
  resumeReading(): void {
    const clients = [...this.#backpressured];
    this.#backpressured.clear();
    for (const c of clients) if (!c.closed && !c.waiting) this.processInput(c);
  }

  /** Continues a client whose held request may now start. */
  resume(client: Client): void {
    assert(client.waiting, "resume() follows a held request");
    client.waiting = false;
    if (client.closed) return;
    this.processInput(client);
  }

  /** Queues a flush of the client's replies at the end of this event-loop turn. */
  scheduleFlush(client: Client): void {
    this.#flushQueue.add(client);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      // Flush first: a client whose output is now blocked must not run its held request.
      const queue = [...this.#flushQueue];
      this.#flushQueue.clear();
      for (const c of queue) this.flush(c);
      const resumes = [...this.#resumeQueue];
      this.#resumeQueue.clear();
      for (const c of resumes) if (c.waiting && c.inflight === 0) this.resume(c);
    });
  }

  /** Writes what the client's reply buffer holds; keeps what the socket did not take. */
  flush(client: Client): void {
    if (client.closed) return;
    if (client.reply.length > 0) {
      const bytes = client.reply.take();
      if (client.pendingOutBytes > 0) {
        this.#queueOut(client, Buffer.from(bytes));
      } else {
        // Bun keeps nothing it did not accept: the rest is ours to keep and resend on drain.
        const n = Math.max(0, client.socket.write(bytes));
        this.stats.netOutputBytes += n;
        this.stats.writes++;
        if (n < bytes.length) this.#queueOut(client, Buffer.from(bytes.subarray(n)));
      }
      client.reply.shrink();
    }
    if (this.#overOutputLimits(client, Date.now())) return;
    this.#updateReading(client);
    if (client.closeAfterReply && client.pendingOutBytes === 0 && client.inflight === 0) {
      client.socket.end();
      this.#forget(client);
    }
  }

  #queueOut(client: Client, bytes: Buffer): void {
    client.pendingOut.push(bytes);
    client.pendingOutBytes += bytes.length;
    if (client.pendingOutBytes > this.#currentMaxOutput) this.#currentMaxOutput = client.pendingOutBytes;
  }

  /**
   * client-output-buffer-limit for normal clients: past the hard limit, or above the soft
   * limit for longer than its seconds, the client is closed (Redis's
   * checkClientOutputBufferLimits). Returns true when it was closed.
   */
  #overOutputLimits(client: Client, nowMs: number): boolean {
    const used = client.pendingOutBytes;
    const { clientOutputHardLimit: hard, clientOutputSoftLimit: soft, clientOutputSoftSeconds: softSeconds } = this.settings;
    let over = hard > 0 && used >= hard;
    if (soft > 0 && used >= soft) {
      if (client.softLimitSinceMs === 0) client.softLimitSinceMs = nowMs;
      else if (nowMs - client.softLimitSinceMs > softSeconds * 1000) over = true;
    } else {
      client.softLimitSinceMs = 0;
    }
    if (!over) return false;
    log("warning", `Client id=${client.id} addr=${client.addr} closed for overcoming of output buffer limits.`);
    this.stats.clientOutputLimitDisconnections++;
    this.closeClient(client);
    return true;
  }

  #onDrain(socket: ClientSocket): void {
    const client = socket.data.client;
    if (client === null || client.closed) return;
    while (client.pendingOut.length > 0) {
      const head = client.pendingOut[0];
      const n = Math.max(0, socket.write(head));
      this.stats.netOutputBytes += n;
      this.stats.writes++;
      client.pendingOutBytes -= n;
      // A client slowly reading a big reply is not idle (Redis counts writes as interaction).
      if (n > 0) client.lastInteractionMs = Date.now();
      if (n < head.length) {
        client.pendingOut[0] = head.subarray(n);
        break;
      }
      client.pendingOut.shift();
    }
    const wasBlocked = client.outputBlocked;
    this.#updateReading(client);
    if (wasBlocked && !client.outputBlocked) this.processInput(client);
    else if (client.closeAfterReply) this.flush(client);
  }

  /** Pauses reading from a client that has too much unsent output or too much queued input. */
  #updateReading(client: Client): void {
    client.outputBlocked = client.pendingOutBytes >= clientOutputPauseBytes;
    const pause =
      client.outputBlocked ||
      ((client.waiting || this.#backpressured.has(client)) && client.parser.buffered >= waitingInputPauseBytes);
    if (pause && !client.socketPaused) {
      client.socket.pause();
      client.socketPaused = true;
    } else if (!pause && client.socketPaused) {
      client.socket.resume();
      client.socketPaused = false;
    }
  }

  #onClose(socket: ClientSocket): void {
    const client = socket.data.client;
    if (client === null) return;
    this.#forget(client);
  }

  /** Closes a client at once, dropping unsent output (CLIENT KILL, output limit). */
  closeClient(client: Client): void {
    this.#forget(client);
    client.socket.terminate();
  }

  /**
   * CLIENT KILL: another client is closed at once; the caller itself gets its reply first
   * (Redis marks it CLIENT_CLOSE_AFTER_REPLY).
   */
  killClient(victim: Client, caller: Client): void {
    if (victim === caller) victim.closeAfterReply = true;
    else this.closeClient(victim);
  }

  /** SHUTDOWN: stop serving and end the process (or what onShutdown says). */
  shutdown(): void {
    log("warning", "User requested shutdown...");
    log("warning", "raftis is now ready to exit, bye bye...");
    this.#onShutdown();
  }

  #forget(client: Client): void {
    if (client.closed) return;
    client.closed = true;
    this.unwatchAll(client);
    this.#backpressured.delete(client);
    this.executor.clientClosed(client);
    this.clients.delete(client.id);
    this.#flushQueue.delete(client);
  }

  /** UNWATCH: forgets every key the client watches. */
  unwatchAll(client: Client): void {
    for (const key of client.watched.keys.keys()) this.engine.db.unwatch(key, client.watched);
    client.watched.keys.clear();
    client.watched.dirty = false;
  }

  /** Restarts the periodic work at the current hz (after CONFIG SET hz). */
  restartCron(): void {
    if (this.#cron === null) return;
    clearInterval(this.#cron);
    this.#cron = setInterval(() => this.#serverCron(), 1000 / this.settings.hz);
  }

  #serverCron(): void {
    this.refreshUsedMemory();
    const now = Date.now();
    if (now - this.#recentWindowStartMs >= 1000) {
      // "recent" = this second and the one before.
      this.#recentWindowStartMs = now;
      this.#previousMaxInput = this.#currentMaxInput;
      this.#previousMaxOutput = this.#currentMaxOutput;
      this.#currentMaxInput = 0;
      this.#currentMaxOutput = 0;
    }
    this.stats.sample(now);
    this.executor.cron();
    const idleLimit = this.settings.timeout > 0 ? now - this.settings.timeout * 1000 : -1;
    for (const client of this.clients.values()) {
      if (client.softLimitSinceMs > 0 && this.#overOutputLimits(client, now)) continue;
      // Like Redis's blocked clients, a client waiting on a command is not timed out.
      if (idleLimit > 0 && client.inflight === 0 && !client.waiting && client.lastInteractionMs < idleLimit) {
        log("verbose", `Closing idle client id=${client.id} addr=${client.addr}`);
        this.closeClient(client);
      }
    }
  }
}
