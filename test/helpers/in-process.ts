// The state machine run in-process, without a server: the command table's rows on an Engine,
// with the arity checks the dispatcher does. Used where a test needs to put values into the
// keyspace that no command can make yet (a stand-in collection for WRONGTYPE paths), or to
// drive `now` by hand.

import { commandTable } from "../../src/commands/index.ts";
import { Flag, goesThroughLog } from "../../src/commands/types.ts";
import { Engine } from "../../src/engine/engine.ts";
import { defaultEngineSettings } from "../../src/engine/settings.ts";
import type { CollectionValue, TypeName, Value } from "../../src/engine/value.ts";
import type { RespClient } from "../../src/client/resp-client.ts";
import { ReplyParser, showReply, type RespValue } from "../../src/resp/reply-parser.ts";
import { errors, Reply } from "../../src/resp/reply.ts";
import { DiffMismatch, Rng, showCommand } from "./diff.ts";

/** A collection with no content, standing in for a real one: it only has a type. */
export class StandInCollection implements CollectionValue {
  readonly type: Exclude<TypeName, "string">;
  readonly size = 1;

  constructor(type: Exclude<TypeName, "string">) {
    this.type = type;
  }

  encoding(): string {
    return "stand-in";
  }

  clone(): StandInCollection {
    return new StandInCollection(this.type);
  }
}

export class InProcessNode {
  readonly engine = new Engine(defaultEngineSettings());
  readonly reply = new Reply();
  /** The time commands run at; tests move it. */
  now: number;
  #seed = 0;

  constructor(now = Date.now()) {
    this.now = now;
  }

  /** Runs one command as the dispatcher would (lookup, arity) and returns its parsed reply. */
  call(...argv: string[]): RespValue {
    let spec = commandTable.lookup(argv[0]);
    if (spec !== undefined && spec.subcommands !== undefined && argv.length >= 2) spec = commandTable.lookupSub(spec, argv[1]);
    if (spec === undefined || spec.run === undefined) {
      this.reply.error(`ERR unknown command '${argv[0]}'`);
    } else if ((spec.arity > 0 && argv.length !== spec.arity) || argv.length < -spec.arity) {
      this.reply.error(errors.wrongArgs(spec.name));
    } else if ((spec.flags & Flag.write) !== 0) {
      this.engine.apply({ spec, argv }, this.now, ++this.#seed, this.reply);
    } else {
      this.engine.read({ spec, argv }, this.now, ++this.#seed, this.reply);
    }
    const parser = new ReplyParser();
    parser.feed(this.reply.take());
    const value = parser.next();
    if (value === undefined) throw new Error(`no complete reply to ${argv.join(" ")}`);
    return value;
  }

  put(key: string, value: Value): void {
    this.engine.db.set(key, value);
  }
}

/**
 * `SADD key m` with one fixed member, done on a stand-in set: the reply redis-server gives to
 * the same command (1 when created, 0 when already a set, WRONGTYPE on a string).
 */
export function saddStandIn(node: InProcessNode, key: string): RespValue {
  const existing = node.engine.db.lookupWrite(key, node.now);
  if (existing === undefined) {
    // Generic key and string commands only use the CollectionValue interface, so the stand-in
    // may pose as a set whatever the real SetValue class becomes.
    node.put(key, new StandInCollection("set") as unknown as Value);
    return { t: "int", v: 1n };
  }
  if (typeof existing === "string") return { t: "error", v: errors.wrongType };
  return { t: "int", v: 0n };
}

export interface InProcessDiffOptions {
  readonly seed: number;
  readonly count: number;
  readonly generate: (rng: Rng) => string[];
  readonly normalize?: (argv: readonly string[], reply: RespValue) => RespValue;
}

/**
 * A differential run of redis-server against the in-process state machine. `SADD k m` makes a
 * real set in redis-server and a stand-in one here, so WRONGTYPE paths run before any
 * collection family exists. Throws with the seed and recent commands on a mismatch.
 */
export async function runInProcessDifferential(oracle: RespClient, node: InProcessNode, opts: InProcessDiffOptions): Promise<number> {
  const rng = new Rng(opts.seed);
  await oracle.call("FLUSHALL");
  node.call("FLUSHALL");
  const history: string[][] = [];
  for (let sent = 0; sent < opts.count; sent += 100) {
    const cmds: string[][] = [];
    for (let i = 0; i < 100 && sent + i < opts.count; i++) cmds.push(opts.generate(rng));
    const expected = await oracle.pipeline(cmds);
    for (let i = 0; i < cmds.length; i++) {
      const argv = cmds[i];
      history.push(argv);
      node.now = Date.now();
      const actual = argv[0] === "SADD" ? saddStandIn(node, argv[1]) : node.call(...argv);
      const e = opts.normalize ? opts.normalize(argv, expected[i]) : expected[i];
      const a = opts.normalize ? opts.normalize(argv, actual) : actual;
      if (showReply(e) !== showReply(a)) {
        const recent = history.slice(-25).map((c) => `  ${showCommand(c)}`).join("\n");
        throw new DiffMismatch(
          `Replies differ (seed ${opts.seed}, command #${sent + i}):\n  command: ${showCommand(argv)}\n` +
            `  redis:   ${showReply(expected[i])}\n  raftis:  ${showReply(actual)}\nlast commands:\n${recent}\nreplay with SEED=${opts.seed}`,
        );
      }
    }
  }
  return opts.count;
}

/**
 * Runs one state-machine command on `engine` at `now` with `seed`, through the log path or the
 * read path as the node would (tests replaying a log by hand), and returns the reply as text.
 */
export function runOnEngine(engine: Engine, argv: string[], now: number, seed: number): string {
  let spec = commandTable.lookup(argv[0]);
  if (spec?.subcommands !== undefined) spec = commandTable.lookupSub(spec, argv[1]);
  if (spec?.run === undefined) throw new Error(`no state-machine command ${argv[0]}`);
  const reply = new Reply();
  if (goesThroughLog(spec)) engine.apply({ spec, argv }, now, seed, reply);
  else engine.read({ spec, argv }, now, seed, reply);
  const p = new ReplyParser();
  p.feed(reply.take());
  const v = p.next();
  if (v === undefined) throw new Error(`no reply to ${argv.join(" ")}`);
  return showReply(v);
}
