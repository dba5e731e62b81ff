// CLIENT and its subcommands: who is connected, names, kills. Texts and reply shapes are
// Redis 7.0's (networking.c clientCommand), plus 7.2's SETINFO that client libraries send at
// connect. Features raftis does not have (tracking, pause, REPLY OFF) answer with a clear
// error instead of pretending.

import { errors, type Reply } from "../resp/reply.ts";
import type { Client } from "../server/client.ts";
import { parseInt64 } from "../util/number.ts";
import { clientNameError } from "./connection.ts";
import { Flag, command, type CommandSpec, type ServerContext } from "./types.ts";

const base = Flag.local | Flag.noscript | Flag.loading | Flag.stale;
const admin = base | Flag.admin;

/** Replies with an array of status lines, as Redis's addReplyHelp. */
export function replyHelp(reply: Reply, name: string, lines: readonly string[]): void {
  reply.array(lines.length + 3);
  reply.simple(`${name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`);
  for (const line of lines) reply.simple(line);
  reply.simple("HELP");
  reply.simple("    Prints this help.");
}

const clientHelp = [
  "CACHING (YES|NO)",
  "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
  "GETREDIR",
  "    Return the client ID we are redirecting to when tracking is enabled.",
  "GETNAME",
  "    Return the name of the current connection.",
  "ID",
  "    Return the ID of the current connection.",
  "INFO",
  "    Return information about the current client connection.",
  "KILL <ip:port>",
  "    Kill connection made from <ip:port>.",
  "KILL <option> <value> [<option> <value> [...]]",
  "    Kill connections. Options are:",
  "    * ADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made from the specified address",
  "    * LADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made to specified local address",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Kill connections by type.",
  "    * USER <username>",
  "      Kill connections authenticated by <username>.",
  "    * SKIPME (YES|NO)",
  "      Skip killing current connection (default: yes).",
  "LIST [options ...]",
  "    Return information about client connections. Options:",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Return clients of specified type.",
  "UNPAUSE",
  "    Stop the current client pause, resuming traffic.",
  "PAUSE <timeout> [WRITE|ALL]",
  "    Suspend all, or just write, clients for <timeout> milliseconds.",
  "REPLY (ON|OFF|SKIP)",
  "    Control the replies sent to the current connection.",
  "SETNAME <name>",
  "    Assign the name <name> to the current connection.",
  "SETINFO <option> <value>",
  "    Set client meta attr. Options are:",
  "    * LIB-NAME: the client lib name.",
  "    * LIB-VER: the client lib version.",
  "UNBLOCK <clientid> [TIMEOUT|ERROR]",
  "    Unblock the specified blocked client.",
  "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
  "         [OPTIN] [OPTOUT] [NOLOOP]",
  "    Control server assisted client side caching.",
  "TRACKINGINFO",
  "    Report tracking status for the current connection.",
  "NO-EVICT (ON|OFF)",
  "    Protect current client connection from eviction.",
];

/** Redis's getClientTypeByName; raftis only has normal clients. */
type ClientType = "normal" | "replica" | "pubsub" | "master";
function clientType(name: string): ClientType | null {
  switch (name.toLowerCase()) {
    case "normal":
      return "normal";
    case "slave":
    case "replica":
      return "replica";
    case "pubsub":
      return "pubsub";
    case "master":
      return "master";
    default:
      return null;
  }
}

function clientFlags(c: Client): string {
  let flags = "";
  if (c.multi !== null) flags += "x";
  if (c.watched.dirty) flags += "d";
  if (c.closeAfterReply) flags += "c";
  if (c.noEvict) flags += "e";
  return flags === "" ? "N" : flags;
}

/** One CLIENT LIST line (Redis's catClientInfoString), without the newline. */
export function clientInfoLine(c: Client, nowMs: number): string {
  let multiMem = 0;
  if (c.multi !== null) for (const q of c.multi.queue) for (const a of q.argv) multiMem += a.length;
  const qbuf = c.parser.buffered;
  const argvMem = c.parser.argvBytes;
  const rbs = c.reply.capacity;
  const totMem = qbuf + argvMem + multiMem + rbs + c.pendingOutBytes;
  return [
    `id=${c.id}`,
    `addr=${c.addr}`,
    `laddr=${c.laddr}`,
    // Bun does not expose the descriptor; -1 says "unknown" rather than inventing one.
    "fd=-1",
    `name=${c.name}`,
    `age=${Math.floor((nowMs - c.createdAtMs) / 1000)}`,
    `idle=${Math.floor((nowMs - c.lastInteractionMs) / 1000)}`,
    `flags=${clientFlags(c)}`,
    "db=0",
    "sub=0",
    "psub=0",
    "ssub=0",
    `multi=${c.multi === null ? -1 : c.multi.queue.length}`,
    `qbuf=${qbuf}`,
    "qbuf-free=0",
    `argv-mem=${argvMem}`,
    `multi-mem=${multiMem}`,
    `rbs=${rbs}`,
    `rbp=${c.reply.length}`,
    "obl=0",
    `oll=${c.pendingOut.length}`,
    `omem=${c.pendingOutBytes}`,
    `tot-mem=${totMem}`,
    `events=${c.pendingOutBytes > 0 ? "rw" : "r"}`,
    `cmd=${c.lastCommand}`,
    "user=default",
    "redir=-1",
    `resp=${c.resp}`,
    `lib-name=${c.libName}`,
    `lib-ver=${c.libVer}`,
  ].join(" ");
}

function clientList(ctx: ServerContext, argv: string[]): void {
  const { reply, server } = ctx;
  const now = Date.now();
  let clients: Client[];
  if (argv.length === 4 && argv[2].toLowerCase() === "type") {
    const type = clientType(argv[3]);
    if (type === null) {
      reply.error(`ERR Unknown client type '${argv[3]}'`);
      return;
    }
    clients = type === "normal" ? [...server.clients.values()] : [];
  } else if (argv.length > 3 && argv[2].toLowerCase() === "id") {
    clients = [];
    for (let j = 3; j < argv.length; j++) {
      const id = parseInt64(argv[j]);
      if (id === null) {
        reply.error("ERR Invalid client ID");
        return;
      }
      const c = id > 0n && id <= BigInt(Number.MAX_SAFE_INTEGER) ? server.clients.get(Number(id)) : undefined;
      if (c !== undefined) clients.push(c);
    }
  } else if (argv.length !== 2) {
    reply.error(errors.syntax);
    return;
  } else {
    clients = [...server.clients.values()];
  }
  reply.verbatim(clients.map((c) => `${clientInfoLine(c, now)}\n`).join(""));
}

interface KillFilter {
  addr: string | null;
  laddr: string | null;
  type: ClientType | null;
  id: number;
  skipme: boolean;
}

function clientKill(ctx: ServerContext, argv: string[]): void {
  const { reply, server, client } = ctx;
  const filter: KillFilter = { addr: null, laddr: null, type: null, id: 0, skipme: true };
  if (argv.length === 3) {
    // The old form, CLIENT KILL ip:port, may kill the caller itself.
    filter.addr = argv[2];
    filter.skipme = false;
  } else {
    for (let i = 2; i < argv.length; i += 2) {
      const opt = argv[i].toLowerCase();
      const value = argv[i + 1];
      if (value === undefined) {
        reply.error(errors.syntax);
        return;
      }
      if (opt === "id") {
        const id = parseInt64(value);
        if (id === null || id < 1n || id > 9223372036854775807n) {
          reply.error("ERR client-id should be greater than 0");
          return;
        }
        filter.id = Number(id);
      } else if (opt === "type") {
        const type = clientType(value);
        if (type === null) {
          reply.error(`ERR Unknown client type '${value}'`);
          return;
        }
        filter.type = type;
      } else if (opt === "addr") {
        filter.addr = value;
      } else if (opt === "laddr") {
        filter.laddr = value;
      } else if (opt === "user") {
        // Every raftis client is the one user, `default`.
        if (value !== "default") {
          reply.error(`ERR No such user '${value}'`);
          return;
        }
      } else if (opt === "skipme") {
        const v = value.toLowerCase();
        if (v !== "yes" && v !== "no") {
          reply.error(errors.syntax);
          return;
        }
        filter.skipme = v === "yes";
      } else {
        reply.error(errors.syntax);
        return;
      }
    }
  }
  const victims: Client[] = [];
  for (const c of server.clients.values()) {
    if (filter.addr !== null && c.addr !== filter.addr) continue;
    if (filter.laddr !== null && c.laddr !== filter.laddr) continue;
    if (filter.type !== null && filter.type !== "normal") continue;
    if (filter.id !== 0 && c.id !== filter.id) continue;
    if (c === client && filter.skipme) continue;
    victims.push(c);
  }
  if (argv.length === 3) {
    if (victims.length === 0) reply.error("ERR No such client");
    else reply.ok();
  } else {
    reply.int(victims.length);
  }
  for (const v of victims) server.killClient(v, client);
}

function clientSetinfo({ reply, client }: ServerContext, argv: string[]): void {
  const attr = argv[2].toLowerCase();
  if (attr !== "lib-name" && attr !== "lib-ver") {
    reply.error(`ERR Unrecognized option '${argv[2]}'`);
    return;
  }
  const value = argv[3];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 33 || c > 126) {
      reply.error(`ERR ${argv[2]} cannot contain spaces, newlines or special characters.`);
      return;
    }
  }
  if (attr === "lib-name") client.libName = value;
  else client.libVer = value;
  reply.ok();
}

function onOff(reply: Reply, value: string): boolean | null {
  const v = value.toLowerCase();
  if (v === "on") return true;
  if (v === "off") return false;
  reply.error(errors.syntax);
  return null;
}

function sub(spec: Omit<Parameters<typeof command>[0], "group" | "name"> & { name: string }): CommandSpec {
  return command({ group: "connection", ...spec, name: `client|${spec.name}` });
}

/** The subcommand rows; shared with tests through clientCommands. */
const subcommands: readonly CommandSpec[] = [
  sub({
    name: "id",
    arity: 2,
    flags: base,
    summary: "Returns the client ID for the current connection",
    since: "5.0.0",
    complexity: "O(1)",
    runLocal: ({ reply, client }) => reply.int(client.id),
  }),
  sub({
    name: "setname",
    arity: 3,
    flags: base,
    summary: "Set the current connection name",
    since: "2.6.9",
    complexity: "O(1)",
    runLocal: ({ reply, client }, argv) => {
      const err = clientNameError(argv[2]);
      if (err !== null) {
        reply.error(err);
        return;
      }
      client.name = argv[2];
      reply.ok();
    },
  }),
  sub({
    name: "getname",
    arity: 2,
    flags: base,
    summary: "Get the current connection name",
    since: "2.6.9",
    complexity: "O(1)",
    runLocal: ({ reply, client }) => reply.bulkOrNull(client.name === "" ? undefined : client.name),
  }),
  sub({
    name: "setinfo",
    arity: 4,
    flags: base,
    summary: "Set client or connection specific info",
    since: "7.2.0",
    complexity: "O(1)",
    runLocal: clientSetinfo,
  }),
  sub({
    name: "list",
    arity: -2,
    flags: admin | Flag.random,
    summary: "Get the list of client connections",
    since: "2.4.0",
    complexity: "O(N) where N is the number of client connections",
    runLocal: clientList,
  }),
  sub({
    name: "info",
    arity: 2,
    flags: base | Flag.random,
    summary: "Returns information about the current client connection.",
    since: "6.2.0",
    complexity: "O(1)",
    runLocal: ({ reply, client }) => reply.verbatim(`${clientInfoLine(client, Date.now())}\n`),
  }),
  sub({
    name: "kill",
    arity: -3,
    flags: admin,
    summary: "Kill the connection of a client",
    since: "2.4.0",
    complexity: "O(N) where N is the number of client connections",
    runLocal: clientKill,
  }),
  sub({
    name: "no-evict",
    arity: 3,
    flags: admin,
    summary: "Set client eviction mode for the current connection",
    since: "7.0.0",
    complexity: "O(1)",
    runLocal: ({ reply, client }, argv) => {
      const on = onOff(reply, argv[2]);
      if (on === null) return;
      client.noEvict = on;
      reply.ok();
    },
  }),
  sub({
    name: "reply",
    arity: 3,
    flags: base,
    summary: "Instruct the server whether to reply to commands",
    since: "3.2.0",
    complexity: "O(1)",
    runLocal: ({ reply }, argv) => {
      const mode = argv[2].toLowerCase();
      if (mode === "on") reply.ok();
      else if (mode === "off" || mode === "skip") reply.error("ERR CLIENT REPLY OFF and SKIP are not supported by raftis");
      else reply.error(errors.syntax);
    },
  }),
  sub({
    name: "tracking",
    arity: -3,
    flags: base,
    summary: "Enable or disable server assisted client side caching support",
    since: "6.0.0",
    complexity: "O(1). Some options may introduce additional complexity.",
    runLocal: ({ reply }, argv) => {
      const on = onOff(reply, argv[2]);
      if (on === null) return;
      if (on) reply.error("ERR client-side caching (CLIENT TRACKING) is not supported by raftis");
      else reply.ok();
    },
  }),
  sub({
    name: "trackinginfo",
    arity: 2,
    flags: base,
    summary: "Return information about server assisted client side caching for the current connection",
    since: "6.2.0",
    complexity: "O(1)",
    runLocal: ({ reply }) => {
      reply.map(3);
      reply.bulk("flags");
      reply.set(1);
      reply.bulk("off");
      reply.bulk("redirect");
      reply.int(-1);
      reply.bulk("prefixes");
      reply.array(0);
    },
  }),
  sub({
    name: "getredir",
    arity: 2,
    flags: base,
    summary: "Get tracking notifications redirection client ID if any",
    since: "6.0.0",
    complexity: "O(1)",
    runLocal: ({ reply }) => reply.int(-1),
  }),
  sub({
    name: "caching",
    arity: 3,
    flags: base,
    summary: "Instruct the server about tracking or not keys in the next request",
    since: "6.0.0",
    complexity: "O(1)",
    runLocal: ({ reply }) => reply.error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"),
  }),
  sub({
    name: "pause",
    arity: -3,
    flags: admin,
    summary: "Stop processing commands from clients for some time",
    since: "2.9.50",
    complexity: "O(1)",
    runLocal: ({ reply }) => reply.error("ERR CLIENT PAUSE is not supported by raftis"),
  }),
  sub({
    name: "unpause",
    arity: 2,
    flags: admin,
    summary: "Resume processing of clients that were paused",
    since: "6.2.0",
    complexity: "O(N) Where N is the number of paused clients",
    runLocal: ({ reply }) => reply.ok(), // nothing is ever paused
  }),
  sub({
    name: "unblock",
    arity: -3,
    flags: admin,
    summary: "Unblock a client blocked in a blocking command from a different connection",
    since: "5.0.0",
    complexity: "O(log N) where N is the number of client connections",
    runLocal: ({ reply }, argv) => {
      if (parseInt64(argv[2]) === null) {
        reply.error(errors.notInteger);
        return;
      }
      if (argv.length > 4 || (argv.length === 4 && !/^(timeout|error)$/i.test(argv[3]))) {
        reply.error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
        return;
      }
      reply.int(0); // raftis has no blocking commands, so no client is ever blocked
    },
  }),
  sub({
    name: "help",
    arity: 2,
    flags: Flag.local | Flag.loading | Flag.stale,
    summary: "Show helpful text about the different subcommands",
    since: "5.0.0",
    complexity: "O(1)",
    runLocal: ({ reply }) => replyHelp(reply, "CLIENT", clientHelp),
  }),
];

export const clientCommands: readonly CommandSpec[] = [
  command({
    name: "client",
    arity: -2,
    flags: 0,
    group: "connection",
    summary: "A container for client connection commands",
    since: "2.4.0",
    complexity: "Depends on subcommand.",
    subcommands,
  }),
];
