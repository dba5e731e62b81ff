// CLUSTER SLOTS | SHARDS | NODES | INFO | MYID | KEYSLOT | HELP: a raftis cluster looks like a
// Redis Cluster of one shard (slots 0-16383) whose master is the current Raft leader, so
// cluster-aware clients (ioredis Cluster, node-redis createCluster) find and follow the leader
// by themselves: after a failover they get -MOVED, refresh, and go to the new leader.

import type { NodeAdmin } from "../node/node.ts";
import type { Reply } from "../resp/reply.ts";
import { keySlot } from "../util/crc16.ts";
import { Flag, command, type CommandSpec, type ServerContext } from "./types.ts";

/** As Redis's COMMAND INFO shows them: the subcommands are `stale`, the container has none. */
const flags = Flag.local | Flag.stale;

/** Redis Cluster node ids are 40 hex characters; a raftis id is written that way. */
export function clusterNodeId(id: number): string {
  return id.toString(16).padStart(40, "0");
}

interface NodeView {
  readonly id: number;
  readonly host: string;
  readonly port: number;
  readonly busPort: number;
  readonly leader: boolean;
  readonly self: boolean;
}

function split(addr: string): [string, number] {
  const i = addr.lastIndexOf(":");
  return [addr.slice(0, i), Number(addr.slice(i + 1))];
}

/** The members with known addresses, the leader first. */
function nodes(admin: NodeAdmin): NodeView[] {
  const ex = admin.executor;
  const out: NodeView[] = [];
  for (const id of ex.members.ids()) {
    const a = ex.members.address(id);
    if (a === undefined) continue;
    const [host, port] = split(a.addr);
    out.push({ id, host, port, busPort: split(a.busAddr)[1], leader: id === ex.leaderId, self: id === ex.nodeId });
  }
  return out.sort((x, y) => Number(y.leader) - Number(x.leader) || x.id - y.id);
}

function adminOrReply(ctx: ServerContext): NodeAdmin | null {
  const admin = ctx.server.admin;
  if (admin === null || !admin.executor.initialized) {
    ctx.reply.error("ERR This instance has cluster support disabled");
    return null;
  }
  return admin;
}

function nodeEntry(reply: Reply, n: NodeView): void {
  reply.array(4);
  reply.bulk(n.host);
  reply.int(n.port);
  reply.bulk(clusterNodeId(n.id));
  reply.map(0);
}

function slots(ctx: ServerContext): void {
  const admin = adminOrReply(ctx);
  if (admin === null) return;
  const all = nodes(admin);
  const leader = all.find((n) => n.leader);
  if (leader === undefined) {
    ctx.reply.array(0);
    return;
  }
  ctx.reply.array(1);
  ctx.reply.array(2 + all.length);
  ctx.reply.int(0);
  ctx.reply.int(16383);
  for (const n of all) nodeEntry(ctx.reply, n);
}

function shards(ctx: ServerContext): void {
  const admin = adminOrReply(ctx);
  if (admin === null) return;
  const { reply } = ctx;
  const all = nodes(admin);
  const applied = admin.executor.appliedIndex;
  reply.array(1);
  reply.map(2);
  reply.bulk("slots");
  reply.array(2);
  reply.int(0);
  reply.int(16383);
  reply.bulk("nodes");
  reply.array(all.length);
  for (const n of all) {
    reply.map(7);
    reply.bulk("id");
    reply.bulk(clusterNodeId(n.id));
    reply.bulk("port");
    reply.int(n.port);
    reply.bulk("ip");
    reply.bulk(n.host);
    reply.bulk("endpoint");
    reply.bulk(n.host);
    reply.bulk("role");
    reply.bulk(n.leader ? "master" : "replica");
    reply.bulk("replication-offset");
    reply.int(n.self ? applied : 0);
    reply.bulk("health");
    reply.bulk("online");
  }
}

function nodesText(admin: NodeAdmin): string {
  const all = nodes(admin);
  const leader = all.find((n) => n.leader);
  const epoch = admin.executor.term;
  return all
    .map((n) => {
      const role = n.leader ? "master" : "slave";
      const flagText = n.self ? `myself,${role}` : role;
      const master = n.leader || leader === undefined ? "-" : clusterNodeId(leader.id);
      const slotText = n.leader ? " 0-16383" : "";
      return `${clusterNodeId(n.id)} ${n.host}:${n.port}@${n.busPort} ${flagText} ${master} 0 0 ${epoch} connected${slotText}\n`;
    })
    .join("");
}

function info(admin: NodeAdmin): string {
  const ex = admin.executor;
  const ok = ex.leaderId !== 0 && nodes(admin).some((n) => n.leader);
  const lines: [string, string | number][] = [
    ["cluster_state", ok ? "ok" : "fail"],
    ["cluster_slots_assigned", 16384],
    ["cluster_slots_ok", ok ? 16384 : 0],
    ["cluster_slots_pfail", 0],
    ["cluster_slots_fail", ok ? 0 : 16384],
    ["cluster_known_nodes", ex.members.ids().length],
    ["cluster_size", 1],
    ["cluster_current_epoch", ex.term],
    ["cluster_my_epoch", ex.term],
    ["cluster_stats_messages_sent", 0],
    ["cluster_stats_messages_received", 0],
    ["total_cluster_links_buffer_limit_exceeded", 0],
  ];
  return lines.map(([k, v]) => `${k}:${v}\r\n`).join("");
}

const help = [
  "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "INFO",
  "    Return information about the cluster.",
  "KEYSLOT <key>",
  "    Return the hash slot for <key>.",
  "MYID",
  "    Return the node id.",
  "NODES",
  "    Return cluster configuration seen by node. Output format:",
  "    <id> <ip:port@bus-port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
  "SHARDS",
  "    Return information about slot range mappings and the nodes associated with them.",
  "SLOTS",
  "    Return information about slots range mappings. Each range is made of:",
  "    start, end, master and replicas IP addresses, ports and ids",
  "HELP",
  "    Print this help.",
];

function sub(name: string, arity: number, summary: string, run: (ctx: ServerContext, argv: string[]) => void): CommandSpec {
  return command({ name: `cluster|${name}`, arity, flags, group: "cluster", summary, since: "3.0.0", runLocal: run });
}

export const clusterCommands: readonly CommandSpec[] = [
  command({
    name: "cluster",
    arity: -2,
    flags: Flag.local,
    group: "cluster",
    summary: "A container for Redis Cluster commands.",
    since: "3.0.0",
    subcommands: [
      sub("slots", 2, "Returns the mapping of cluster slots to nodes.", slots),
      sub("shards", 2, "Returns the mapping of cluster slots to shards.", shards),
      sub("nodes", 2, "Returns the cluster configuration for a node.", (ctx) => {
        const admin = adminOrReply(ctx);
        if (admin !== null) ctx.reply.verbatim(nodesText(admin));
      }),
      sub("info", 2, "Returns information about the state of a node.", (ctx) => {
        const admin = adminOrReply(ctx);
        if (admin !== null) ctx.reply.verbatim(info(admin));
      }),
      sub("myid", 2, "Returns the ID of a node.", (ctx) => {
        const admin = adminOrReply(ctx);
        if (admin !== null) ctx.reply.bulk(clusterNodeId(admin.executor.nodeId));
      }),
      sub("keyslot", 3, "Returns the hash slot for a key.", (ctx, argv) => ctx.reply.int(keySlot(argv[2]))),
      command({
        name: "cluster|help",
        arity: 2,
        flags: flags | Flag.loading,
        group: "cluster",
        summary: "Returns helpful text about the different subcommands.",
        since: "5.0.0",
        runLocal: (ctx) => {
          ctx.reply.array(help.length);
          for (const line of help) ctx.reply.simple(line);
        },
      }),
    ],
  }),
  command({
    name: "readonly",
    arity: 1,
    flags: Flag.local | Flag.fast | Flag.loading | Flag.stale,
    group: "connection",
    summary: "Enables read-only queries for a connection to a Redis Cluster replica node.",
    since: "3.0.0",
    runLocal: ({ reply }) => reply.ok(),
  }),
  command({
    name: "readwrite",
    arity: 1,
    flags: Flag.local | Flag.fast | Flag.loading | Flag.stale,
    group: "connection",
    summary: "Enables read-write queries for a connection to a Redis Cluster replica node.",
    since: "3.0.0",
    runLocal: ({ reply }) => reply.ok(),
  }),
];
