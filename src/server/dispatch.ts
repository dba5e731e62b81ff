// Redis's processCommand for raftis: look the command up, check arity, authentication and
// memory, queue it inside MULTI, then run it where it belongs: connection/server commands
// here, state-machine commands through the executor (directly on a single node, through the
// Raft log in a cluster). The checks come in Redis 7.0's order, with its error texts.

import type { CommandTable } from "../commands/registry.ts";
import { Flag, goesThroughLog, type CommandSpec } from "../commands/types.ts";
import { clientInflightReadsMax, clientInflightWritesMax, commandTimingSampleEvery, multiQueueMaxCommands } from "../constants.ts";
import type { Invocation } from "../engine/engine.ts";
import { errors } from "../resp/reply.ts";
import type { Client, InflightKind } from "./client.ts";
import type { Server } from "./server.ts";

/**
 * Runs state-machine commands; the single-node and Raft versions differ only here. A command
 * whose reply comes later calls server.beginAsync(client, kind) and server.endAsync(client)
 * once its reply is written.
 */
export interface Executor {
  /** Runs (or starts) `cmd` for `client`, replying into client.reply. */
  run(client: Client, cmd: Invocation): void;
  /** Runs a MULTI/EXEC transaction as one unit; same contract as run(). */
  runMulti(client: Client, cmds: Invocation[]): void;
  /** Refuses writes when the node cannot take them; returns an error line or null. */
  writeRefusal(client: Client, spec: CommandSpec): string | null;
  /** EXEC must abort: a write not yet applied touches one of the client's WATCHed keys. */
  watchConflict(client: Client): boolean;
  /** Periodic work (active expiry, timeouts), called hz times a second. */
  cron(): void;
  /** The client's connection closed: drop what the executor holds for it. */
  clientClosed(client: Client): void;
  /**
   * True while the executor cannot take more work (a full ring): the server stops reading
   * clients until resumeReading().
   */
  backpressure(): boolean;
}

/** Commands that run immediately even inside MULTI (Redis's list in processCommand). */
const multiPassThrough = new Set(["exec", "discard", "multi", "watch", "quit", "reset"]);
/** Inside MULTI, every command but these counts as possibly growing memory (Redis 7.0). */
const multiOomExempt = new Set(["exec", "discard", "quit", "reset"]);

export const noAuthError = "NOAUTH Authentication required.";
export const oomError = "OOM command not allowed when used memory > 'maxmemory'.";

export class Dispatcher {
  readonly #server: Server;
  readonly #table: CommandTable;

  constructor(server: Server, table: CommandTable) {
    this.#server = server;
    this.#table = table;
  }

  get table(): CommandTable {
    return this.#table;
  }

  /**
   * Handles one request. Returns false when it cannot start yet (requests of another kind are
   * in flight): the server holds it and calls again after resume().
   */
  execute(client: Client, argv: string[]): boolean {
    if (client.inflight > 0) {
      // Replies of admitted requests are produced later, all at once: bounding how many may be
      // in flight bounds the output a client that does not read can make us hold. Reads may
      // return big values; writes mostly answer +OK, and a deep write pipeline keeps bulk
      // loading fast (one Raft round commits the whole window).
      const max = client.inflightKind === "read" ? clientInflightReadsMax : clientInflightWritesMax;
      if (client.inflight >= max) return false;
      // Only plain writes behind writes and reads behind reads keep reply order by themselves.
      const kind = this.#kindOf(client, argv);
      if (kind === "other" || kind !== client.inflightKind) return false;
    }
    const server = this.#server;
    let spec = this.#table.lookup(argv[0]);
    if (spec === undefined) {
      this.#reject(client, null, unknownCommandError(argv));
      return true;
    }
    if (spec.subcommands !== undefined && argv.length >= 2) {
      const sub = this.#table.lookupSub(spec, argv[1]);
      if (sub === undefined) {
        this.#reject(client, null, `ERR unknown subcommand '${truncate(argv[1], 128)}'. Try ${spec.name.toUpperCase()} HELP.`);
        return true;
      }
      spec = sub;
    }
    client.lastCommand = spec.name;
    if ((spec.arity > 0 && argv.length !== spec.arity) || argv.length < -spec.arity) {
      this.#reject(client, spec, errors.wrongArgs(spec.name));
      return true;
    }
    if ((spec.flags & Flag.noAuth) === 0 && server.authRequired(client)) {
      this.#reject(client, spec, noAuthError);
      return true;
    }
    const multi = client.multi;
    if (server.settings.maxmemory > 0) {
      const denyoom =
        (spec.flags & Flag.denyoom) !== 0 ||
        (multi !== null && !multiOomExempt.has(spec.name)) ||
        (multi !== null && spec.name === "exec" && multi.queue.some((q) => (q.spec.flags & Flag.denyoom) !== 0));
      if (denyoom && server.overMaxmemory()) {
        this.#reject(client, spec, oomError);
        return true;
      }
    }
    if (multi !== null && (spec.flags & Flag.noMulti) !== 0 && !multiPassThrough.has(spec.name)) {
      this.#reject(client, spec, "ERR Command not allowed inside a transaction");
      return true;
    }
    if (multi !== null && !multiPassThrough.has(spec.name)) {
      if (multi.queue.length >= multiQueueMaxCommands) {
        this.#reject(client, spec, `ERR too many commands queued in MULTI (limit ${multiQueueMaxCommands})`);
        return true;
      }
      multi.queue.push({ spec, argv });
      client.reply.raw("+QUEUED\r\n");
      return true;
    }
    this.run(client, spec, argv);
    return true;
  }

  /**
   * Whether a request would be a plain write or read (which may join requests of the same kind
   * in flight) or anything else (errors, connection commands, transactions: these wait).
   */
  #kindOf(client: Client, argv: string[]): InflightKind {
    if (client.multi !== null) return "other";
    const spec = this.#table.lookup(argv[0]);
    if (spec === undefined || spec.run === undefined) return "other";
    if ((spec.arity > 0 && argv.length !== spec.arity) || argv.length < -spec.arity) return "other";
    return goesThroughLog(spec) ? "write" : "read";
  }

  /** Runs a looked-up, checked command (also used by EXEC for its queue). */
  run(client: Client, spec: CommandSpec, argv: string[]): void {
    const server = this.#server;
    const stat = server.stats.statFor(spec);
    const timed = stat.calls % commandTimingSampleEvery === 0;
    const started = timed ? performance.now() : 0;
    const errorsBefore = client.reply.errorCount;
    if (spec.runLocal !== undefined) {
      spec.runLocal(server.contextFor(client), argv);
    } else {
      if ((spec.flags & Flag.write) !== 0) {
        const refusal = server.executor.writeRefusal(client, spec);
        if (refusal !== null) {
          server.stats.rejected(spec.name);
          client.reply.error(refusal);
          return;
        }
      }
      server.executor.run(client, { spec, argv });
    }
    // Fetched again: the command may have been CONFIG RESETSTAT, which starts fresh stats.
    server.stats.called(server.stats.statFor(spec), timed ? performance.now() - started : null, client.reply.errorCount > errorsBefore);
  }

  /**
   * Refuses a command (Redis's rejectCommand): an error reply, and inside MULTI the
   * transaction is doomed. A refused EXEC discards the transaction (if any) at once.
   */
  #reject(client: Client, spec: CommandSpec | null, message: string): void {
    if (spec !== null) this.#server.stats.rejected(spec.name);
    // Even outside MULTI, as Redis's execCommandAbort: the reply says EXECABORT and any
    // watched keys are forgotten.
    if (spec?.name === "exec") {
      client.multi = null;
      this.#server.unwatchAll(client);
      const reason = message.startsWith("ERR ") ? message.slice(4) : message;
      client.reply.error(`EXECABORT Transaction discarded because of: ${reason}`);
      return;
    }
    if (client.multi !== null) client.multi.failed = true;
    client.reply.error(message);
  }
}

function truncate(s: string, max: number): string {
  return s.length > max ? s.slice(0, max) : s;
}

/** Redis 7.0's text: the name, then up to 128 bytes of quoted arguments. */
export function unknownCommandError(argv: readonly string[]): string {
  let args = "";
  for (let i = 1; i < argv.length && args.length < 128; i++) {
    args += `'${truncate(argv[i], 128 - args.length)}' `;
  }
  return `ERR unknown command '${truncate(argv[0], 128)}', with args beginning with: ${args}`;
}
