// Randomized runs of the scenario harness: 3 or 5 real RaftCores under message loss,
// duplication and reordering, partitions, crashes that lose unpersisted writes, snapshots,
// leadership transfers and membership changes, with the safety checker after every step; at
// the end the faults heal and a leader must emerge and commit. A smoke test of the core; the
// deterministic simulator (`bun run sim`) is the thorough one. RAFT_FUZZ_SEEDS=n runs more,
// SEED=s replays one.

import { expect, test } from "bun:test";
import { Rng } from "../../src/engine/rng.ts";
import { Harness, parseCommand } from "./harness.ts";

const seedCount = Number(process.env.RAFT_FUZZ_SEEDS ?? "150");
/** RAFT_FUZZ_BUG=name plants a bug in every node: then the runs are expected to fail. */
const plantedBug = process.env.RAFT_FUZZ_BUG ?? null;
const onlySeed = process.env.SEED === undefined ? null : Number(process.env.SEED);

/** RAFT_FUZZ_STATS=1 counts what the runs exercised (to see that the faults bite). */
const stats = process.env.RAFT_FUZZ_STATS === "1" ? new Map<string, number>() : null;
const statPatterns: [string, RegExp][] = [
  ["elections won", /role=leader/g],
  ["entries committed", /^  committed: /gm],
  ["snapshots installed", /^  snapshot: /gm],
  ["snapshot chunks", /MsgSnap term/g],
  ["append rejections", /MsgAppResp .* rejected/g],
  ["read states", /read-state:/g],
  ["conf entries", /entries: .*conf (add-learner|promote|remove)/g],
  ["transfers", /MsgTimeoutNow/g],
  ["restarts", /restarted/g],
  ["refusals", /refused:/g],
];

function runSeed(seed: number, steps: number): { problems: string[]; log: string[] } {
  const rng = new Rng(seed);
  const h = new Harness(seed);
  const log: string[] = [];
  const run = (line: string): string => {
    const out = h.run(parseCommand(line));
    log.push(line);
    if (stats !== null) for (const [name, re] of statPatterns) stats.set(name, (stats.get(name) ?? 0) + (out.match(re)?.length ?? 0));
    return out;
  };
  const size = rng.nextInt(2) === 0 ? 3 : 5;
  const voters = Array.from({ length: size }, (_, i) => i + 1).join(",");
  const opts = [
    `snapshot-entries=${rng.nextInt(2) === 0 ? 0 : 4 + rng.nextInt(12)}`,
    `chunk-bytes=${1 + rng.nextInt(16)}`,
    `inflight=${1 + rng.nextInt(4)}`,
    `max-msg-bytes=${rng.nextInt(2) === 0 ? 1 : 1000}`,
    `prevote=${rng.nextInt(4) !== 0}`,
    `checkquorum=${rng.nextInt(4) !== 0}`,
    `seed=${seed}`,
    plantedBug === null ? "" : `bugs=(${plantedBug})`,
  ].join(" ");
  for (let i = 0; i < size; i++) run(`add-nodes 1 voters=(${voters}) ${opts} persist=${rng.nextInt(3) === 0 ? "manual" : "sync"}`);
  const pick = <T>(xs: T[]): T => xs[rng.nextInt(xs.length)];
  let key = 0;
  for (let step = 0; step < steps; step++) {
    const ids = h.nodeIds();
    const r = rng.nextInt(1000);
    if (r < 300) run("tick");
    else if (r < 500) run("process-ready");
    else if (r < 750) run(`deliver-msgs loss=${rng.nextInt(20)} dup=${rng.nextInt(10)} shuffle=true`);
    else if (r < 820) run(`persist ${pick(ids)}`);
    else if (r < 900) run(`propose ${pick(ids)} k${key % 7}=${key++}`);
    else if (r < 915) {
      const shuffled = [...ids].sort(() => rng.nextInt(3) - 1);
      const cut = 1 + rng.nextInt(shuffled.length - 1);
      run(`partition ${shuffled.slice(0, cut).join(" ")} / ${shuffled.slice(cut).join(" ")}`);
    } else if (r < 935) run("heal");
    else if (r < 945) run(`restart ${pick(ids)}`);
    else if (r < 960) run(`compact ${pick(ids)}`);
    else if (r < 975) run(`read-index ${pick(ids)} r${step}`);
    else if (r < 982) run(`transfer-leader ${pick(ids)} ${pick(ids)}`);
    else {
      const leader = h.leaders()[0];
      if (leader === undefined) continue;
      const conf = leader.id === undefined ? null : h.core(leader.id).status().conf;
      if (conf === null) continue;
      const c = rng.nextInt(3);
      if (c === 0 && ids.length < 8) {
        run(`add-nodes 1 ${opts}`);
        run(`add-learner ${leader.id} ${ids.length + 1}`);
      } else if (c === 1 && conf.learners.length > 0) run(`promote ${leader.id} ${pick(conf.learners)}`);
      else if (c === 2 && conf.voters.length > 2) run(`remove ${leader.id} ${pick([...conf.voters, ...conf.learners])}`);
    }
  }
  // Heal everything; a leader must emerge and commit a new entry.
  run("heal");
  let proposed: { id: number; index: number; term: number } | null = null;
  for (let round = 0; round < 400; round++) {
    run("tick");
    run("persist");
    const out = run("stabilize");
    if (out.includes("error:")) return { problems: [...h.problems, `stabilize: ${out.slice(out.indexOf("error:"))}`], log };
    const leader = h.leaders()[0];
    if (leader === undefined) continue;
    if (proposed === null || proposed.id !== leader.id || proposed.term !== leader.term) {
      const res = h.core(leader.id).propose([new TextEncoder().encode(`final=${seed}`)]);
      if (res.ok) proposed = { id: leader.id, index: res.firstIndex, term: res.term };
      continue;
    }
    const core = h.core(leader.id);
    if (core.committedIndex >= proposed.index && core.termAt(proposed.index) === proposed.term) return { problems: h.problems, log };
  }
  return { problems: [...h.problems, "liveness: no leader committed a new entry after the faults healed"], log };
}

test(`raft core under random faults (${onlySeed ?? seedCount} seeds)`, () => {
  const seeds = onlySeed !== null ? [onlySeed] : Array.from({ length: seedCount }, (_, i) => i + 1);
  if (plantedBug !== null) {
    // Not a pass/fail test: report how many seeds catch the bug.
    const caught = seeds.filter((seed) => runSeed(seed, 400).problems.length > 0);
    console.log(`${plantedBug}: caught by ${caught.length} of ${seeds.length} seeds (first: ${caught.slice(0, 5).join(", ")})`);
    return;
  }
  for (const seed of seeds) {
    const { problems, log } = runSeed(seed, 400);
    if (problems.length > 0) {
      console.log(`seed ${seed} failed; replay: SEED=${seed} bun test test/raft/random.test.ts\nlast commands:\n${log.slice(-30).join("\n")}`);
    }
    expect({ seed, problems }).toEqual({ seed, problems: [] });
  }
  if (stats !== null) console.log([...stats].map(([k, v]) => `${k}: ${v}`).join("\n"));
}, 120_000);
