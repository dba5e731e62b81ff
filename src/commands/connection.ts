// Connection commands: PING ECHO QUIT SELECT HELLO RESET AUTH. They run on the node that
// received them and never enter the log.

import { createHash, timingSafeEqual } from "node:crypto";
import { clientNameMaxBytes } from "../constants.ts";
import { errors } from "../resp/reply.ts";
import { parseInt64 } from "../util/number.ts";
import { Flag, command, type CommandSpec, type ServerContext } from "./types.ts";

/** Redis 7.0 reports itself as this version; raftis's own version is in INFO server. */
export const redisCompatVersion = "7.0.15";

const local = Flag.local;
/** Connection housekeeping allowed before AUTH and while busy (Redis's QUIT/HELLO/RESET/AUTH). */
const handshake = local | Flag.noscript | Flag.loading | Flag.stale | Flag.fast | Flag.noAuth | Flag.allowBusy;

const wrongPass = "WRONGPASS invalid username-password pair or user is disabled.";

/** Redis's validateClientName: no spaces, newlines or other special characters. */
export function clientNameError(name: string): string | null {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 33 || c > 126) return "ERR Client names cannot contain spaces, newlines or special characters.";
  }
  if (name.length > clientNameMaxBytes) return `ERR Client names are limited to ${clientNameMaxBytes} bytes`;
  return null;
}

/** Compares passwords in time independent of where they differ. */
function samePassword(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given, "latin1").digest();
  const b = createHash("sha256").update(expected, "latin1").digest();
  return timingSafeEqual(a, b);
}

/**
 * Redis's ACLAuthenticateUser for the one user raftis has, `default`: without requirepass it
 * accepts any password (nopass); with it, only that password.
 */
function authenticate(ctx: ServerContext, user: string, password: string): boolean {
  const required = ctx.server.settings.requirepass;
  if (user !== "default") return false;
  if (required !== "" && !samePassword(password, required)) return false;
  ctx.client.authenticated = true;
  return true;
}

function hello(ctx: ServerContext, argv: string[]): void {
  const { client, reply, server } = ctx;
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
  let user: string | null = null;
  let password = "";
  let name: string | null = null;
  for (let j = next; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const opt = argv[j].toLowerCase();
    if (opt === "auth" && more >= 2) {
      user = argv[j + 1];
      password = argv[j + 2];
      j += 2;
    } else if (opt === "setname" && more >= 1) {
      name = argv[j + 1];
      j++;
    } else {
      reply.error(`ERR Syntax error in HELLO option '${argv[j]}'`);
      return;
    }
  }
  if (user !== null && !authenticate(ctx, user, password)) {
    reply.error(wrongPass);
    return;
  }
  if (server.authRequired(client)) {
    reply.error(
      "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
    );
    return;
  }
  if (name !== null) {
    const err = clientNameError(name);
    if (err !== null) {
      reply.error(err);
      return;
    }
    client.name = name;
  }
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
  reply.bulk(server.mode);
  reply.bulk("role");
  reply.bulk("master");
  reply.bulk("modules");
  reply.array(0);
}

function auth(ctx: ServerContext, argv: string[]): void {
  const { reply, server } = ctx;
  if (argv.length > 3) {
    reply.error(errors.syntax);
    return;
  }
  if (argv.length === 2 && server.settings.requirepass === "") {
    reply.error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
    return;
  }
  const [user, password] = argv.length === 2 ? ["default", argv[1]] : [argv[1], argv[2]];
  if (authenticate(ctx, user, password)) reply.ok();
  else reply.error(wrongPass);
}

export const connectionCommands: readonly CommandSpec[] = [
  command({
    name: "ping",
    arity: -1,
    flags: local | Flag.fast,
    group: "connection",
    summary: "Ping the server",
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
    flags: local | Flag.loading | Flag.stale | Flag.fast,
    group: "connection",
    summary: "Echo the given string",
    since: "1.0.0",
    complexity: "O(1)",
    runLocal: ({ reply }, argv) => reply.bulk(argv[1]),
  }),
  command({
    name: "quit",
    arity: -1,
    flags: handshake,
    group: "connection",
    summary: "Close the connection",
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
    flags: local | Flag.loading | Flag.stale | Flag.fast,
    group: "connection",
    summary: "Change the selected database for the current connection",
    since: "1.0.0",
    complexity: "O(1)",
    runLocal: ({ reply, server }, argv) => {
      // raftis has one database, as Redis Cluster; SELECT 0 works so clients that send it do.
      const db = parseInt64(argv[1]);
      if (db === null) reply.error(errors.notInteger);
      else if (db < -2147483648n || db > 2147483647n) reply.error("ERR value is out of range, value must between -2147483648 and 2147483647");
      else if (db < 0n || db >= BigInt(server.settings.databases)) reply.error("ERR DB index is out of range");
      else reply.ok();
    },
  }),
  command({
    name: "hello",
    arity: -1,
    flags: handshake,
    group: "connection",
    summary: "Handshake with Redis",
    since: "6.0.0",
    complexity: "O(1)",
    runLocal: hello,
  }),
  command({
    name: "auth",
    arity: -2,
    flags: handshake,
    group: "connection",
    summary: "Authenticate to the server",
    since: "1.0.0",
    complexity: "O(N) where N is the number of passwords defined for the user",
    runLocal: auth,
  }),
  command({
    name: "reset",
    arity: 1,
    flags: handshake,
    group: "connection",
    summary: "Reset the connection",
    since: "6.2.0",
    complexity: "O(1)",
    runLocal: ({ reply, client, server }) => {
      // Redis's clearClientConnectionState: back to a fresh connection, logged out included.
      client.multi = null;
      server.unwatchAll(client);
      client.name = "";
      client.reply.resp = 2;
      client.authenticated = server.settings.requirepass === "";
      reply.simple("RESET");
    },
  }),
];
