// The fault schedule of a chaos run, drawn from the seed before the run starts: same seed, same
// options → the same steps at the same times. Every interval (jittered) one of the enabled
// nemeses acts: a fault that is active heals, one that is not starts, so faults of different
// kinds overlap (a partition during a membership change, a pause during a kill), as Jepsen's
// composed nemeses do. Which node a step hits is decided when it runs (the leader then, or a
// node drawn from the step's own seed).

import { SimRandom } from "../sim/random.ts";

export const nemesisKinds = ["kill", "pause", "partition", "member", "clock", "disk"] as const;
export type NemesisKind = (typeof nemesisKinds)[number];

export function isNemesisKind(s: string): s is NemesisKind {
  return (nemesisKinds as readonly string[]).includes(s);
}

/** The variants each nemesis draws from when it starts. */
export const nemesisVariants: Readonly<Record<NemesisKind, readonly string[]>> = {
  kill: ["leader", "random", "majority", "all"],
  pause: ["leader", "minority", "majority"],
  partition: ["halves", "isolate-leader", "bridge", "one-way", "leader-mute", "leader-deaf", "slow"],
  member: ["join", "remove-follower", "remove-leader", "remove-via-random", "transfer-leader"],
  clock: ["leader:+2000", "leader:-2000", "random:+60000", "random:-60000", "random:+3600000", "leader:-3600000"],
  disk: ["torn-log:leader", "torn-log:random", "torn-snapshot:random", "torn-snapshot:leader", "after-snapshot:random"],
};

/** Faults active at the same time, at most (two overlapping kinds is where bugs hide). */
export const faultsActiveMax = 2;

/** Nemeses that act once (no heal step). */
const instant: ReadonlySet<NemesisKind> = new Set(["member"]);

export interface FaultStep {
  /** Milliseconds into the run. */
  readonly atMs: number;
  readonly kind: NemesisKind;
  readonly action: "start" | "stop";
  /** What the start does (a node choice, a partition shape, ...); empty for a stop. */
  readonly variant: string;
  /** Seeds the step's own draws (which random node, which delay). */
  readonly seed: number;
}

export interface ScheduleOptions {
  readonly seed: number;
  readonly timeMs: number;
  readonly nemeses: readonly NemesisKind[];
  /** Mean time between steps. */
  readonly intervalMs: number;
}

export function makeSchedule(o: ScheduleOptions): FaultStep[] {
  const rng = new SimRandom(o.seed);
  const steps: FaultStep[] = [];
  if (o.nemeses.length === 0) return steps;
  const active = new Set<NemesisKind>();
  // Membership alternates join and removal, so the cluster keeps its size on average.
  let members = 0;
  // Each variant of a kind is used before any repeats: short runs still see every one.
  const bags = new Map<NemesisKind, string[]>();
  const draw = (kind: NemesisKind): string => {
    let bag = bags.get(kind);
    if (bag === undefined || bag.length === 0) bags.set(kind, (bag = rng.shuffled(nemesisVariants[kind])));
    return bag.pop() as string;
  };
  // Kinds are drawn the same way: each enabled kind acts before any acts twice.
  let kinds: NemesisKind[] = [];
  for (let t = o.intervalMs * (0.5 + rng.float()); t < o.timeMs; t += o.intervalMs * (0.5 + rng.float())) {
    if (kinds.length === 0) kinds = rng.shuffled(o.nemeses);
    let kind = kinds.pop() as NemesisKind;
    const seed = rng.int(0x7fffffff);
    // At most faultsActiveMax at once: the oldest heals first, so the cluster gets breaks.
    if (!active.has(kind) && !instant.has(kind) && active.size >= faultsActiveMax) {
      kinds.push(kind);
      kind = [...active][0];
    }
    if (active.has(kind)) {
      steps.push({ atMs: Math.round(t), kind, action: "stop", variant: "", seed });
      active.delete(kind);
      continue;
    }
    let variant = draw(kind);
    if (kind === "member") {
      const join = members % 2 === 0;
      members++;
      if (join) variant = "join";
      else while (variant === "join") variant = draw(kind);
    }
    steps.push({ atMs: Math.round(t), kind, action: "start", variant, seed });
    if (!instant.has(kind)) active.add(kind);
  }
  return steps;
}

export function describeStep(s: FaultStep): string {
  return `${(s.atMs / 1000).toFixed(1)}s ${s.action} ${s.kind}${s.variant === "" ? "" : ` ${s.variant}`}`;
}
