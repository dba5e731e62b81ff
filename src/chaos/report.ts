// The summary `bun run chaos` prints: what ran, operations by outcome, faults by kind, the
// checkers' verdicts with their explanations, anomalies, and the line that replays the run.

import type { ChaosResult } from "./run.ts";

export function replayCommand(r: ChaosResult): string {
  const o = r.options;
  return `bun run chaos --nodes ${o.nodes} --time ${o.timeMs / 1000} --nemesis ${o.nemeses.join(",") || "none"} --workload ${o.workloads.join(",")} --seed ${o.seed}${o.netns ? " --netns" : ""}${o.followerProxy ? " --follower-proxy" : ""}${o.followerReads ? " --follower-reads" : ""}`;
}

/** Faults injected, by kind and variant: "kill ×3 (leader 1, all 2)". */
export function faultCounts(r: ChaosResult): Map<string, Map<string, number>> {
  const byKind = new Map<string, Map<string, number>>();
  for (const f of r.faults) {
    if (!f.injected) continue;
    let v = byKind.get(f.kind);
    if (v === undefined) byKind.set(f.kind, (v = new Map()));
    v.set(f.variant, (v.get(f.variant) ?? 0) + 1);
  }
  return byKind;
}

export function formatSummary(r: ChaosResult): string {
  const o = r.options;
  const lines: string[] = [];
  lines.push(
    `raftis chaos: ${o.nodes} nodes, ${o.timeMs / 1000} s, nemesis ${o.nemeses.join(",") || "none"}, workload ${o.workloads.join(",")}, seed ${o.seed}, ${o.netns ? "network namespaces" : "proxy network"}${o.followerProxy ? ", follower proxy" : ""}${o.followerReads ? ", follower reads" : ""} (${(r.durationMs / 1000).toFixed(1)} s in all)`,
  );
  lines.push("operations:");
  for (const [name, c] of Object.entries(r.ops)) {
    lines.push(`  ${name.padEnd(12)} ${c.invoked} invoked: ${c.ok} ok, ${c.fail} failed (certainly not applied), ${c.unknown} unknown; ${r.okAfterHeal[name] ?? 0} ok after the heal`);
  }
  const counts = faultCounts(r);
  const skipped = r.faults.filter((f) => !f.injected).length;
  lines.push(`faults injected: ${[...counts.values()].reduce((n, v) => n + [...v.values()].reduce((a, b) => a + b, 0), 0)}${skipped > 0 ? ` (${skipped} steps found nothing to do)` : ""}`);
  for (const [kind, variants] of counts) {
    const total = [...variants.values()].reduce((a, b) => a + b, 0);
    lines.push(`  ${kind.padEnd(10)} ×${total} (${[...variants].map(([v, n]) => `${v} ${n}`).join(", ")})`);
  }
  if (r.network !== "") lines.push(`network: ${r.network}`);
  const odd = Object.entries(r.oddErrors);
  if (odd.length > 0) lines.push(`unexpected error replies (classified unknown): ${odd.map(([m, n]) => `"${m}" ×${n}`).join(", ")}`);
  lines.push("checks:");
  for (const ch of r.checks) {
    lines.push(...ch.report.split("\n").map((l) => `  ${l}`));
    if (ch.unchecked > 0) lines.push(`  (${ch.unchecked} keys ran out of search budget: neither proved nor refuted)`);
  }
  if (r.recoveryFailure !== null) lines.push(`recovery: FAILED (${r.recoveryFailure})`);
  for (const e of r.unexpectedExits) lines.push(`${e.node} exited on its own (code ${e.code}, signal ${e.signal}); its last lines:`, ...e.tail.split("\n").map((l) => `    ${l}`));
  lines.push(r.anomalies.length === 0 ? "anomalies: none" : `ANOMALIES (${r.anomalies.length}):`);
  for (const a of r.anomalies) lines.push(`  ${a}`);
  if (r.kept) lines.push(`run directory (node logs, histories, events): ${r.dir}`);
  lines.push(`replay: ${replayCommand(r)}`);
  return lines.join("\n");
}
