// Differential testing: the same seeded stream of random commands goes to redis-server (the
// oracle) and to raftis, and every reply must match. On a mismatch the seed, the command and
// the commands before it are printed, so `SEED=<n> bun test <file>` replays the failure.

import { Rng } from "../../src/engine/rng.ts";
import { showReply, type RespValue } from "../../src/resp/reply-parser.ts";
import type { RespClient } from "../../src/client/resp-client.ts";

export { Rng };

/** The seed for this run: SEED from the environment, else a fresh one. */
export function testSeed(): number {
  const env = process.env.SEED;
  return env !== undefined && env !== "" ? Number(env) : Math.floor(Math.random() * 2 ** 31);
}

export interface DiffOptions {
  readonly seed: number;
  /** Number of commands to send. */
  readonly count: number;
  /** One random command. */
  readonly generate: (rng: Rng) => string[];
  /** Makes replies comparable (e.g. sorts replies whose order Redis leaves unspecified). */
  readonly normalize?: (argv: readonly string[], reply: RespValue) => RespValue;
  /** Commands per pipelined batch. */
  readonly batch?: number;
  /** Sent to both before the run (default FLUSHALL). */
  readonly setup?: readonly string[][];
}

export class DiffMismatch extends Error {
  override name = "DiffMismatch";
}

/** Runs the stream against both servers; throws DiffMismatch with a replayable report. */
export async function runDifferential(oracle: RespClient, subject: RespClient, opts: DiffOptions): Promise<number> {
  const rng = new Rng(opts.seed);
  const batch = opts.batch ?? 100;
  const setup = opts.setup ?? [["FLUSHALL"]];
  await oracle.pipeline(setup);
  await subject.pipeline(setup);
  const history: string[][] = [];
  let sent = 0;
  while (sent < opts.count) {
    const cmds: string[][] = [];
    for (let i = 0; i < batch && sent + i < opts.count; i++) cmds.push(opts.generate(rng));
    const [expected, actual] = await Promise.all([oracle.pipeline(cmds), subject.pipeline(cmds)]);
    for (let i = 0; i < cmds.length; i++) {
      history.push(cmds[i]);
      const e = opts.normalize ? opts.normalize(cmds[i], expected[i]) : expected[i];
      const a = opts.normalize ? opts.normalize(cmds[i], actual[i]) : actual[i];
      if (!sameReply(e, a)) {
        const recent = history.slice(-25).map((c) => `  ${showCommand(c)}`).join("\n");
        throw new DiffMismatch(
          `Replies differ (seed ${opts.seed}, command #${sent + i}):\n` +
            `  command: ${showCommand(cmds[i])}\n  redis:   ${showReply(expected[i])}\n  raftis:  ${showReply(actual[i])}\n` +
            `last commands:\n${recent}\nreplay with SEED=${opts.seed}`,
        );
      }
    }
    sent += cmds.length;
  }
  return sent;
}

export function showCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[\x21-\x7e]+$/.test(a) ? a : JSON.stringify(a))).join(" ");
}

export function sameReply(a: RespValue, b: RespValue): boolean {
  return showReply(a) === showReply(b);
}

/** Sorts an array/set reply's elements (for commands whose order Redis does not define). */
export function sortReply(v: RespValue): RespValue {
  if (v.t === "array" || v.t === "set") {
    const items = [...v.v].sort((x, y) => (showReply(x) < showReply(y) ? -1 : showReply(x) > showReply(y) ? 1 : 0));
    return { t: v.t, v: items };
  }
  if (v.t === "map") {
    const pairs = [...v.v].sort((x, y) => (showReply(x[0]) < showReply(y[0]) ? -1 : 1));
    return { t: "map", v: pairs };
  }
  return v;
}

/** Sorts a flat [k1, v1, k2, v2, ...] array by pairs (HGETALL in RESP2, ZRANGE WITHSCORES). */
export function sortPairs(v: RespValue): RespValue {
  if (v.t !== "array") return v;
  const pairs: [RespValue, RespValue][] = [];
  for (let i = 0; i + 1 < v.v.length; i += 2) pairs.push([v.v[i], v.v[i + 1]]);
  pairs.sort((x, y) => (showReply(x[0]) < showReply(y[0]) ? -1 : 1));
  return { t: "array", v: pairs.flat() };
}

// ---- generators' building blocks ----

export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.nextInt(items.length)];
}

/** A small key pool, so commands collide on keys and types often. */
export function randomKey(rng: Rng, pool = 8, prefix = "k"): string {
  return `${prefix}${rng.nextInt(pool)}`;
}

/** Values that exercise edge cases: empty, integers, floats, binary bytes, long strings. */
export function randomValue(rng: Rng): string {
  switch (rng.nextInt(10)) {
    case 0:
      return "";
    case 1:
      return String(rng.nextInt(2000) - 1000);
    case 2:
      return pick(rng, ["9223372036854775807", "-9223372036854775808", "9223372036854775808", "0", "-0", "007", " 1", "1e3", "3.14", "-2.5", "inf", "nan"]);
    case 3:
      return String.fromCharCode(...Array.from({ length: 1 + rng.nextInt(6) }, () => rng.nextInt(256)));
    case 4:
      return "x".repeat(rng.nextInt(100));
    default:
      return pick(rng, ["a", "b", "c", "foo", "bar", "hello", "world", "v1", "v2", "zz"]) + (rng.nextInt(3) === 0 ? String(rng.nextInt(10)) : "");
  }
}

export function randomInt(rng: Rng, lo: number, hi: number): number {
  return lo + rng.nextInt(hi - lo + 1);
}
