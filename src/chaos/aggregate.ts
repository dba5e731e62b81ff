// `bun src/chaos/aggregate.ts results/*.json`: sums the results of many `bun run chaos --json`
// runs into the markdown tables of docs/reliability.md (operations checked, faults injected by
// kind, anomalies and their seeds), grouped by cluster size and nemesis mix.

import { readFileSync } from "node:fs";
import type { FaultRecord } from "./nemesis.ts";
import type { OutcomeCounts } from "./workload.ts";

interface Saved {
  readonly options: { readonly nodes: number; readonly timeMs: number; readonly nemeses: readonly string[]; readonly seed: number; readonly netns: boolean; readonly followerProxy?: boolean; readonly followerReads?: boolean };
  readonly faults: readonly FaultRecord[];
  readonly ops: Readonly<Record<string, OutcomeCounts>>;
  readonly anomalies: readonly string[];
}

interface Group {
  runs: number;
  seconds: number;
  seeds: number[];
  ops: Record<string, OutcomeCounts>;
  faults: Map<string, number>;
  anomalies: string[];
}

/** Adds each workload's outcome counts of `from` into `into`. */
function addOps(into: Record<string, OutcomeCounts>, from: Readonly<Record<string, OutcomeCounts>>): void {
  for (const [w, c] of Object.entries(from)) {
    const t = (into[w] ??= { invoked: 0, ok: 0, fail: 0, unknown: 0 });
    t.invoked += c.invoked;
    t.ok += c.ok;
    t.fail += c.fail;
    t.unknown += c.unknown;
  }
}

function main(files: readonly string[]): void {
  const groups = new Map<string, Group>();
  for (const f of files) {
    const r = JSON.parse(readFileSync(f, "utf8")) as Saved;
    const mode = [r.options.netns ? "netns" : "", r.options.followerProxy === true ? "follower proxy" : "", r.options.followerReads === true ? "follower reads" : ""].filter((m) => m !== "");
    const name = `${r.options.nodes} nodes | ${r.options.nemeses.join("+") || "none"}${mode.length > 0 ? ` (${mode.join(", ")})` : ""}`;
    let g = groups.get(name);
    if (g === undefined) groups.set(name, (g = { runs: 0, seconds: 0, seeds: [], ops: {}, faults: new Map(), anomalies: [] }));
    g.runs++;
    g.seconds += r.options.timeMs / 1000;
    g.seeds.push(r.options.seed);
    addOps(g.ops, r.ops);
    for (const fault of r.faults) if (fault.injected) g.faults.set(fault.kind, (g.faults.get(fault.kind) ?? 0) + 1);
    for (const a of r.anomalies) g.anomalies.push(`seed ${r.options.seed}: ${a}`);
  }
  const out: string[] = [];
  out.push("| cluster \\| nemesis | runs | register ops (ok / unknown / failed) | list-append txns (ok / unknown / failed) | faults injected | anomalies |");
  out.push("|---|---|---|---|---|---|");
  const total: Group = { runs: 0, seconds: 0, seeds: [], ops: {}, faults: new Map(), anomalies: [] };
  const cell = (c: OutcomeCounts | undefined) => (c === undefined ? "–" : `${c.invoked} (${c.ok} / ${c.unknown} / ${c.fail})`);
  for (const [name, g] of [...groups].sort()) {
    const faults = [...g.faults].map(([k, n]) => `${k} ${n}`).join(", ");
    out.push(`| ${name.replace("|", "\\|")} | ${g.runs} × ${g.seconds / g.runs} s | ${cell(g.ops.register)} | ${cell(g.ops["list-append"])} | ${faults} | ${g.anomalies.length} |`);
    total.runs += g.runs;
    total.seconds += g.seconds;
    addOps(total.ops, g.ops);
    for (const [k, n] of g.faults) total.faults.set(k, (total.faults.get(k) ?? 0) + n);
    total.anomalies.push(...g.anomalies);
  }
  out.push(
    `| **total** | ${total.runs} runs, ${Math.round(total.seconds / 60)} min of faults | ${cell(total.ops.register)} | ${cell(total.ops["list-append"])} | ${[...total.faults].map(([k, n]) => `${k} ${n}`).join(", ")} | ${total.anomalies.length} |`,
  );
  if (total.anomalies.length > 0) out.push("", "Anomalies:", ...total.anomalies.map((a) => `- ${a}`));
  process.stdout.write(`${out.join("\n")}\n`);
}

main(process.argv.slice(2));
