// Commands are data, as in Redis's command table: a row per command with its arity, flags,
// key positions and handler. Lookup, arity checks, routing (write → log, read → local after a
// read barrier, server commands → where received), COMMAND INFO/DOCS all come from these rows.

import type { Keyspace } from "../engine/keyspace.ts";
import type { Rng } from "../engine/rng.ts";
import type { Reply } from "../resp/reply.ts";
import type { EngineSettings } from "../engine/settings.ts";
import type { Client } from "../server/client.ts";
import type { Server } from "../server/server.ts";

/** Command flags, as bits; names as Redis prints them in COMMAND INFO. */
export const Flag = {
  write: 1 << 0,
  readonly: 1 << 1,
  denyoom: 1 << 2,
  admin: 1 << 3,
  noscript: 1 << 4,
  loading: 1 << 5,
  stale: 1 << 6,
  fast: 1 << 7,
  noAuth: 1 << 8,
  mayReplicate: 1 << 9,
  noMulti: 1 << 10,
  movableKeys: 1 << 11,
  allowBusy: 1 << 12,
  skipMonitor: 1 << 13,
  skipSlowlog: 1 << 14,
  noMandatoryKeys: 1 << 15,
  /** raftis: a connection/server command that runs where it is received, never replicated. */
  local: 1 << 16,
  /** raftis: a read whose result depends on randomness or time (RANDOMKEY, TIME, ...). */
  random: 1 << 17,
  /**
   * raftis: read-only for clients (COMMAND INFO says readonly) but it may change the stored
   * value, as PFCOUNT refreshes its cached count: on a cluster it goes through the log like a
   * write, so every replica changes the same bytes.
   */
  logged: 1 << 18,
} as const;

/** Commands that change the state machine, so every replica must run them from the log. */
export function goesThroughLog(spec: { readonly flags: number }): boolean {
  return (spec.flags & (Flag.write | Flag.logged)) !== 0;
}

/** Redis's spelling of each flag, in COMMAND INFO order. raftis-only flags are not printed. */
export const flagNames: readonly (readonly [number, string])[] = [
  [Flag.write, "write"],
  [Flag.readonly, "readonly"],
  [Flag.denyoom, "denyoom"],
  [Flag.admin, "admin"],
  [Flag.noscript, "noscript"],
  [Flag.loading, "loading"],
  [Flag.stale, "stale"],
  [Flag.skipMonitor, "skip_monitor"],
  [Flag.skipSlowlog, "skip_slowlog"],
  [Flag.fast, "fast"],
  [Flag.noAuth, "no_auth"],
  [Flag.mayReplicate, "may_replicate"],
  [Flag.noMandatoryKeys, "no_mandatory_keys"],
  [Flag.noMulti, "no_multi"],
  [Flag.movableKeys, "movablekeys"],
  [Flag.allowBusy, "allow_busy"],
];

export type CommandGroup =
  | "generic"
  | "string"
  | "list"
  | "set"
  | "sorted-set"
  | "hash"
  | "hyperloglog"
  | "bitmap"
  | "connection"
  | "server"
  | "transactions"
  | "cluster";

/**
 * What a state-machine handler may touch. Deterministic by construction: time is `now` (the
 * log entry's timestamp), randomness is `rng` (seeded by the entry), and nothing else about
 * the node is reachable.
 */
export interface DataContext {
  readonly db: Keyspace;
  /** Milliseconds since the epoch: the entry's timestamp on the write path. */
  readonly now: number;
  /** Seeded by the log entry; the same on every replica. */
  readonly rng: Rng;
  readonly reply: Reply;
  readonly settings: EngineSettings;
}

/** A connection/server command also sees the client that sent it and the node. */
export interface ServerContext extends DataContext {
  readonly client: Client;
  readonly server: Server;
}

export type DataHandler = (ctx: DataContext, argv: string[]) => void;

export interface CommandSpec {
  /** Lower-case name; subcommands are `parent|sub`. */
  readonly name: string;
  /** Redis arity: N means exactly N arguments (name included), -N means at least N. */
  readonly arity: number;
  readonly flags: number;
  /** First key argument (1-based argv index), 0 when none. */
  readonly firstKey: number;
  /** Last key argument; -1 = the last argument, -2 = the one before, ... */
  readonly lastKey: number;
  readonly keyStep: number;
  /** For commands whose keys move (numkeys arguments): argv indexes of the keys. */
  readonly keysOf?: (argv: readonly string[]) => number[];
  readonly group: CommandGroup;
  readonly summary: string;
  readonly since: string;
  readonly complexity?: string;
  /** State-machine handler: runs on the apply path (WRITE) or as a read (READONLY). */
  readonly run?: DataHandler;
  /**
   * Connection/server handler: runs on the node that received it (Flag.local). A handler whose
   * reply comes later (EXEC on a cluster, RAFT.* admin calls) brackets it with
   * server.beginAsync(client, "other") / server.endAsync(client).
   */
  readonly runLocal?: (ctx: ServerContext, argv: string[]) => void;
  /** Container commands (CLIENT, CONFIG, OBJECT, ...): dispatch on argv[1]. */
  readonly subcommands?: readonly CommandSpec[];
}

/** Declares a command with sensible defaults: no keys, step 1. */
export function command(spec: Omit<CommandSpec, "firstKey" | "lastKey" | "keyStep"> & Partial<Pick<CommandSpec, "firstKey" | "lastKey" | "keyStep">>): CommandSpec {
  return {
    firstKey: 0,
    lastKey: 0,
    keyStep: spec.firstKey ? 1 : 0,
    ...spec,
  };
}

/** argv indexes of a command's keys, from its row (or keysOf for movable keys). */
export function keyIndexes(spec: CommandSpec, argv: readonly string[]): number[] {
  if (spec.keysOf !== undefined) return spec.keysOf(argv);
  if (spec.firstKey === 0) return [];
  const last = spec.lastKey < 0 ? argv.length + spec.lastKey : spec.lastKey;
  const out: number[] = [];
  for (let i = spec.firstKey; i <= last && i < argv.length; i += spec.keyStep) out.push(i);
  return out;
}
