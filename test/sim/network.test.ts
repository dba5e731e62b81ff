// The simulated network: cuts are one-way, isolation and partitions cut both ways, heal reopens
// everything, and the weather decides loss, duplication and delays from the run's randomness.

import { describe, expect, test } from "bun:test";
import { calmWeather, Network, type Fate } from "../../src/sim/network.ts";
import { SimRandom } from "../../src/sim/random.ts";

function net(seed = 1, weather = calmWeather): Network {
  return new Network(new SimRandom(seed), weather);
}

describe("links", () => {
  test("a cut is one way", () => {
    const n = net();
    n.cut(1, 2);
    expect(n.route(1, 2).kind).toBe("cut");
    expect(n.route(2, 1).kind).toBe("delivered");
    expect(n.describeCuts()).toBe("1>2");
  });

  test("isolation cuts both ways with every other node, and only those links", () => {
    const n = net();
    n.isolate(2, [1, 2, 3]);
    for (const [a, b] of [[1, 2], [2, 1], [2, 3], [3, 2]]) expect(n.route(a, b).kind).toBe("cut");
    expect(n.route(1, 3).kind).toBe("delivered");
    expect(n.cutCount).toBe(4);
  });

  test("a partition cuts every link between groups, none inside them; heal reopens all", () => {
    const n = net();
    n.partition([[1, 2], [3, 4, 5]]);
    expect(n.route(1, 2).kind).toBe("delivered");
    expect(n.route(4, 5).kind).toBe("delivered");
    expect(n.route(2, 5).kind).toBe("cut");
    expect(n.route(5, 2).kind).toBe("cut");
    expect(n.cutCount).toBe(2 * 2 * 3);
    n.heal();
    expect(n.cutCount).toBe(0);
    expect(n.route(2, 5).kind).toBe("delivered");
  });

  test("a node's send loss applies to what it sends only, until healed", () => {
    const n = net(3);
    n.setSendLoss(1, 1);
    expect(n.route(1, 2).kind).toBe("lost");
    expect(n.route(2, 1).kind).toBe("delivered");
    n.heal();
    expect(n.route(1, 2).kind).toBe("delivered");
  });
});

describe("weather", () => {
  const stormy = { loss: 0.2, dup: 0.1, delayMinUs: 100, delayMaxUs: 1_000, slow: 0.05, slowMaxUs: 50_000 };

  function fates(seed: number, count: number): Fate[] {
    const n = net(seed, stormy);
    return Array.from({ length: count }, () => n.route(1, 2));
  }

  test("loss, duplication and delays come out near their rates, within their bounds", () => {
    const all = fates(7, 20_000);
    const lost = all.filter((f) => f.kind === "lost").length / all.length;
    const delivered = all.filter((f) => f.kind === "delivered");
    const dups = delivered.filter((f) => f.delays.length === 2).length / delivered.length;
    const delays = delivered.flatMap((f) => f.delays);
    const slow = delays.filter((d) => d > stormy.delayMaxUs).length / delays.length;
    expect(lost).toBeGreaterThan(0.18);
    expect(lost).toBeLessThan(0.22);
    expect(dups).toBeGreaterThan(0.08);
    expect(dups).toBeLessThan(0.12);
    // Slow copies whose extra delay is small stay within delayMax: a bit under 5% shows.
    expect(slow).toBeGreaterThan(0.035);
    expect(slow).toBeLessThan(0.065);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(stormy.delayMinUs);
    expect(Math.max(...delays)).toBeLessThanOrEqual(stormy.delayMaxUs + stormy.slowMaxUs);
  });

  test("the same seed gives the same fates; another seed does not", () => {
    expect(fates(11, 500)).toEqual(fates(11, 500));
    expect(fates(12, 500)).not.toEqual(fates(11, 500));
  });

  test("calm weather loses and duplicates nothing", () => {
    const n = net(5);
    for (let i = 0; i < 1000; i++) {
      const f = n.route(1, 2);
      expect(f.kind === "delivered" && f.delays.length === 1).toBe(true);
    }
  });
});
