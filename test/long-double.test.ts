// The x87 80-bit long double emulation behind INCRBYFLOAT. Expected answers were produced by
// a C program doing what Redis 7.0 does (string2ld, `x + y` in long double, "%.17Lf" then
// trailing zeros stripped) with gcc/glibc on x86-64.

import { describe, expect, test } from "bun:test";
import { Rng } from "../src/engine/rng.ts";
import { addLongDouble, formatLongDoubleHuman, parseLongDouble, type LongDouble } from "../src/util/long-double.ts";

/** What INCRBYFLOAT would store: INVALID (not a valid float), NANINF, or the printed sum. */
function incr(a: string, b: string): string {
  const x = parseLongDouble(a);
  const y = parseLongDouble(b);
  if (x === null || y === null) return "INVALID";
  const z = addLongDouble(x, y);
  if (z === null || z.kind === "infinite") return "NANINF";
  return formatLongDoubleHuman(z);
}

const vectors: readonly (readonly [string, string, string])[] = [
  ["0.1", "0.2", "0.3"],
  ["1.1", "2.2", "3.3"],
  // Exact ties in the 18th fraction digit round to even.
  ["0.000003814697265625", "0", "0.00000381469726562"],
  ["0.000003814697265635", "0", "0.00000381469726563"],
  ["10.5", "-10.5", "0"],
  ["-0.0", "-0", "0"],
  ["-0.000000000000000001", "0", "0"],
  ["0.000000000000000005", "0", "0"],
  ["0.000000000000000015", "0", "0.00000000000000002"],
  ["5.0e3", "0.0001", "5000.00010000000000021"],
  ["1e30", "1", "1000000000000000000024696061952"],
  ["9223372036854775807", "1", "9223372036854775808"],
  ["18446744073709551615", "0", "18446744073709551615"],
  ["18446744073709551617", "0", "18446744073709551616"],
  ["0x1.8p1", "0x.8p-1", "3.25"],
  ["0x1p-16445", "0", "0"],
  ["1e-4950", "0", "0"],
  ["1e-4952", "0", "INVALID"],
  ["1e4932", "1e4932", "NANINF"],
  ["inf", "1", "NANINF"],
  ["inf", "-inf", "NANINF"],
  ["nan", "1", "INVALID"],
  [" 1", "1", "INVALID"],
  ["1 ", "1", "INVALID"],
  ["1e", "1", "INVALID"],
  ["", "1", "INVALID"],
  ["3.0000000000000000001", "0", "3"],
  ["-1.5", "1.5", "0"],
  ["123456789012345678901234567890", "-123456789012345678901234567889", "0"],
  ["0.30000000000000000001", "-0.1", "0.2"],
  ["1e-17", "1e-17", "0.00000000000000002"],
  ["4.999999999999999999e-18", "0", "0"],
];

describe("long double", () => {
  test.each(vectors)("%p + %p", (a, b, expected) => {
    expect(incr(a, b)).toBe(expected);
  });

  test("the largest finite value prints in full", () => {
    const out = incr("1.18973149535723176502e4932", "0");
    expect(out.length).toBe(4933);
    expect(out.startsWith("118973149535723176502126385303097020516906332229462420044032373389173700552297072261641029")).toBe(true);
    expect(out.endsWith("688837777258648564145934262121086647588489260031762345960769508849149662444156604419552086811989770240")).toBe(true);
    expect(incr("1.18973149535723176509e4932", "0")).toBe("INVALID");
  });

  test("parsing rejects what string2ld rejects", () => {
    for (const bad of ["", " 1", "1 ", "+", "-", ".", "1e", "1e+", "0x", "0x1p", "nan", "-nan", "infinit", "1.2.3", "1\u00002", "x".repeat(10), "1".repeat(5120), "1".repeat(5000)]) {
      expect(parseLongDouble(bad)).toBeNull();
    }
    for (const good of ["0", "-0", "+5", "1.", ".5", "0x10", "0X.8P-1", "inf", "-Infinity", `0.${"1".repeat(5117)}`, "0e999999999999"]) {
      expect(parseLongDouble(good)).not.toBeNull();
    }
  });

  test("agrees with exact arithmetic on dyadic values a JS double holds exactly", () => {
    const rng = new Rng(12345);
    for (let i = 0; i < 2000; i++) {
      const a = (rng.nextU32() - 2 ** 31) / 1024;
      const b = (rng.nextU32() - 2 ** 31) / 4096;
      const sum = a + b; // exact: both fit in 53 bits with room to spare
      const x = parseLongDouble(a.toFixed(12)) as LongDouble;
      const y = parseLongDouble(b.toFixed(12)) as LongDouble;
      const z = addLongDouble(x, y) as LongDouble;
      // Every dyadic fraction with <= 12 fraction bits prints exactly within 17 digits.
      expect(formatLongDoubleHuman(z)).toBe(sum === 0 ? "0" : sum.toFixed(12).replace(/\.?0+$/, ""));
    }
  });

  test("x - x is +0 and prints 0", () => {
    const x = parseLongDouble("-3.75") as LongDouble;
    const y = parseLongDouble("3.75") as LongDouble;
    expect(formatLongDoubleHuman(addLongDouble(x, y) as LongDouble)).toBe("0");
  });
});
