// The state machine: the keyspace plus the one deterministic way to change it. `apply` runs a
// write with a time and a seed taken from its log entry; `read` runs a read-only command
// against the current state. Neither reads a clock or Math.random, so replaying the same log
// on any node gives the same keyspace and the same replies.

import type { CommandSpec, DataContext } from "../commands/types.ts";
import { goesThroughLog } from "../commands/types.ts";
import type { Reply } from "../resp/reply.ts";
import { assert } from "../util/assert.ts";
import { Keyspace } from "./keyspace.ts";
import { Rng } from "./rng.ts";
import type { EngineSettings } from "./settings.ts";

/** The DataContext of one command; the generator is only built when a command asks for it. */
class ApplyContext implements DataContext {
  readonly db: Keyspace;
  readonly now: number;
  readonly reply: Reply;
  readonly settings: EngineSettings;
  readonly #seed: number;
  #rng: Rng | null = null;

  constructor(db: Keyspace, now: number, seed: number, reply: Reply, settings: EngineSettings) {
    this.db = db;
    this.now = now;
    this.#seed = seed;
    this.reply = reply;
    this.settings = settings;
  }

  get rng(): Rng {
    if (this.#rng === null) this.#rng = Rng.forIndex(this.#seed);
    return this.#rng;
  }
}

/** One command of a write: its table row and arguments. */
export interface Invocation {
  readonly spec: CommandSpec;
  readonly argv: string[];
}

export class Engine {
  readonly db = new Keyspace();
  readonly settings: EngineSettings;
  /** Timestamp of the last applied write; entries carry non-decreasing times. */
  lastAppliedMs = 0;

  constructor(settings: EngineSettings) {
    this.settings = settings;
  }

  /**
   * Applies one write. `now` and `seed` come from the log entry (its timestamp and index), so
   * every replica computes the same result. The reply goes to `reply` (a discard buffer on
   * nodes that did not propose the entry).
   */
  apply(cmd: Invocation, now: number, seed: number, reply: Reply): void {
    const at = this.#advanceTime(now);
    this.#run(cmd, new ApplyContext(this.db, at, seed, reply, this.settings));
  }

  /**
   * Applies a MULTI/EXEC transaction as one unit: every command sees the same time, as in
   * Redis, and gets its own generator stream derived from the entry. Connection commands
   * queued in the transaction (CLIENT SETNAME, PING, ...) change nothing here; `runLocal`
   * runs them where the client is (a no-op on other replicas).
   */
  applyMulti(cmds: readonly Invocation[], now: number, seed: number, reply: Reply, runLocal: (cmd: Invocation) => void): void {
    const at = this.#advanceTime(now);
    reply.array(cmds.length);
    for (let i = 0; i < cmds.length; i++) {
      const cmd = cmds[i];
      if (cmd.spec.run === undefined) runLocal(cmd);
      else this.#run(cmd, new ApplyContext(this.db, at, seed * 1024 + i, reply, this.settings));
    }
  }

  /** Runs a read-only command at `now` (the reading node's time, never below the last write's). */
  read(cmd: Invocation, now: number, seed: number, reply: Reply): void {
    assert(!goesThroughLog(cmd.spec), "read() runs commands that change nothing");
    this.#run(cmd, new ApplyContext(this.db, Math.max(now, this.lastAppliedMs), seed, reply, this.settings));
  }

  /** Deletes `keys` that are expired at `now` (active expiry, applied like any write). */
  expire(keys: readonly string[], now: number): number {
    const at = this.#advanceTime(now);
    let removed = 0;
    for (const key of keys) {
      if (this.db.isExpired(key, at) && this.db.delete(key)) removed++;
    }
    return removed;
  }

  /**
   * The time a write runs at: its entry's time, but never before an earlier entry's (a new
   * leader's clock may be behind the old one's). Part of the replicated state.
   */
  #advanceTime(now: number): number {
    if (now > this.lastAppliedMs) this.lastAppliedMs = now;
    return this.lastAppliedMs;
  }

  #run(cmd: Invocation, ctx: ApplyContext): void {
    const run = cmd.spec.run;
    assert(run !== undefined, `command ${cmd.spec.name} has a state-machine handler`);
    run(ctx, cmd.argv);
  }
}
