// bun run sim --seeds N [--seed S] [--nodes 3|5] [--mode <mode>] [--bug <name>] [--verbose] [--stats] [--progress]
//
// Runs N seeds (S, S+1, ...; S defaults to 1) of the deterministic simulator (src/sim/simulation.ts);
// `--seed S` alone replays one seed exactly. --nodes and --mode override what the seed would pick
// (a replay must repeat them); --stats prints what each run did; --progress reports to stderr. Each violation is printed with its seed, kind and a
// minimal trace; the last line is always `N seeds, V violations`, and the exit code is 1 when
// V > 0. A run stops at its first violation, so V counts failing seeds.

import { plantedBugNames, type PlantedBugs } from "../raft/types.ts";
import { nemesisModes, type NemesisMode } from "./profile.ts";
import { formatStats, formatViolation } from "./report.ts";
import { runSeed } from "./simulation.ts";

interface Args {
  seeds: number;
  first: number;
  nodes: 3 | 5 | null;
  mode: NemesisMode | null;
  bug: keyof PlantedBugs | null;
  verbose: boolean;
  stats: boolean;
  progress: boolean;
}

function usage(problem: string): never {
  console.error(`sim: ${problem}`);
  console.error("usage: bun run sim --seeds N [--seed S] [--nodes 3|5] [--mode <mode>] [--bug <name>] [--verbose] [--stats] [--progress]");
  console.error(`modes: ${nemesisModes.join(", ")}`);
  console.error(`bugs: ${plantedBugNames.join(", ")}`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const args: Args = { seeds: 0, first: 1, nodes: null, mode: null, bug: null, verbose: false, stats: false, progress: false };
  let seedGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    const count = (v: string, min: number): number => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < min) usage(`${a} takes an integer >= ${min}, not ${JSON.stringify(v)}`);
      return n;
    };
    switch (a) {
      case "--seeds":
        args.seeds = count(value(), 1);
        break;
      case "--seed":
        args.first = count(value(), 0);
        seedGiven = true;
        break;
      case "--nodes": {
        const v = value();
        if (v !== "3" && v !== "5") usage(`--nodes takes 3 or 5, not ${JSON.stringify(v)}`);
        args.nodes = v === "3" ? 3 : 5;
        break;
      }
      case "--mode": {
        const v = value();
        const mode = nemesisModes.find((m) => m === v);
        if (mode === undefined) usage(`unknown mode ${JSON.stringify(v)}`);
        args.mode = mode;
        break;
      }
      case "--bug": {
        const v = value();
        const bug = plantedBugNames.find((b) => b === v);
        if (bug === undefined) usage(`unknown bug ${JSON.stringify(v)}`);
        args.bug = bug;
        break;
      }
      case "--verbose":
        args.verbose = true;
        break;
      case "--stats":
        args.stats = true;
        break;
      case "--progress":
        args.progress = true;
        break;
      default:
        usage(`unknown argument ${JSON.stringify(a)}`);
    }
  }
  if (args.seeds === 0) {
    if (!seedGiven) usage("say how many seeds (--seeds N) or which one (--seed S)");
    args.seeds = 1;
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
let violations = 0;
let uncheckedKeys = 0;
const started = performance.now();
for (let seed = args.first; seed < args.first + args.seeds; seed++) {
  const result = runSeed({ seed, nodes: args.nodes, mode: args.mode, bug: args.bug, verbose: args.verbose ? (line) => console.log(line) : null });
  if (args.stats || args.verbose) console.log(formatStats(result));
  uncheckedKeys += result.stats.uncheckedKeys;
  if (result.violation !== null) {
    violations++;
    for (const line of formatViolation(result)) console.log(line);
  }
  const done = seed - args.first + 1;
  if (args.progress && done % 100 === 0) {
    const perSeed = (performance.now() - started) / done;
    console.error(`sim: ${done}/${args.seeds} seeds, ${violations} violations, ${perSeed.toFixed(0)} ms/seed`);
  }
}
// Not a violation, but not a proof either: say so before the summary line.
if (uncheckedKeys > 0) console.log(`note: ${uncheckedKeys} keys ran out of linearizability search budget (neither proved nor refuted)`);
console.log(`${args.seeds} seeds, ${violations} violations`);
process.exit(violations > 0 ? 1 : 0);
