// Connection commands: PING ECHO QUIT SELECT HELLO RESET. They run on the node that received
// them and never enter the log.

import { clientNameMaxBytes } from "../constants.ts";
import { errors } from "../resp/reply.ts";
import { parseInt64 } from "../util/number.ts";
import { Flag, command, type CommandSpec, type ServerContext } from "./types.ts";

/** Redis 7.0 reports itself as this version; raftis's own version is in INFO server. */
export const redisCompatVersion = "7.0.15";

const local = Flag.local;

/** Redis's validateClientName: no spaces, newlines or other special characters. */
export function clientNameError(name: string): string | null {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 33 || c > 126) return "ERR Client names cannot contain spaces, newlines or special characters.";
  }
  if (name.length > clientNameMaxBytes) return `ERR Client names are limited to ${clientNameMaxBytes} bytes`;
  return null;
}

function hello(ctx: ServerContext, argv: string[]): void {
  const { client, reply } = ctx;
  let version: 2 | 3 | null = null;
  let next = 1;
  if (argv.length >= 2) {
    const v = parseInt64(argv[next++]);
    if (v === null) {
      reply.error("ERR Protocol version is not an integer or out of range");
      return;
    }
    if (v < 2n || v > 3n) {
      reply.error("NOPROTO unsupported protocol version");
      return;
    }
    version = v === 2n ? 2 : 3;
  }
  let name: string | null = null;
  for (let j = next; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const opt = argv[j].toLowerCase();
    if (opt === "auth" && more >= 2) {
      const password = argv[j + 2];
      const required = ctx.server.settings.requirepass;
      if (argv[j + 1] !== "default" || (required !== "" && password !== required)) {
        reply.error("WRONGPASS invalid username-password pair or user is disabled.");
        return;
      }
      j += 2;
    } else if (opt === "setname" && more >= 1) {
      const err = clientNameError(argv[j + 1]);
      if (err !== null) {
        reply.error(err);
        return;
      }
      name = argv[j + 1];
      j++;
    } else {
      reply.error(`ERR Syntax error in HELLO option '${argv[j]}'`);
      return;
    }
  }
  if (name !== null) client.name = name;
  if (version !== null) client.reply.resp = version;
  reply.map(7);
  reply.bulk("server");
  reply.bulk("redis");
  reply.bulk("version");
  reply.bulk(redisCompatVersion);
  reply.bulk("proto");
  reply.int(client.resp);
  reply.bulk("id");
  reply.int(client.id);
  reply.bulk("mode");
  reply.bulk(ctx.server.mode);
  reply.bulk("role");
  reply.bulk("master");
  reply.bulk("modules");
  reply.array(0);
}

export const connectionCommands: readonly CommandSpec[] = [
  command({
    name: "ping",
    arity: -1,
    flags: local | Flag.fast | Flag.stale | Flag.loading,
    group: "connection",
    summary: "Returns the server's liveliness response.",
    since: "1.0.0",
    complexity: "O(1)",
    runLocal: ({ reply }, argv) => {
      if (argv.length > 2) reply.error(errors.wrongArgs("ping"));
      else if (argv.length === 2) reply.bulk(argv[1]);
      else reply.raw("+PONG\r\n");
    },
  }),
  command({
    name: "echo",
    arity: 2,
    flags: local | Flag.fast | Flag.stale | Flag.loading,
    group: "connection",
    summary: "Returns the given string.",
    since: "1.0.0",
    complexity: "O(1)",
    runLocal: ({ reply }, argv) => reply.bulk(argv[1]),
  }),
  command({
    name: "quit",
    arity: -1,
    flags: local | Flag.fast | Flag.stale | Flag.loading | Flag.noAuth | Flag.allowBusy,
    group: "connection",
    summary: "Closes the connection.",
    since: "1.0.0",
    complexity: "O(1)",
    runLocal: ({ reply, client }) => {
      reply.ok();
      client.closeAfterReply = true;
    },
  }),
  command({
    name: "select",
    arity: 2,
    flags: local | Flag.fast | Flag.stale | Flag.loading,
    group: "connection",
    summary: "Changes the selected database.",
    since: "1.0.0",
    complexity: "O(1)",
    runLocal: ({ reply, server }, argv) => {
      const db = parseInt64(argv[1]);
      if (db === null || db < -2147483648n || db > 2147483647n) reply.error("ERR value is not an integer or out of range");
      else if (db < 0n || db >= BigInt(server.settings.databases)) reply.error("ERR DB index is out of range");
      else reply.ok();
    },
  }),
  command({
    name: "hello",
    arity: -1,
    flags: local | Flag.fast | Flag.stale | Flag.loading | Flag.noAuth | Flag.allowBusy,
    group: "connection",
    summary: "Handshakes with the Redis server.",
    since: "6.0.0",
    complexity: "O(1)",
    runLocal: hello,
  }),
  command({
    name: "reset",
    arity: 1,
    flags: local | Flag.fast | Flag.stale | Flag.loading | Flag.noAuth | Flag.allowBusy | Flag.noscript,
    group: "connection",
    summary: "Resets the connection.",
    since: "6.2.0",
    complexity: "O(1)",
    runLocal: ({ reply, client, server }) => {
      client.multi = null;
      server.unwatchAll(client);
      client.name = "";
      client.reply.resp = 2;
      reply.simple("RESET");
    },
  }),
];
