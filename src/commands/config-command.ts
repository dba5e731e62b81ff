// CONFIG GET | SET | RESETSTAT | REWRITE | HELP over the parameter table (src/config/params.ts),
// with Redis 7.0's texts: glob patterns, several parameters per call, all-or-nothing SET.

import { getParams, setParamsAtomic } from "../config/params.ts";
import { errors } from "../resp/reply.ts";
import { setLogLevel } from "../util/log.ts";
import { replyHelp } from "./client-command.ts";
import { Flag, command, type CommandSpec, type ServerContext } from "./types.ts";

const admin = Flag.local | Flag.admin | Flag.noscript | Flag.loading | Flag.stale;

const configHelp = [
  "GET <pattern>",
  "    Return parameters matching the glob-like <pattern> and their values.",
  "SET <directive> <value>",
  "    Set the configuration <directive> to <value>.",
  "RESETSTAT",
  "    Reset statistics reported by the INFO command.",
  "REWRITE",
  "    Rewrite the configuration file.",
];

function configGet({ reply, server }: ServerContext, argv: string[]): void {
  const pairs = getParams(server.settings, argv.slice(2));
  reply.map(pairs.length);
  for (const [name, value] of pairs) {
    reply.bulk(name);
    reply.bulk(value);
  }
}

function configSet({ reply, server }: ServerContext, argv: string[]): void {
  if ((argv.length - 2) % 2 !== 0) {
    reply.error(errors.syntax);
    return;
  }
  const pairs: [string, string][] = [];
  for (let i = 2; i < argv.length; i += 2) pairs.push([argv[i], argv[i + 1]]);
  const result = setParamsAtomic(server.settings, pairs);
  if (!result.ok) {
    reply.error(result.error);
    return;
  }
  // Settings the server caches or acts on must hear about the change at once.
  for (const p of result.changed) {
    if (p.name === "hz") server.restartCron();
    else if (p.name === "maxmemory") server.refreshUsedMemory();
    else if (p.name === "loglevel") setLogLevel(server.settings.loglevel);
  }
  reply.ok();
}

const subcommands: readonly CommandSpec[] = [
  command({
    name: "config|get",
    arity: -3,
    flags: admin,
    group: "server",
    summary: "Get the values of configuration parameters",
    since: "2.0.0",
    complexity: "O(N) when N is the number of configuration parameters provided",
    runLocal: configGet,
  }),
  command({
    name: "config|set",
    arity: -4,
    flags: admin,
    group: "server",
    summary: "Set configuration parameters to the given values",
    since: "2.0.0",
    complexity: "O(N) when N is the number of configuration parameters provided",
    runLocal: configSet,
  }),
  command({
    name: "config|resetstat",
    arity: 2,
    flags: admin,
    group: "server",
    summary: "Reset the stats returned by INFO",
    since: "2.0.0",
    complexity: "O(1)",
    runLocal: ({ reply, server }) => {
      server.stats.reset();
      reply.ok();
    },
  }),
  command({
    name: "config|rewrite",
    arity: 2,
    flags: admin,
    group: "server",
    summary: "Rewrite the configuration file with the in memory configuration",
    since: "2.8.0",
    complexity: "O(1)",
    runLocal: ({ reply, server }) => {
      if (server.configFile === null) reply.error("ERR The server is running without a config file");
      else reply.error("ERR CONFIG REWRITE is not supported by raftis; edit the config file instead");
    },
  }),
  command({
    name: "config|help",
    arity: 2,
    flags: Flag.local | Flag.loading | Flag.stale,
    group: "server",
    summary: "Show helpful text about the different subcommands",
    since: "5.0.0",
    complexity: "O(1)",
    runLocal: ({ reply }) => replyHelp(reply, "CONFIG", configHelp),
  }),
];

export const configCommands: readonly CommandSpec[] = [
  command({
    name: "config",
    arity: -2,
    flags: 0,
    group: "server",
    summary: "A container for server configuration commands",
    since: "2.0.0",
    complexity: "Depends on subcommand.",
    subcommands,
  }),
];
