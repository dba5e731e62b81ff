// COMMAND and its subcommands (COUNT INFO DOCS LIST GETKEYS GETKEYSANDFLAGS HELP), generated
// from the command table rows: flags, key positions, ACL categories derived as Redis derives
// them (setImplicitACLCategories plus each group's category), and docs from summary, since,
// group and complexity. Reply shapes are Redis 7.0's, quirks included (empty subcommand lists
// are sets, non-empty ones arrays). redis-cli reads COMMAND DOCS when it starts: every entry
// carries summary, since and group, and every generated argument a name and a type, as it
// requires.

import type { CommandTable } from "./registry.ts";
import type { Reply } from "../resp/reply.ts";
import { globMatch } from "../util/glob.ts";
import { replyHelp } from "./client-command.ts";
import { Flag, command, flagNames, keyIndexes, type CommandGroup, type CommandSpec, type ServerContext } from "./types.ts";

/** ACL categories in Redis's bit order, which is the order COMMAND INFO prints them in. */
const aclOrder = [
  "keyspace",
  "read",
  "write",
  "set",
  "sortedset",
  "list",
  "hash",
  "string",
  "bitmap",
  "hyperloglog",
  "geo",
  "stream",
  "pubsub",
  "admin",
  "fast",
  "slow",
  "blocking",
  "dangerous",
  "connection",
  "transaction",
  "scripting",
] as const;
type AclCategory = (typeof aclOrder)[number];

/** The category each group's commands declare in Redis's command JSON files. */
const groupCategory: Partial<Record<CommandGroup, AclCategory>> = {
  generic: "keyspace",
  string: "string",
  list: "list",
  set: "set",
  "sorted-set": "sortedset",
  hash: "hash",
  hyperloglog: "hyperloglog",
  bitmap: "bitmap",
  connection: "connection",
  transactions: "transaction",
};

/** Categories Redis's JSON declares beyond what flags and group imply. */
const extraCategories: Readonly<Record<string, readonly AclCategory[]>> = {
  info: ["dangerous"],
  keys: ["dangerous"],
  dbsize: ["keyspace"],
  flushall: ["keyspace", "dangerous"],
  flushdb: ["keyspace", "dangerous"],
  lastsave: ["admin", "dangerous"],
  sort: ["set", "sortedset", "list", "dangerous"],
  sort_ro: ["set", "sortedset", "list"],
  swapdb: ["keyspace", "dangerous"],
  migrate: ["dangerous"],
  restore: ["dangerous"],
  role: ["admin", "dangerous"],
  command: ["connection"],
};

/** Redis's setImplicitACLCategories, plus the group's and the declared extra categories. */
export function aclCategories(spec: CommandSpec): AclCategory[] {
  const cats = new Set<AclCategory>();
  const f = spec.flags;
  if (f & Flag.write) cats.add("write");
  if (f & Flag.readonly) cats.add("read");
  if (f & Flag.admin) {
    cats.add("admin");
    cats.add("dangerous");
  }
  if (f & Flag.fast) cats.add("fast");
  if (!(f & Flag.fast)) cats.add("slow");
  const group = groupCategory[spec.group];
  // A container row (CLIENT, CONFIG) only has the implicit categories, as in Redis.
  if (group !== undefined && spec.subcommands === undefined) cats.add(group);
  const parent = spec.name.split("|")[0];
  for (const c of extraCategories[spec.name] ?? (spec.name.includes("|") ? extraCategories[parent] ?? [] : [])) cats.add(c);
  return aclOrder.filter((c) => cats.has(c));
}

/**
 * Redis flags the table has no bit for: no_async_loading (refused while a replica loads a new
 * dataset asynchronously) marks commands that take a dump of the dataset.
 */
const extraFlags: Readonly<Record<string, string>> = { save: "no_async_loading", bgsave: "no_async_loading" };

function flagList(spec: CommandSpec): string[] {
  const names = flagNames.filter(([bit]) => (spec.flags & bit) !== 0).map(([, name]) => name);
  const extra = extraFlags[spec.name];
  if (extra !== undefined) {
    // Redis prints it just before no_multi, movablekeys and allow_busy.
    const at = names.findIndex((n) => n === "no_multi" || n === "movablekeys" || n === "allow_busy");
    names.splice(at < 0 ? names.length : at, 0, extra);
  }
  if (spec.keysOf !== undefined && !names.includes("movablekeys")) names.push("movablekeys");
  return names;
}

function keySpecFlags(spec: CommandSpec): string[] {
  return (spec.flags & Flag.write) !== 0 ? ["RW", "access", "update"] : ["RO", "access"];
}

/** Whether the row declares keys at all (fixed positions or a keysOf function). */
function hasKeys(spec: CommandSpec): boolean {
  return spec.firstKey > 0 || spec.keysOf !== undefined;
}

function replyKeySpecs(reply: Reply, spec: CommandSpec): void {
  if (!hasKeys(spec)) {
    reply.set(0);
    return;
  }
  reply.set(1);
  reply.map(3);
  reply.bulk("flags");
  reply.set(keySpecFlags(spec).length);
  for (const f of keySpecFlags(spec)) reply.simple(f);
  if (spec.keysOf !== undefined) {
    // Movable keys: clients must ask COMMAND GETKEYS, as for Redis's "unknown" key specs.
    for (const part of ["begin_search", "find_keys"]) {
      reply.bulk(part);
      reply.map(2);
      reply.bulk("type");
      reply.bulk("unknown");
      reply.bulk("spec");
      reply.map(0);
    }
    return;
  }
  reply.bulk("begin_search");
  reply.map(2);
  reply.bulk("type");
  reply.bulk("index");
  reply.bulk("spec");
  reply.map(1);
  reply.bulk("index");
  reply.int(spec.firstKey);
  reply.bulk("find_keys");
  reply.map(2);
  reply.bulk("type");
  reply.bulk("range");
  reply.bulk("spec");
  reply.map(3);
  reply.bulk("lastkey");
  reply.int(spec.lastKey < 0 ? spec.lastKey : spec.lastKey - spec.firstKey);
  reply.bulk("keystep");
  reply.int(spec.keyStep);
  reply.bulk("limit");
  reply.int(0);
}

/** One COMMAND INFO entry: the 10-element array of Redis 7.0. */
export function replyCommandInfo(reply: Reply, spec: CommandSpec): void {
  reply.array(10);
  reply.bulk(spec.name);
  reply.int(spec.arity);
  const flags = flagList(spec);
  reply.set(flags.length);
  for (const f of flags) reply.simple(f);
  // Redis's legacy (first, last, step): the row's fixed range, also for movable-key commands
  // that have one (ZUNIONSTORE's destination is 1 1 1); 0 0 0 when there is none.
  const keyed = spec.firstKey > 0;
  reply.int(keyed ? spec.firstKey : 0);
  reply.int(keyed ? spec.lastKey : 0);
  reply.int(keyed ? spec.keyStep : 0);
  const cats = aclCategories(spec);
  reply.set(cats.length);
  for (const c of cats) reply.simple(`@${c}`);
  const tips = (spec.flags & Flag.random) !== 0 ? ["nondeterministic_output"] : [];
  reply.set(tips.length);
  for (const t of tips) reply.bulk(t);
  replyKeySpecs(reply, spec);
  if (spec.subcommands === undefined || spec.subcommands.length === 0) {
    reply.set(0);
  } else {
    reply.array(spec.subcommands.length);
    for (const sub of spec.subcommands) replyCommandInfo(reply, sub);
  }
}

interface DocArg {
  name: string;
  type: "key" | "string";
  optional: boolean;
}

/**
 * Arguments for COMMAND DOCS, derived from arity and key positions: `key` where the row has
 * keys, `arg` elsewhere, and an optional repeated last one for variadic commands. Enough for
 * redis-cli's hints; the exact grammar lives in Redis's docs.
 */
function docArguments(spec: CommandSpec): DocArg[] {
  const firstArg = spec.name.includes("|") ? 2 : 1;
  const required = Math.abs(spec.arity);
  const keyAt = new Set(spec.keysOf === undefined ? keyIndexes(spec, new Array<string>(Math.max(required, spec.lastKey + 1)).fill("")) : []);
  const args: DocArg[] = [];
  for (let i = firstArg; i < required; i++) args.push({ name: keyAt.has(i) ? "key" : "arg", type: keyAt.has(i) ? "key" : "string", optional: false });
  if (spec.arity < 0) {
    const moreKeys = spec.keysOf === undefined && spec.firstKey > 0 && spec.lastKey === -1 && spec.keyStep === 1;
    args.push({ name: moreKeys ? "key" : "arg", type: moreKeys ? "key" : "string", optional: true });
  }
  return args;
}

function replyDocs(reply: Reply, spec: CommandSpec): void {
  const args = spec.subcommands === undefined ? docArguments(spec) : [];
  const subs = spec.subcommands ?? [];
  reply.map(4 + (args.length > 0 ? 1 : 0) + (subs.length > 0 ? 1 : 0));
  reply.bulk("summary");
  reply.bulk(spec.summary);
  reply.bulk("since");
  reply.bulk(spec.since);
  reply.bulk("group");
  reply.bulk(spec.group);
  reply.bulk("complexity");
  reply.bulk(spec.complexity ?? "O(1)");
  if (args.length > 0) {
    reply.bulk("arguments");
    reply.array(args.length);
    for (const a of args) {
      reply.map(a.optional ? 3 : 2);
      reply.bulk("name");
      reply.bulk(a.name);
      reply.bulk("type");
      reply.bulk(a.type);
      if (a.optional) {
        reply.bulk("flags");
        reply.set(2);
        reply.simple("optional");
        reply.simple("multiple");
      }
    }
  }
  if (subs.length > 0) {
    reply.bulk("subcommands");
    reply.map(subs.length);
    for (const sub of subs) {
      reply.bulk(sub.name);
      replyDocs(reply, sub);
    }
  }
}

/** A command by name, `parent|sub` names included (as Redis's lookupCommandBySds). */
function lookupFull(table: CommandTable, name: string): CommandSpec | undefined {
  const bar = name.indexOf("|");
  if (bar < 0) return table.lookup(name);
  const parent = table.lookup(name.slice(0, bar));
  if (parent === undefined || parent.subcommands === undefined) return undefined;
  return table.lookupSub(parent, name.slice(bar + 1));
}

/** A command with its arguments (COMMAND GETKEYS): the row that would run, or an error. */
function lookupForArgs(table: CommandTable, argv: readonly string[]): CommandSpec | undefined {
  const spec = table.lookup(argv[0]);
  if (spec === undefined || spec.subcommands === undefined || argv.length < 2) return spec;
  return table.lookupSub(spec, argv[1]);
}

function getKeys(ctx: ServerContext, argv: string[], withFlags: boolean): void {
  const { reply, server } = ctx;
  const args = argv.slice(2);
  const spec = lookupForArgs(server.dispatcher.table, args);
  if (spec === undefined) {
    reply.error("ERR Invalid command specified");
    return;
  }
  if (!hasKeys(spec)) {
    reply.error("ERR The command has no key arguments");
    return;
  }
  if ((spec.arity > 0 && args.length !== spec.arity) || args.length < -spec.arity) {
    reply.error("ERR Invalid number of arguments specified for command");
    return;
  }
  const keys = keyIndexes(spec, args);
  if (keys.length === 0 && (spec.flags & Flag.noMandatoryKeys) === 0) {
    reply.error("ERR Invalid arguments specified for command");
    return;
  }
  reply.array(keys.length);
  for (const i of keys) {
    if (!withFlags) {
      reply.bulk(args[i]);
      continue;
    }
    reply.array(2);
    reply.bulk(args[i]);
    const flags = keySpecFlags(spec);
    reply.set(flags.length);
    for (const f of flags) reply.simple(f);
  }
}

function commandList(ctx: ServerContext, argv: string[]): void {
  const { reply, server } = ctx;
  const all: CommandSpec[] = [];
  for (const spec of server.dispatcher.table.all()) {
    all.push(spec);
    for (const sub of spec.subcommands ?? []) all.push(sub);
  }
  let matches = all;
  if (argv.length === 5 && argv[2].toLowerCase() === "filterby") {
    const kind = argv[3].toLowerCase();
    const value = argv[4];
    if (kind === "module") matches = [];
    else if (kind === "aclcat") matches = all.filter((s) => aclCategories(s).some((c) => c === value.toLowerCase()));
    else if (kind === "pattern") matches = all.filter((s) => globMatch(value, s.name, true));
    else {
      reply.error("ERR syntax error");
      return;
    }
  } else if (argv.length !== 2) {
    reply.error("ERR syntax error");
    return;
  }
  reply.bulkArray(matches.map((s) => s.name));
}

const commandHelp = [
  "(no subcommand)",
  "    Return details about all Redis commands.",
  "COUNT",
  "    Return the total number of commands in this Redis server.",
  "LIST",
  "    Return a list of all commands in this Redis server.",
  "INFO [<command-name> ...]",
  "    Return details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "DOCS [<command-name> ...]",
  "    Return documentation details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "GETKEYS <full-command>",
  "    Return the keys from a full Redis command.",
  "GETKEYSANDFLAGS <full-command>",
  "    Return the keys and the access flags from a full Redis command.",
];

const base = Flag.local | Flag.loading | Flag.stale;

function sub(spec: Omit<Parameters<typeof command>[0], "group" | "flags" | "name"> & { name: string; flags?: number }): CommandSpec {
  return command({ group: "server", flags: base, ...spec, name: `command|${spec.name}` });
}

function replyAllInfo({ reply, server }: ServerContext): void {
  const all = server.dispatcher.table.all();
  reply.array(all.length);
  for (const spec of all) replyCommandInfo(reply, spec);
}

const subcommands: readonly CommandSpec[] = [
  sub({
    name: "count",
    arity: 2,
    summary: "Get total number of Redis commands",
    since: "2.8.13",
    complexity: "O(1)",
    runLocal: ({ reply, server }) => reply.int(server.dispatcher.table.size),
  }),
  sub({
    name: "info",
    arity: -2,
    summary: "Get array of specific Redis command details, or all when no argument is given.",
    since: "2.8.13",
    complexity: "O(N) where N is the number of commands to look up",
    runLocal: (ctx, argv) => {
      if (argv.length === 2) {
        replyAllInfo(ctx);
        return;
      }
      const { reply, server } = ctx;
      reply.array(argv.length - 2);
      for (const name of argv.slice(2)) {
        const spec = lookupFull(server.dispatcher.table, name);
        if (spec === undefined) reply.nullBulk();
        else replyCommandInfo(reply, spec);
      }
    },
  }),
  sub({
    name: "docs",
    arity: -2,
    summary: "Get array of specific Redis command documentation",
    since: "7.0.0",
    complexity: "O(N) where N is the number of commands to look up",
    runLocal: ({ reply, server }, argv) => {
      const table = server.dispatcher.table;
      const specs =
        argv.length === 2 ? [...table.all()] : argv.slice(2).map((n) => lookupFull(table, n)).filter((s): s is CommandSpec => s !== undefined);
      reply.map(specs.length);
      for (const spec of specs) {
        reply.bulk(spec.name);
        replyDocs(reply, spec);
      }
    },
  }),
  sub({
    name: "list",
    arity: -2,
    summary: "Get an array of Redis command names",
    since: "7.0.0",
    complexity: "O(N) where N is the total number of Redis commands",
    runLocal: commandList,
  }),
  sub({
    name: "getkeys",
    arity: -4,
    summary: "Extract keys given a full Redis command",
    since: "2.8.13",
    complexity: "O(N) where N is the number of arguments to the command",
    runLocal: (ctx, argv) => getKeys(ctx, argv, false),
  }),
  sub({
    name: "getkeysandflags",
    arity: -4,
    summary: "Extract keys and access flags given a full Redis command",
    since: "7.0.0",
    complexity: "O(N) where N is the number of arguments to the command",
    runLocal: (ctx, argv) => getKeys(ctx, argv, true),
  }),
  sub({
    name: "help",
    arity: 2,
    summary: "Show helpful text about the different subcommands",
    since: "5.0.0",
    complexity: "O(1)",
    runLocal: ({ reply }) => replyHelp(reply, "COMMAND", commandHelp),
  }),
];

export const commandCommands: readonly CommandSpec[] = [
  command({
    name: "command",
    arity: -1,
    flags: base,
    group: "server",
    summary: "Get array of Redis command details",
    since: "2.8.13",
    complexity: "O(N) where N is the total number of Redis commands",
    // Bare COMMAND lists everything; COMMAND <sub> goes to the subcommand rows.
    runLocal: (ctx) => replyAllInfo(ctx),
    subcommands,
  }),
];
