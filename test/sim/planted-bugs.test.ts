// Proof that the simulator can fail: each bug planted in the core (src/raft/types.ts,
// PlantedBugs) must be caught within its seed budget, as the right kind of violation. The
// schedules that expose them (src/sim/schedules.ts, the nemesis modes) are generic and run for
// clean seeds too (test/sim/clean.test.ts). Prints how many seeds each bug needed.

import { expect, test } from "bun:test";
import type { PlantedBugs } from "../../src/raft/types.ts";
import { formatViolation } from "../../src/sim/report.ts";
import { runSeed, type ViolationKind } from "../../src/sim/simulation.ts";

/**
 * Seeds 1..budget are tried in order until one fails. Budgets leave a wide margin over what the
 * bug needs (measured over 1000 seeds: the rate at which seeds catch it), since any change to the
 * simulator or the core reshuffles which seeds do.
 */
const cases: { bug: keyof PlantedBugs; budget: number; kinds: ViolationKind[] }[] = [
  { bug: "applyBeforeCommit", budget: 20, kinds: ["safety"] },
  { bug: "voteWithoutLogCheck", budget: 40, kinds: ["safety", "assertion"] },
  { bug: "commitOldTerm", budget: 150, kinds: ["safety"] },
  { bug: "forgetPersistVote", budget: 150, kinds: ["safety"] },
  { bug: "readWithoutConfirm", budget: 150, kinds: ["linearizability"] },
];

for (const { bug, budget, kinds } of cases) {
  test(`${bug} is caught within ${budget} seeds`, () => {
    for (let seed = 1; seed <= budget; seed++) {
      const r = runSeed({ seed, bug });
      if (r.violation === null) continue;
      console.log(`${bug}: caught by seed ${seed} (${r.profile.nodes} nodes, ${r.profile.mode}): ${r.violation.kind}: ${r.violation.summary}`);
      if (!kinds.includes(r.violation.kind)) console.log(formatViolation(r).join("\n"));
      expect(kinds).toContain(r.violation.kind);
      return;
    }
    throw new Error(`${bug}: no violation in seeds 1..${budget}`);
  }, 120_000);
}
