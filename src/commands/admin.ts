// Server administration: TIME LASTSAVE SAVE BGSAVE SHUTDOWN DEBUG ROLE here, and the CLIENT,
// INFO, CONFIG and COMMAND families from their own files, exported together as adminCommands.

import { debugSleepMaxMs } from "../constants.ts";
import { errors } from "../resp/reply.ts";
import { parseDouble } from "../util/number.ts";
import { clientCommands, replyHelp } from "./client-command.ts";
import { commandCommands } from "./command-info.ts";
import { configCommands } from "./config-command.ts";
import { infoCommands } from "./info-command.ts";
import { Flag, command, type CommandSpec, type ServerContext } from "./types.ts";

const local = Flag.local;

/** raftis has no RDB/AOF files: the Raft log and its snapshots are what make writes durable. */
const noSnapshots = "ERR SAVE and BGSAVE are not supported: raftis makes writes durable through its Raft log";

function shutdown({ reply, server }: ServerContext, argv: string[]): void {
  let save = false;
  let nosave = false;
  let other = false;
  let abort = false;
  for (const word of argv.slice(1)) {
    const w = word.toLowerCase();
    if (w === "nosave") nosave = true;
    else if (w === "save") save = true;
    else if (w === "now" || w === "force") other = true;
    else if (w === "abort") abort = true;
    else {
      reply.error(errors.syntax);
      return;
    }
  }
  if ((abort && (save || nosave || other)) || (save && nosave)) {
    reply.error(errors.syntax);
    return;
  }
  if (abort) {
    reply.error("ERR No shutdown in progress.");
    return;
  }
  // SAVE and NOSAVE are both fine: there is no dump file to write, the log is already durable.
  server.shutdown();
}

const debugHelp = [
  "SLEEP <seconds>",
  "    Stop the server for <seconds>. Decimals allowed.",
  "SET-ACTIVE-EXPIRE <0|1>",
  "    Setting it to 0 disables expiring keys in background when they are not accessed.",
];

function debug({ reply, server }: ServerContext, argv: string[]): void {
  const sub = argv[1].toLowerCase();
  if (sub === "help" && argv.length === 2) {
    replyHelp(reply, "DEBUG", debugHelp);
  } else if (sub === "sleep" && argv.length === 3) {
    const seconds = parseDouble(argv[2]);
    if (seconds === null) {
      reply.error(errors.notFloat);
      return;
    }
    // Like Redis, the whole server stops: that is what DEBUG SLEEP is for (simulating a busy node).
    const ms = Math.min(debugSleepMaxMs, Math.max(0, seconds * 1000));
    if (ms > 0) Bun.sleepSync(ms);
    reply.ok();
  } else if (sub === "set-active-expire" && argv.length === 3) {
    server.settings.activeExpire = argv[2] !== "0";
    reply.ok();
  } else {
    reply.error(`ERR unknown subcommand '${argv[1].slice(0, 128)}'. Try DEBUG HELP.`);
  }
}

const serverCommands: readonly CommandSpec[] = [
  command({
    name: "time",
    arity: 1,
    flags: local | Flag.loading | Flag.stale | Flag.fast | Flag.random,
    group: "server",
    summary: "Return the current server time",
    since: "2.6.0",
    complexity: "O(1)",
    runLocal: ({ reply }) => {
      const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
      reply.array(2);
      reply.bulk(String(Math.floor(us / 1e6)));
      reply.bulk(String(us % 1e6));
    },
  }),
  command({
    name: "lastsave",
    arity: 1,
    flags: local | Flag.loading | Flag.stale | Flag.fast | Flag.random,
    group: "server",
    summary: "Get the UNIX time stamp of the last successful save to disk",
    since: "1.0.0",
    complexity: "O(1)",
    runLocal: ({ reply, server }) => reply.int(server.lastSaveSec),
  }),
  command({
    name: "save",
    arity: 1,
    flags: local | Flag.admin | Flag.noscript | Flag.noMulti,
    group: "server",
    summary: "Synchronously save the dataset to disk",
    since: "1.0.0",
    complexity: "O(N) where N is the total number of keys in all databases",
    runLocal: ({ reply }) => reply.error(noSnapshots),
  }),
  command({
    name: "bgsave",
    arity: -1,
    flags: local | Flag.admin | Flag.noscript,
    group: "server",
    summary: "Asynchronously save the dataset to disk",
    since: "1.0.0",
    complexity: "O(1)",
    runLocal: ({ reply }, argv) => {
      if (argv.length > 2 || (argv.length === 2 && argv[1].toLowerCase() !== "schedule")) reply.error(errors.syntax);
      else reply.error(noSnapshots);
    },
  }),
  command({
    name: "shutdown",
    arity: -1,
    flags: local | Flag.admin | Flag.noscript | Flag.loading | Flag.stale | Flag.noMulti | Flag.allowBusy,
    group: "server",
    summary: "Synchronously save the dataset to disk and then shut down the server",
    since: "1.0.0",
    complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
    runLocal: shutdown,
  }),
  command({
    name: "debug",
    arity: -2,
    flags: local | Flag.admin | Flag.noscript | Flag.loading | Flag.stale,
    group: "server",
    summary: "A container for debugging commands",
    since: "1.0.0",
    complexity: "Depends on subcommand.",
    runLocal: debug,
  }),
  command({
    name: "role",
    arity: 1,
    flags: local | Flag.noscript | Flag.loading | Flag.stale | Flag.fast,
    group: "server",
    summary: "Return the role of the instance in the context of replication",
    since: "2.8.12",
    complexity: "O(1)",
    runLocal: ({ reply }) => {
      reply.array(3);
      reply.bulk("master");
      reply.int(0);
      reply.array(0);
    },
  }),
];

export const adminCommands: readonly CommandSpec[] = [...serverCommands, ...clientCommands, ...infoCommands, ...configCommands, ...commandCommands];
