// The simulator on the real core with no planted bug: a few hundred seeds (both cluster sizes,
// every nemesis mode) must show no violation, the faults must actually bite, and a seed must
// replay exactly. SIM_SEEDS=n runs more; SEED=s runs one.

import { expect, test } from "bun:test";
import { nemesisModes } from "../../src/sim/profile.ts";
import { formatStats, formatViolation } from "../../src/sim/report.ts";
import { runSeed, type SimStats } from "../../src/sim/simulation.ts";

const seedCount = Number(process.env.SIM_SEEDS ?? "300");
const onlySeed = process.env.SEED === undefined ? null : Number(process.env.SEED);

test(`clean seeds show no violation (${onlySeed === null ? seedCount : `seed ${onlySeed}`})`, () => {
  const seeds = onlySeed !== null ? [onlySeed] : Array.from({ length: seedCount }, (_, i) => i + 1);
  const totals = new Map<keyof SimStats, number>();
  const modes = new Set<string>();
  const sizes = new Set<number>();
  const failures: string[] = [];
  for (const seed of seeds) {
    const r = runSeed({ seed });
    modes.add(r.profile.mode);
    sizes.add(r.profile.nodes);
    for (const [k, v] of Object.entries(r.stats) as [keyof SimStats, number][]) totals.set(k, (totals.get(k) ?? 0) + v);
    if (r.violation !== null) failures.push([...formatViolation(r), formatStats(r)].join("\n"));
  }
  if (failures.length > 0) console.log(failures.join("\n\n"));
  expect(failures.length).toBe(0);
  if (onlySeed !== null) return;
  // The runs did what they are for (each of these is zero if a fault or a feature stops working).
  expect([...modes].sort()).toEqual([...nemesisModes].sort());
  expect([...sizes].sort()).toEqual([3, 5]);
  for (const k of [
    "leadersElected",
    "crashes",
    "tornWrites",
    "restarts",
    "messagesLost",
    "messagesCut",
    "snapshotsTaken",
    "snapshotsInstalled",
    "confChangesProposed",
    "transfers",
    "heals",
    "opsOk",
    "readsOk",
    "opsFailed",
    "opsUnknown",
  ] as const) {
    expect({ [k]: (totals.get(k) ?? 0) > 0 }).toEqual({ [k]: true });
  }
  // Every key's history was decided: none ran out of search budget.
  expect(totals.get("uncheckedKeys")).toBe(0);
}, 300_000);

test("a seed replays exactly: same digest, whether or not it is traced", () => {
  const lines: string[] = [];
  const first = runSeed({ seed: 4242 });
  const again = runSeed({ seed: 4242, verbose: (l) => lines.push(l) });
  expect(again.digest).toBe(first.digest);
  expect(again.stats).toEqual(first.stats);
  expect(lines.length).toBeGreaterThan(1000);
  expect(runSeed({ seed: 4243 }).digest).not.toBe(first.digest);
  // The cluster size is part of the setup: the same seed on 3 and on 5 nodes differs.
  expect(runSeed({ seed: 4242, nodes: 3 }).digest).not.toBe(runSeed({ seed: 4242, nodes: 5 }).digest);
});
