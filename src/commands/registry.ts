// The command table: every family's rows, indexed by name (and subcommand), checked once at
// load time. Lookups accept any letter case without allocating for the common spellings.

import { assert } from "../util/assert.ts";
import { Flag, type CommandSpec } from "./types.ts";

export class CommandTable {
  readonly #byName = new Map<string, CommandSpec>();
  readonly #subs = new Map<CommandSpec, Map<string, CommandSpec>>();
  readonly #all: CommandSpec[] = [];

  constructor(families: readonly (readonly CommandSpec[])[]) {
    for (const family of families) {
      for (const spec of family) this.#add(spec);
    }
  }

  #add(spec: CommandSpec): void {
    validate(spec);
    assert(!this.#byName.has(spec.name), `command ${spec.name} declared once`);
    this.#all.push(spec);
    this.#byName.set(spec.name, spec);
    this.#byName.set(spec.name.toUpperCase(), spec);
    if (spec.subcommands !== undefined) {
      const subs = new Map<string, CommandSpec>();
      for (const sub of spec.subcommands) {
        validate(sub);
        const short = sub.name.slice(spec.name.length + 1);
        assert(sub.name === `${spec.name}|${short}`, `subcommand ${sub.name} is named parent|sub`);
        subs.set(short, sub);
      }
      this.#subs.set(spec, subs);
    }
  }

  /** The row for argv[0], in any letter case, or undefined. */
  lookup(name: string): CommandSpec | undefined {
    return this.#byName.get(name) ?? this.#byName.get(name.toLowerCase());
  }

  /** The subcommand row of a container command, or undefined. */
  lookupSub(parent: CommandSpec, name: string): CommandSpec | undefined {
    return this.#subs.get(parent)?.get(name.toLowerCase());
  }

  /** Every top-level command, in declaration order. */
  all(): readonly CommandSpec[] {
    return this.#all;
  }

  get size(): number {
    return this.#all.length;
  }
}

function validate(spec: CommandSpec): void {
  assert(spec.name === spec.name.toLowerCase(), `command name ${spec.name} is lower case`);
  assert(spec.arity !== 0, `command ${spec.name} has an arity`);
  const handlers = (spec.run ? 1 : 0) + (spec.runLocal ? 1 : 0) + (spec.subcommands ? 1 : 0);
  // A container may also be callable bare (COMMAND with no subcommand), as in Redis.
  const bareContainer = spec.subcommands !== undefined && spec.runLocal !== undefined && spec.run === undefined;
  assert(handlers === 1 || bareContainer, `command ${spec.name} has exactly one of run, runLocal, subcommands`);
  if (spec.runLocal !== undefined) assert((spec.flags & Flag.local) !== 0, `${spec.name}: runLocal implies Flag.local`);
  if (spec.run !== undefined) {
    const rw = (spec.flags & Flag.write ? 1 : 0) + (spec.flags & Flag.readonly ? 1 : 0);
    assert(rw === 1, `${spec.name}: a state-machine command is write or readonly`);
  }
  if (spec.firstKey > 0) assert(spec.keyStep > 0, `${spec.name}: key step is positive`);
}
