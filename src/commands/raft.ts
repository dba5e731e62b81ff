// RedisRaft's administration commands (DESIGN §7): RAFT.CLUSTER, RAFT.NODE, RAFT.TRANSFER_LEADER,
// RAFT.TIMEOUT_NOW, RAFT.DEBUG, RAFT.INFO. They run on the node that received them and call
// into the node's other threads, so their replies come later (beginAsync/endAsync).

import { diskCrashPoints, isDiskCrashPoint } from "../chaos/disk-fault.ts";
import { errors } from "../resp/reply.ts";
import { parseInt64 } from "../util/number.ts";
import { infoText } from "./info-command.ts";
import { Flag, command, type CommandSpec, type ServerContext } from "./types.ts";

const flags = Flag.local | Flag.admin | Flag.noMulti | Flag.noscript | Flag.stale;

/** Runs an admin operation whose reply comes later; `op` returns an error line or null. */
function later(ctx: ServerContext, op: () => Promise<string | null>, ok: (ctx: ServerContext) => void = (c) => c.reply.ok()): void {
  const { server, client, reply } = ctx;
  server.beginAsync(client, "other");
  op()
    .then(
      (error) => (error === null ? ok(ctx) : reply.error(error)),
      // Error lines that carry their own code (MOVED, CLUSTERDOWN, TRYAGAIN, ...) pass as they are.
      (e: Error) => reply.error(/^[A-Z][A-Z_]* /.test(e.message) ? e.message : `ERR ${e.message}`),
    )
    .finally(() => server.endAsync(client));
}

/** The node's admin interface, or null after replying that this server has no Raft. */
function adminOrReply(ctx: ServerContext): NonNullable<ServerContext["server"]["admin"]> | null {
  const admin = ctx.server.admin;
  if (admin === null) ctx.reply.error("ERR this server runs --standalone, without Raft");
  return admin;
}

function clusterInit(ctx: ServerContext, argv: string[]): void {
  const admin = adminOrReply(ctx);
  if (admin === null) return;
  if (argv.length > 3) {
    ctx.reply.error(errors.wrongArgs("raft.cluster|init"));
    return;
  }
  const dbid = argv.length === 3 ? argv[2] : null;
  if (dbid !== null && !/^[0-9a-zA-Z]{1,32}$/.test(dbid)) {
    ctx.reply.error("ERR invalid dbid: up to 32 letters and digits");
    return;
  }
  let created = "";
  later(
    ctx,
    async () => {
      created = await admin.init(dbid);
      return null;
    },
    (c) => c.reply.simple(`OK ${created}`),
  );
}

function nodeIdOrReply(ctx: ServerContext, text: string): number | null {
  const v = parseInt64(text);
  if (v === null || v < 1n || v > 2147483647n) {
    ctx.reply.error("ERR invalid node id");
    return null;
  }
  return Number(v);
}

export const raftCommands: readonly CommandSpec[] = [
  command({
    name: "raft.cluster",
    arity: -2,
    flags,
    group: "cluster",
    summary: "Creates or joins a raftis cluster.",
    since: "0.1.0",
    subcommands: [
      command({
        name: "raft.cluster|join",
        arity: -3,
        flags,
        group: "cluster",
        summary: "Joins an existing cluster through any of its nodes (host:port ...).",
        since: "0.1.0",
        runLocal: (ctx, argv) => {
          const admin = adminOrReply(ctx);
          if (admin === null) return;
          const addrs = argv.slice(2);
          const bad = addrs.find((a) => !/^[^\s:]+:\d{1,5}$/.test(a));
          if (bad !== undefined) {
            ctx.reply.error(`ERR invalid address '${bad}': expected host:port`);
            return;
          }
          later(ctx, async () => {
            await admin.join(addrs);
            return null;
          });
        },
      }),
      command({
        name: "raft.cluster|init",
        arity: -2,
        flags,
        group: "cluster",
        summary: "Initializes a new cluster with this node as its only member; replies OK <dbid>.",
        since: "0.1.0",
        runLocal: clusterInit,
      }),
    ],
  }),
  command({
    name: "raft.node",
    arity: -2,
    flags,
    group: "cluster",
    summary: "Adds or removes a cluster member (run on the leader).",
    since: "0.1.0",
    subcommands: [
      command({
        name: "raft.node|add",
        arity: -4,
        flags,
        group: "cluster",
        summary: "Adds a node as a non-voting member, promoted once caught up; replies [id, dbid].",
        since: "0.1.0",
        runLocal: (ctx, argv) => {
          const admin = adminOrReply(ctx);
          if (admin === null) return;
          if (argv.length > 5) {
            ctx.reply.error(errors.wrongArgs("raft.node|add"));
            return;
          }
          const id = parseInt64(argv[2]);
          if (id === null || id < 0n || id > 2147483647n) {
            ctx.reply.error("ERR invalid node id");
            return;
          }
          const addr = argv[3];
          const busAddr = argv.length === 5 ? argv[4] : null;
          for (const a of [addr, busAddr]) {
            if (a !== null && !/^[^\s:]+:\d{1,5}$/.test(a)) {
              ctx.reply.error(`ERR invalid node address '${a}': expected host:port`);
              return;
            }
          }
          let added = { id: 0, dbid: "" };
          later(
            ctx,
            async () => {
              added = await admin.addNode(Number(id), addr, busAddr);
              return null;
            },
            (c) => {
              c.reply.array(2);
              c.reply.int(added.id);
              c.reply.bulk(added.dbid);
            },
          );
        },
      }),
      command({
        name: "raft.node|remove",
        arity: 3,
        flags,
        group: "cluster",
        summary: "Removes a member; a removed node shuts down. Removing the leader works.",
        since: "0.1.0",
        runLocal: (ctx, argv) => {
          const admin = adminOrReply(ctx);
          if (admin === null) return;
          const id = nodeIdOrReply(ctx, argv[2]);
          if (id === null) return;
          later(ctx, async () => {
            await admin.removeNode(id);
            return null;
          });
        },
      }),
    ],
  }),
  command({
    name: "raft.nodeshutdown",
    arity: 3,
    flags,
    group: "cluster",
    summary: "Sent by the leader to a node it removed: the node archives its state and stops.",
    since: "0.1.0",
    runLocal: (ctx, argv) => {
      const admin = adminOrReply(ctx);
      if (admin === null) return;
      const ex = admin.executor;
      // Both the id and the cluster's dbid must match: a stray command cannot stop a node.
      if (!ex.initialized || argv[1] !== String(ex.nodeId) || argv[2] !== ex.clusterId) {
        ctx.reply.error("ERR not this node, or not this cluster");
        return;
      }
      ctx.reply.ok();
      admin.removedSelf();
    },
  }),
  command({
    name: "raft.transfer_leader",
    arity: -1,
    flags,
    group: "cluster",
    summary: "Transfers leadership to the given node (or the most up-to-date one).",
    since: "0.1.0",
    runLocal: (ctx, argv) => {
      const admin = adminOrReply(ctx);
      if (admin === null) return;
      if (argv.length > 2) {
        ctx.reply.error(errors.wrongArgs("raft.transfer_leader"));
        return;
      }
      const to = argv.length === 2 ? nodeIdOrReply(ctx, argv[1]) : 0;
      if (to === null) return;
      later(ctx, async () => {
        const why = await admin.transferLeader(to === 0 ? null : to);
        return why === null ? null : `ERR cannot transfer leadership: ${why}`;
      });
    },
  }),
  command({
    name: "raft.timeout_now",
    arity: 1,
    flags,
    group: "cluster",
    summary: "Makes this node start an election now.",
    since: "0.1.0",
    runLocal: (ctx) => {
      const admin = adminOrReply(ctx);
      if (admin === null) return;
      later(ctx, async () => {
        const why = await admin.timeoutNow();
        return why === null ? null : `ERR cannot start an election: ${why}`;
      });
    },
  }),
  command({
    name: "raft.debug",
    arity: -2,
    flags,
    group: "cluster",
    summary: "Debugging commands: COMPACT takes a snapshot and compacts the log now; CLOCK shifts this node's clock; DISKCRASH kills the node mid-write.",
    since: "0.1.0",
    subcommands: [
      command({
        name: "raft.debug|clock",
        arity: -2,
        flags,
        group: "cluster",
        summary: "Shows, or sets, milliseconds added to this node's wall clock (fault injection: clock jumps).",
        since: "0.1.0",
        runLocal: ({ reply, server }, argv) => {
          if (argv.length > 3) {
            reply.error(errors.wrongArgs("raft.debug|clock"));
            return;
          }
          if (argv.length === 3) {
            const v = parseInt64(argv[2]);
            if (v === null || v > 315360000000n || v < -315360000000n) {
              reply.error("ERR clock offset must be an integer number of milliseconds within ten years");
              return;
            }
            // Entry timestamps never go back (Engine.lastAppliedMs); reads and TTLs see the jump.
            server.clock.offsetMs = Number(v);
          }
          reply.int(server.clock.offsetMs);
        },
      }),
      command({
        name: "raft.debug|diskcrash",
        arity: 3,
        flags,
        group: "cluster",
        summary: "Kills this node at a point of a later disk write: torn-log, torn-snapshot, after-snapshot, or off (fault injection, src/chaos/disk-fault.ts).",
        since: "0.1.0",
        runLocal: (ctx, argv) => {
          const admin = adminOrReply(ctx);
          if (admin === null) return;
          const point = argv[2].toLowerCase();
          if (point !== "off" && !isDiskCrashPoint(point)) {
            ctx.reply.error(`ERR unknown crash point '${argv[2]}' (${diskCrashPoints.join(", ")} or off)`);
            return;
          }
          if (ctx.server.settings.raftStorage !== "disk") {
            ctx.reply.error("ERR disk faults need raft.storage disk");
            return;
          }
          later(ctx, async () => {
            await admin.armDiskCrash(point === "off" ? null : point);
            return null;
          });
        },
      }),
      command({
        name: "raft.debug|compact",
        arity: 2,
        flags,
        group: "cluster",
        summary: "Takes a snapshot now and compacts the log before it.",
        since: "0.1.0",
        runLocal: (ctx) => {
          const admin = adminOrReply(ctx);
          if (admin === null) return;
          const refused = admin.executor.unavailable();
          if (refused !== null) {
            ctx.reply.error(refused);
            return;
          }
          later(ctx, async () => {
            await admin.compact();
            return null;
          });
        },
      }),
    ],
  }),
  command({
    name: "raft.info",
    arity: -1,
    flags: Flag.local | Flag.stale | Flag.loading,
    group: "cluster",
    summary: "Shows the Raft state of this node (as INFO raft).",
    since: "0.1.0",
    runLocal: (ctx) => {
      const { server, client, reply } = ctx;
      const refresh = server.infoRefresh;
      if (refresh === null) {
        reply.verbatim(infoText(server, ["raft"]));
        return;
      }
      server.beginAsync(client, "other");
      refresh(["raft"])
        .then(
          () => reply.verbatim(infoText(server, ["raft"])),
          (e: Error) => reply.error(`ERR Cannot collect INFO: ${e.message}`),
        )
        .finally(() => server.endAsync(client));
    },
  }),
];
