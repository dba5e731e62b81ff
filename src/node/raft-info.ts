// INFO raft: RedisRaft's field names (raft_*), so its users' dashboards and scripts keep working,
// plus a few of raftis's own. Figures from the Raft worker and the storage worker are fetched
// just before rendering (Server.infoRefresh), not cached.

import type { Status } from "../raft/types.ts";
import type { StorageStats } from "../storage/types.ts";
import type { RaftNode } from "./node.ts";

type Line = [string, string | number];

/** What the bus says about one peer (workers/raft.worker.ts peerStats). */
export interface PeerView {
  id: number;
  addr: string;
  state: string;
  lastContactMs: number;
  connErrors: number;
  connOks: number;
}

export function raftInfo(node: RaftNode, status: Status | null, storage: (StorageStats & { failed: string | null }) | null, peers: readonly PeerView[] = []): string {
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
  // One line per other member, RedisRaft style, plus Raft progress as the leader sees it.
  let n = 0;
  for (const id of ex.members.ids()) {
    if (id === ex.nodeId) continue;
    const a = ex.members.address(id);
    const bus = peers.find((p) => p.id === id);
    const progress = status?.progress.find((p) => p.id === id);
    const [host, port] = a === undefined ? ["", ""] : [a.addr.slice(0, a.addr.lastIndexOf(":")), a.addr.slice(a.addr.lastIndexOf(":") + 1)];
    const fields = [
      `id=${id}`,
      `state=${bus?.state ?? "disconnected"}`,
      `voting=${ex.members.isVoter(id) ? "yes" : "no"}`,
      `addr=${host}`,
      `port=${port}`,
      `bus_addr=${a?.busAddr ?? ""}`,
      `match_index=${progress?.match ?? 0}`,
      `lag=${progress === undefined ? 0 : Math.max(0, (status?.commit ?? 0) - progress.match)}`,
      `last_contact_ms=${bus?.lastContactMs ?? -1}`,
      `conn_errors=${bus?.connErrors ?? 0}`,
      `conn_oks=${bus?.connOks ?? 0}`,
    ];
    lines.push([`raft_node${++n}`, fields.join(",")]);
  }
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
