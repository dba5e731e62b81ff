// One client connection: its parser, reply buffer, unsent output, transaction and WATCH state,
// and the fields CLIENT LIST prints.

import type { Socket } from "bun";
import type { CommandSpec } from "../commands/types.ts";
import type { KeyWatcher } from "../engine/keyspace.ts";
import { RequestParser, type ParserLimits } from "../resp/parser.ts";
import { Reply } from "../resp/reply.ts";

export interface ClientSocketData {
  client: Client | null;
}

export type ClientSocket = Socket<ClientSocketData>;

export type InflightKind = "none" | "write" | "read" | "other";

/** A command queued between MULTI and EXEC. */
export interface QueuedCommand {
  readonly spec: CommandSpec;
  readonly argv: string[];
}

export interface MultiState {
  readonly queue: QueuedCommand[];
  /** A queued command was rejected (unknown, wrong arity, ...): EXEC aborts with EXECABORT. */
  failed: boolean;
}

/** One WATCHed key of this client (Redis's watchedKey). */
class WatchedKeys implements KeyWatcher {
  /** key → it was already expired when WATCH ran (Redis's wk->expired). */
  readonly keys = new Map<string, boolean>();
  /** A watched key was modified: EXEC must abort (Redis's CLIENT_DIRTY_CAS). */
  dirty = false;

  touched(key: string, exists: boolean): void {
    const wasExpired = this.keys.get(key);
    if (wasExpired === true && !exists) {
      // Already expired when watched and now deleted: logically no change.
      this.keys.set(key, false);
      return;
    }
    this.dirty = true;
  }
}

export class Client {
  readonly id: number;
  readonly socket: ClientSocket;
  readonly parser: RequestParser;
  readonly reply = new Reply();
  readonly addr: string;
  readonly laddr: string;
  readonly createdAtMs: number;
  lastInteractionMs: number;
  name = "";
  /** CLIENT SETINFO LIB-NAME / LIB-VER (Redis 7.2; clients send them at connect). */
  libName = "";
  libVer = "";
  /** Full name of the last command run (`client|list`), for CLIENT LIST's cmd=. */
  lastCommand = "NULL";
  /** AUTH succeeded, or no password was required when the client connected. */
  authenticated: boolean;
  /** CLIENT NO-EVICT: accepted and shown; raftis never evicts clients. */
  noEvict = false;
  /** Since when the unsent output has been above the soft limit (0 = it is not). */
  softLimitSinceMs = 0;
  multi: MultiState | null = null;
  readonly watched = new WatchedKeys();
  /** Unsent reply bytes (the socket accepted only part of a write), oldest first. */
  readonly pendingOut: Buffer[] = [];
  pendingOutBytes = 0;
  /**
   * Parsing stopped: `heldArgv` waits until the requests in flight complete (see inflightKind).
   * Server.resume() continues.
   */
  waiting = false;
  /** A request that could not start yet, kept until resume(). */
  heldArgv: string[] | null = null;
  /** A protocol error met while requests were in flight: replied (and closed) after them. */
  heldProtocolError: string | null = null;
  /** Requests whose replies come later (a Raft commit, a read barrier, an admin call). */
  inflight = 0;
  /**
   * What is in flight. Replies must keep request order, so a new request may start while
   * others are in flight only if it is of the same kind and completes in the same order:
   * writes behind writes (the log orders them), reads behind reads (one barrier serves them).
   */
  inflightKind: InflightKind = "none";
  /** Too much unsent output: requests are not processed until the socket drains. */
  outputBlocked = false;
  /** socket.pause() is in effect. */
  socketPaused = false;
  /** Reply to what came before, then close (QUIT, protocol error, CLIENT KILL of itself). */
  closeAfterReply = false;
  closed = false;

  constructor(id: number, socket: ClientSocket, limits: ParserLimits, nowMs: number, authenticated: boolean) {
    this.id = id;
    this.authenticated = authenticated;
    this.socket = socket;
    this.parser = new RequestParser(limits);
    this.addr = `${socket.remoteAddress}:${socket.remotePort}`;
    this.laddr = `${socket.localAddress ?? "127.0.0.1"}:${socket.localPort ?? 0}`;
    this.createdAtMs = nowMs;
    this.lastInteractionMs = nowMs;
  }

  get resp(): 2 | 3 {
    return this.reply.resp;
  }
}
