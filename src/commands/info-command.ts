// INFO: the node described in Redis 7.0's sections and field names (server.c genRedisInfoString),
// with real values where raftis has them. Fields Redis has but raftis cannot know honestly
// (keyspace hits, fork and RDB statistics) are left out rather than faked, except the few
// that clients read at connect (ioredis waits for `loading:0`).

import { arch, machine, release, totalmem, type } from "node:os";
import packageJson from "../../package.json" with { type: "json" };
import type { Server } from "../server/server.ts";
import { Flag, command, type CommandSpec } from "./types.ts";
import { redisCompatVersion } from "./connection.ts";

export const raftisVersion: string = packageJson.version;

/** Redis's bytesToHuman. */
export function bytesToHuman(n: number): string {
  const units = ["K", "M", "G", "T", "P", "E"];
  if (n < 1024) return `${n}B`;
  let value = n / 1024;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${value.toFixed(2)}${units[i]}`;
}

type Fields = [string, string | number][];

function lines(fields: Fields): string {
  return fields.map(([k, v]) => `${k}:${v}\r\n`).join("");
}

function serverSection(server: Server): Fields {
  const now = Date.now();
  const uptime = Math.floor((now - server.startedAtMs) / 1000);
  return [
    ["redis_version", redisCompatVersion],
    ["raftis_version", raftisVersion],
    ["redis_git_sha1", "00000000"],
    ["redis_git_dirty", 0],
    ["redis_build_id", "0"],
    ["redis_mode", server.mode],
    ["os", `${type()} ${release()} ${machine()}`],
    ["arch_bits", arch().endsWith("64") ? 64 : 32],
    ["monotonic_clock", "POSIX clock_gettime"],
    ["multiplexing_api", "bun"],
    ["atomicvar_api", "c11-builtin"],
    ["gcc_version", "0.0.0"],
    ["bun_version", Bun.version],
    ["process_id", process.pid],
    ["process_supervised", "no"],
    ["run_id", server.runId],
    ["tcp_port", server.ports[0] ?? server.settings.port],
    ["server_time_usec", now * 1000],
    ["uptime_in_seconds", uptime],
    ["uptime_in_days", Math.floor(uptime / 86400)],
    ["hz", server.settings.hz],
    ["configured_hz", server.settings.hz],
    ["lru_clock", Math.floor(now / 1000) & 0xffffff],
    ["executable", process.execPath],
    ["config_file", server.configFile ?? ""],
    ["io_threads_active", 0],
  ];
}

function clientsSection(server: Server): Fields {
  return [
    ["connected_clients", server.clients.size],
    ["cluster_connections", 0],
    ["maxclients", server.settings.maxclients],
    ["client_recent_max_input_buffer", server.recentMaxInputBuffer],
    ["client_recent_max_output_buffer", server.recentMaxOutputBuffer],
    ["blocked_clients", 0],
    ["tracking_clients", 0],
    ["clients_in_timeout_table", 0],
  ];
}

function memorySection(server: Server): Fields {
  server.refreshUsedMemory();
  const used = server.usedMemory();
  const peak = Math.max(server.usedMemoryPeak(), used);
  const rss = process.memoryUsage.rss();
  let clientsMem = 0;
  for (const c of server.clients.values()) clientsMem += c.reply.capacity + c.pendingOutBytes + c.parser.buffered;
  const total = totalmem();
  return [
    ["used_memory", used],
    ["used_memory_human", bytesToHuman(used)],
    ["used_memory_rss", rss],
    ["used_memory_rss_human", bytesToHuman(rss)],
    ["used_memory_peak", peak],
    ["used_memory_peak_human", bytesToHuman(peak)],
    ["used_memory_peak_perc", `${((used * 100) / peak).toFixed(2)}%`],
    ["total_system_memory", total],
    ["total_system_memory_human", bytesToHuman(total)],
    ["maxmemory", server.settings.maxmemory],
    ["maxmemory_human", bytesToHuman(server.settings.maxmemory)],
    ["maxmemory_policy", server.settings.maxmemoryPolicy],
    ["mem_fragmentation_ratio", used > 0 ? (rss / used).toFixed(2) : "0.00"],
    ["mem_clients_normal", clientsMem],
    ["mem_allocator", "bun"],
    ["lazyfree_pending_objects", 0],
  ];
}

function persistenceSection(server: Server): Fields {
  return [
    ["loading", server.loading ? 1 : 0],
    ["async_loading", 0],
    ["rdb_bgsave_in_progress", 0],
    ["rdb_last_save_time", server.lastSaveSec],
    ["rdb_last_bgsave_status", "ok"],
    ["aof_enabled", 0],
    ["aof_rewrite_in_progress", 0],
    ["aof_rewrite_scheduled", 0],
    ["aof_last_write_status", "ok"],
  ];
}

function statsSection(server: Server): Fields {
  const s = server.stats;
  return [
    ["total_connections_received", s.totalConnections],
    ["total_commands_processed", s.totalCommands],
    ["instantaneous_ops_per_sec", Math.round(s.opsPerSec.value)],
    ["total_net_input_bytes", s.netInputBytes],
    ["total_net_output_bytes", s.netOutputBytes],
    ["instantaneous_input_kbps", (s.inputBytesPerSec.value / 1024).toFixed(2)],
    ["instantaneous_output_kbps", (s.outputBytesPerSec.value / 1024).toFixed(2)],
    ["rejected_connections", s.rejectedConnections],
    ["expired_keys", s.expiredKeys],
    ["evicted_keys", 0],
    ["evicted_clients", 0],
    ["client_output_buffer_limit_disconnections", s.clientOutputLimitDisconnections],
    ["pubsub_channels", 0],
    ["pubsub_patterns", 0],
    ["unexpected_error_replies", 0],
    ["total_error_replies", s.errorReplies],
    ["total_reads_processed", s.reads],
    ["total_writes_processed", s.writes],
  ];
}

function replicationSection(server: Server): Fields {
  return [
    ["role", "master"],
    ["connected_slaves", 0],
    ["master_failover_state", "no-failover"],
    ["master_replid", server.runId],
    ["master_replid2", "0".repeat(40)],
    ["master_repl_offset", 0],
    ["second_repl_offset", -1],
    ["repl_backlog_active", 0],
    ["repl_backlog_size", 0],
    ["repl_backlog_first_byte_offset", 0],
    ["repl_backlog_histlen", 0],
  ];
}

function cpuSection(): Fields {
  const { user, system } = process.cpuUsage();
  const seconds = (us: number): string => `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, "0")}`;
  return [
    ["used_cpu_sys", seconds(system)],
    ["used_cpu_user", seconds(user)],
    ["used_cpu_sys_children", "0.000000"],
    ["used_cpu_user_children", "0.000000"],
  ];
}

function commandstatsSection(server: Server): string {
  let out = "";
  for (const [name, st] of server.stats.commands) {
    const perCall = st.calls > 0 ? st.usec / st.calls : 0;
    out += `cmdstat_${name}:calls=${st.calls},usec=${st.usec},usec_per_call=${perCall.toFixed(2)},rejected_calls=${st.rejectedCalls},failed_calls=${st.failedCalls}\r\n`;
  }
  return out;
}

function errorstatsSection(server: Server): string {
  let out = "";
  for (const [code, count] of server.stats.errorCodes) out += `errorstat_${code}:count=${count}\r\n`;
  return out;
}

function keyspaceSection(server: Server): string {
  const db = server.engine.db;
  // avg_ttl is an estimate in Redis too; raftis does not sample TTLs, so it says 0 (unknown).
  return db.size > 0 ? `db0:keys=${db.size},expires=${db.expiresCount},avg_ttl=0\r\n` : "";
}

/** The built-in sections in Redis's order, and whether plain INFO shows them. */
const builtIn: readonly { name: string; title: string; inDefault: boolean; body: (s: Server) => string }[] = [
  { name: "server", title: "Server", inDefault: true, body: (s) => lines(serverSection(s)) },
  { name: "clients", title: "Clients", inDefault: true, body: (s) => lines(clientsSection(s)) },
  { name: "memory", title: "Memory", inDefault: true, body: (s) => lines(memorySection(s)) },
  { name: "persistence", title: "Persistence", inDefault: true, body: (s) => lines(persistenceSection(s)) },
  { name: "stats", title: "Stats", inDefault: true, body: (s) => lines(statsSection(s)) },
  { name: "replication", title: "Replication", inDefault: true, body: (s) => lines(replicationSection(s)) },
  { name: "cpu", title: "CPU", inDefault: true, body: () => lines(cpuSection()) },
  { name: "modules", title: "Modules", inDefault: true, body: () => "" },
  { name: "commandstats", title: "Commandstats", inDefault: false, body: commandstatsSection },
  { name: "errorstats", title: "Errorstats", inDefault: true, body: errorstatsSection },
  { name: "cluster", title: "Cluster", inDefault: true, body: (s) => lines([["cluster_enabled", s.mode === "cluster" ? 1 : 0]]) },
  { name: "keyspace", title: "Keyspace", inDefault: true, body: keyspaceSection },
];

/**
 * The INFO text for the requested sections (Redis 7.0: several names may be given; `default`,
 * `all` and `everything` are sets; unknown names add nothing). Sections other parts of the
 * node contribute (server.infoSections, e.g. `raft`) come with `everything` or by name, like
 * Redis module sections; one named like a built-in section replaces its fields.
 */
export function infoText(server: Server, args: readonly string[]): string {
  const wanted = new Set(args.map((a) => a.toLowerCase()));
  if (wanted.size === 0) wanted.add("default");
  const everything = wanted.has("everything");
  const all = everything || wanted.has("all");
  const dflt = wanted.has("default");
  const parts: string[] = [];
  const emit = (title: string, body: string): void => {
    parts.push(`# ${title}\r\n${body}`);
  };
  for (const section of builtIn) {
    if (!(all || (dflt && section.inDefault) || wanted.has(section.name))) continue;
    const extra = server.infoSections.get(section.name);
    emit(section.title, extra !== undefined ? extra() : section.body(server));
  }
  for (const [name, body] of server.infoSections) {
    if (builtIn.some((b) => b.name === name)) continue;
    if (!(everything || wanted.has(name))) continue;
    emit(name.charAt(0).toUpperCase() + name.slice(1), body());
  }
  return parts.join("\r\n");
}

export const infoCommands: readonly CommandSpec[] = [
  command({
    name: "info",
    arity: -1,
    flags: Flag.local | Flag.loading | Flag.stale | Flag.random,
    group: "server",
    summary: "Get information and statistics about the server",
    since: "1.0.0",
    complexity: "O(1)",
    runLocal: ({ reply, server, client }, argv) => {
      const sections = argv.slice(1);
      const refresh = server.infoRefresh;
      if (refresh === null) {
        reply.verbatim(infoText(server, sections));
        return;
      }
      // Parts of the node in other threads (the Raft worker) are asked first, so their
      // figures are current, not cached.
      server.beginAsync(client, "other");
      refresh(sections).then(
        () => reply.verbatim(infoText(server, sections)),
        (e: Error) => reply.error(`ERR Cannot collect INFO: ${e.message}`),
      ).finally(() => server.endAsync(client));
    },
  }),
];
