// How a run's violation is printed: the seed and how to replay it, the kind, then the minimal
// trace (relevant last events, or the linearizability checker's explanation).

import type { SeedResult } from "./simulation.ts";

export function replayCommand(r: SeedResult): string {
  return `bun run sim --seed ${r.seed} --nodes ${r.profile.nodes}${r.modeForced ? ` --mode ${r.profile.mode}` : ""}${r.bug === null ? "" : ` --bug ${r.bug}`}`;
}

export function formatViolation(r: SeedResult): string[] {
  const v = r.violation;
  if (v === null) return [];
  return [
    `seed ${r.seed}: ${v.kind} violation (${r.profile.nodes} nodes, mode ${r.profile.mode}${r.bug === null ? "" : `, bug ${r.bug}`}): ${v.summary}`,
    `  replay: ${replayCommand(r)} --verbose`,
    ...v.details.map((l) => `  ${l}`),
  ];
}

/** One line of what a run did, to see that the faults bite. */
export function formatStats(r: SeedResult): string {
  const s = r.stats;
  return (
    `seed ${r.seed} (${r.profile.nodes} nodes, ${r.profile.mode}): ${(s.simulatedUs / 1e6).toFixed(1)}s simulated, ${s.events} events, ` +
    `${s.leadersElected} leaders (max term ${s.maxTerm}), ${s.crashes} crashes (${s.tornWrites} torn), ${s.restarts} restarts, ` +
    `msgs ${s.messagesDelivered} delivered/${s.messagesLost} lost/${s.messagesCut} cut, snapshots ${s.snapshotsTaken} taken/${s.snapshotsInstalled} installed, ` +
    `${s.confChangesProposed} conf changes, ${s.transfers} transfers, ${s.heals} heals (slowest recovery ${(s.maxRecoveryUs / 1000).toFixed(0)}ms), ` +
    `ops ${s.opsOk} ok (${s.readsOk} reads)/${s.opsFailed} failed/${s.opsUnknown} unknown` +
    `${s.uncheckedKeys > 0 ? `, ${s.uncheckedKeys} keys unchecked (search budget)` : ""}, digest ${r.digest}`
  );
}
