// INFO raft: RedisRaft's field names (raft_*), so its users' dashboards and scripts keep working,
// plus a few of raftis's own. Figures from the Raft worker and the storage worker are fetched
// just before rendering (Server.infoRefresh), not cached.

import type { Status } from "../raft/types.ts";
import type { StorageStats } from "../storage/types.ts";
import type { RaftNode } from "./node.ts";

type Line = [string, string | number];

export function raftInfo(node: RaftNode, status: Status | null, storage: (StorageStats & { failed: string | null }) | null): string {
  const ex = node.executor;
  const lines: Line[] = [];
  const state = !ex.initialized ? "uninitialized" : status === null ? "loading" : "up";
  lines.push(["raft_dbid", ex.clusterId]);
  lines.push(["raft_node_id", ex.nodeId]);
  lines.push(["raft_state", state]);
  lines.push(["raft_role", status?.role.toLowerCase() ?? ex.role]);
  lines.push(["raft_is_voting", ex.members.isVoter(ex.nodeId) ? "yes" : "no"]);
  lines.push(["raft_leader_id", status?.leaderId ?? ex.leaderId]);
  lines.push(["raft_current_term", status?.term ?? ex.term]);
  lines.push(["raft_num_nodes", ex.members.ids().length]);
  lines.push(["raft_num_voting_nodes", ex.members.conf.voters.length]);
  lines.push(["raft_addr", node.announcedAddr]);
  lines.push(["raft_bus_addr", node.announcedBusAddr]);
  const last = status?.lastIndex ?? 0;
  const first = status?.firstIndex ?? 1;
  lines.push(["raft_log_entries", Math.max(0, last - first + 1)]);
  lines.push(["raft_current_index", last]);
  lines.push(["raft_commit_index", status?.commit ?? 0]);
  lines.push(["raft_last_applied_index", ex.appliedIndex]);
  lines.push(["raft_snapshot_last_idx", status?.snapshotIndex ?? node.lastSnapshotIndex]);
  lines.push(["raft_snapshot_last_term", status?.snapshotTerm ?? 0]);
  lines.push(["raft_pending_writes", ex.pendingWrites]);
  lines.push(["raft_pending_reads", ex.pendingReads]);
  lines.push(["raft_command_ring_full_events", ex.backpressureEvents]);
  const fsyncs = storage?.fsyncCount ?? 0;
  lines.push(["raft_fsync_count", fsyncs]);
  lines.push(["raft_fsync_avg_microseconds", fsyncs > 0 ? Math.round((storage?.fsyncMicrosTotal ?? 0) / fsyncs) : 0]);
  lines.push(["raft_log_records_written", storage?.recordsWritten ?? 0]);
  lines.push(["raft_log_flushes", storage?.flushCount ?? 0]);
  lines.push(["raft_storage", node.settings.raftStorage]);
  lines.push(["raft_storage_failed", storage?.failed ?? ""]);
  return lines.map(([k, v]) => `${k}:${v}\r\n`).join("");
}
