// The CI pass of `bun run chaos`: each nemesis once against a real three-node cluster, with both
// workloads running, and the histories checked. A run must show no anomaly, and it must have
// done something: faults of its kind injected, operations acknowledged during the run and after
// the heal. Longer runs (docs/reliability.md) use the same code with more time and seeds.
// SEED=n replays a failing seed.

import { describe, expect, test } from "bun:test";
import { formatSummary, faultCounts } from "../../src/chaos/report.ts";
import { defaultChaosOptions, runChaos, type ChaosResult } from "../../src/chaos/run.ts";
import { nemesisKinds, type NemesisKind } from "../../src/chaos/schedule.ts";
import { netnsUnavailable } from "../../src/chaos/netns.ts";

const baseSeed = process.env.SEED !== undefined ? Number(process.env.SEED) : 7001;

function expectUseful(r: ChaosResult, kind: NemesisKind): void {
  const summary = formatSummary(r);
  if (r.anomalies.length > 0) throw new Error(`chaos run found anomalies:\n${summary}`);
  const injected = [...(faultCounts(r).get(kind)?.values() ?? [])].reduce((a, b) => a + b, 0);
  if (injected === 0) throw new Error(`no ${kind} fault was injected:\n${summary}`);
  for (const [name, counts] of Object.entries(r.ops)) {
    if (counts.ok < 50) throw new Error(`${name}: only ${counts.ok} operations acknowledged:\n${summary}`);
    if ((r.okAfterHeal[name] ?? 0) === 0) throw new Error(`${name}: nothing acknowledged after the heal:\n${summary}`);
  }
  for (const ch of r.checks) expect(ch.valid).toBe(true);
}

describe("bun run chaos, one nemesis at a time (3 nodes, register + list-append)", () => {
  nemesisKinds.forEach((kind, i) => {
    const seed = baseSeed + i;
    test(`${kind} (seed ${seed})`, async () => {
      const r = await runChaos({ ...defaultChaosOptions, nemeses: [kind], seed, timeMs: 8000, intervalMs: 1500, clients: 3 });
      expectUseful(r, kind);
    }, 90_000);
  });
});

describe("through followers", () => {
  test("partitions and membership changes with raft.follower-proxy and raft.follower-reads on", async () => {
    const r = await runChaos({ ...defaultChaosOptions, nemeses: ["partition", "member"], seed: baseSeed + 50, timeMs: 8000, intervalMs: 1200, clients: 3, followerProxy: true, followerReads: true });
    expectUseful(r, "partition");
    expectUseful(r, "member");
  }, 90_000);
});

describe("network namespaces", () => {
  const why = netnsUnavailable();
  test.skipIf(why !== null)(`partitions with ip/tc (${why ?? "root"})`, async () => {
    const r = await runChaos({ ...defaultChaosOptions, nemeses: ["partition"], seed: baseSeed + 100, timeMs: 8000, intervalMs: 1200, clients: 3, netns: true });
    expectUseful(r, "partition");
    const leftovers = Bun.spawnSync(["ip", "netns", "list"]).stdout.toString();
    expect(leftovers).not.toMatch(/^rch\d+n/m);
  }, 90_000);
});
