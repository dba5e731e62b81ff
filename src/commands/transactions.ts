// MULTI EXEC DISCARD WATCH UNWATCH, with Redis's queueing, EXECABORT and WATCH semantics.
// A transaction runs as one unit: on a cluster it is one log entry.

import { Flag, command, type CommandSpec, type ServerContext } from "./types.ts";

const flags = Flag.local | Flag.noscript | Flag.loading | Flag.stale | Flag.fast | Flag.allowBusy;

function exec(ctx: ServerContext): void {
  const { client, server, reply } = ctx;
  const multi = client.multi;
  if (multi === null) {
    reply.error("ERR EXEC without MULTI");
    return;
  }
  // A watched key that expired since WATCH counts as modified (Redis 7.0 isWatchedKeyExpired).
  for (const [key, wasExpired] of client.watched.keys) {
    if (!wasExpired && server.engine.db.isExpired(key, ctx.now)) client.watched.dirty = true;
  }
  // On a cluster, a write proposed but not applied yet may touch a watched key too.
  const dirty = client.watched.dirty || (client.watched.keys.size > 0 && server.executor.watchConflict(client));
  client.multi = null;
  server.unwatchAll(client);
  if (multi.failed) {
    reply.error("EXECABORT Transaction discarded because of previous errors.");
    return;
  }
  if (dirty) {
    reply.nullArray();
    return;
  }
  server.executor.runMulti(client, multi.queue);
}

export const transactionCommands: readonly CommandSpec[] = [
  command({
    name: "multi",
    arity: 1,
    flags,
    group: "transactions",
    summary: "Mark the start of a transaction block",
    since: "1.2.0",
    complexity: "O(1)",
    runLocal: ({ client, reply }) => {
      if (client.multi !== null) {
        reply.error("ERR MULTI calls can not be nested");
        return;
      }
      client.multi = { queue: [], failed: false };
      reply.ok();
    },
  }),
  command({
    name: "exec",
    arity: 1,
    flags: Flag.local | Flag.noscript | Flag.loading | Flag.stale | Flag.skipSlowlog,
    group: "transactions",
    summary: "Execute all commands issued after MULTI",
    since: "1.2.0",
    complexity: "Depends on commands in the transaction",
    runLocal: exec,
  }),
  command({
    name: "discard",
    arity: 1,
    flags,
    group: "transactions",
    summary: "Discard all commands issued after MULTI",
    since: "2.0.0",
    complexity: "O(N), when N is the number of queued commands",
    runLocal: ({ client, server, reply }) => {
      if (client.multi === null) {
        reply.error("ERR DISCARD without MULTI");
        return;
      }
      client.multi = null;
      server.unwatchAll(client);
      reply.ok();
    },
  }),
  command({
    name: "watch",
    arity: -2,
    flags,
    firstKey: 1,
    lastKey: -1,
    keyStep: 1,
    group: "transactions",
    summary: "Watch the given keys to determine execution of the MULTI/EXEC block",
    since: "2.2.0",
    complexity: "O(1) for every key.",
    runLocal: ({ client, server, reply, now }, argv) => {
      if (client.multi !== null) {
        reply.error("ERR WATCH inside MULTI is not allowed");
        return;
      }
      const db = server.engine.db;
      for (let i = 1; i < argv.length; i++) {
        const key = argv[i];
        if (client.watched.keys.has(key)) continue;
        client.watched.keys.set(key, db.isExpired(key, now));
        db.watch(key, client.watched);
      }
      reply.ok();
    },
  }),
  command({
    name: "unwatch",
    arity: 1,
    flags,
    group: "transactions",
    summary: "Forget about all watched keys",
    since: "2.2.0",
    complexity: "O(1)",
    runLocal: ({ client, server, reply }) => {
      server.unwatchAll(client);
      reply.ok();
    },
  }),
];
