// Redis's number parsing and formatting rules (util.c): string2ll, string2ld, "%.17g".

import { int64Max, int64Min } from "../constants.ts";

const intPattern = /^(?:0|-?[1-9][0-9]*)$/;

/**
 * Redis's string2ll: the whole string is a decimal int64 without '+', spaces or leading
 * zeros. Returns a bigint so the full int64 range is exact, or null.
 */
export function parseInt64(s: string): bigint | null {
  if (s.length === 0 || s.length > 20 || !intPattern.test(s)) return null;
  const v = BigInt(s);
  if (v > int64Max || v < int64Min) return null;
  return v;
}

/** parseInt64 narrowed to a safe JS integer (for counts, indexes, offsets), or null. */
export function parseSafeInt(s: string): number | null {
  if (s.length <= 15) {
    if (!intPattern.test(s)) return null;
    return Number(s);
  }
  const v = parseInt64(s);
  if (v === null) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

const floatPattern = /^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity)$/i;
const hexFloatPattern = /^[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?$/;

/**
 * Redis's string2d (strtod on the whole string, no spaces, no NaN). Hex floats are accepted
 * as strtod does. Returns null when the text is not a number.
 */
export function parseDouble(s: string): number | null {
  if (s.length === 0 || s.length > 5000) return null;
  const c0 = s.charCodeAt(0);
  if (c0 === 32 || (c0 >= 9 && c0 <= 13)) return null;
  if (floatPattern.test(s)) {
    const lower = s.toLowerCase();
    if (lower.endsWith("inf") || lower.endsWith("infinity")) {
      return lower.startsWith("-") ? -Infinity : Infinity;
    }
    const v = Number(s);
    if (Number.isNaN(v)) return null;
    // strtod's ERANGE, which string2d rejects: overflow to ±inf, or underflow of a non-zero
    // mantissa to zero (a subnormal result is accepted).
    if (!Number.isFinite(v)) return null;
    if (v === 0 && /[1-9]/.test(s.split(/[eE]/)[0])) return null;
    return v;
  }
  if (hexFloatPattern.test(s)) return parseHexFloat(s);
  return null;
}

function parseHexFloat(s: string): number {
  let i = 0;
  let sign = 1;
  if (s[0] === "+" || s[0] === "-") {
    sign = s[0] === "-" ? -1 : 1;
    i = 1;
  }
  i += 2; // 0x
  let mantissa = 0;
  let exp = 0;
  let seenDot = false;
  for (; i < s.length; i++) {
    const ch = s[i];
    if (ch === ".") {
      seenDot = true;
      continue;
    }
    if (ch === "p" || ch === "P") {
      exp += Number(s.slice(i + 1));
      break;
    }
    mantissa = mantissa * 16 + parseInt(ch, 16);
    if (seenDot) exp -= 4;
  }
  return sign * mantissa * 2 ** exp;
}

/** printf("%.17g", d): the way Redis 7.0 prints doubles (scores, RESP3 doubles). */
export function formatDouble17g(d: number): string {
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  if (Number.isNaN(d)) return "nan";
  if (d === 0) return Object.is(d, -0) ? "-0" : "0";
  // Fast path: below 2^53 an integer's shortest digits are all its digits, as %.17g prints them.
  if (Number.isSafeInteger(d)) return String(d);
  const [mant, expText] = d.toExponential(16).split("e");
  const exp = Number(expText);
  const negative = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", ""); // 17 significant digits
  let out: string;
  if (exp < -4 || exp >= 17) {
    let frac = digits.slice(1).replace(/0+$/, "");
    frac = frac.length > 0 ? `.${frac}` : "";
    const e = Math.abs(exp);
    out = `${digits[0]}${frac}e${exp < 0 ? "-" : "+"}${e < 10 ? "0" : ""}${e}`;
  } else if (exp >= 0) {
    const intPart = digits.slice(0, exp + 1);
    const frac = digits.slice(exp + 1).replace(/0+$/, "");
    out = frac.length > 0 ? `${intPart}.${frac}` : intPart;
  } else {
    const frac = ("0".repeat(-exp - 1) + digits).replace(/0+$/, "");
    out = `0.${frac}`;
  }
  return negative ? `-${out}` : out;
}

/** A JS number that is an integer within int64, printed exactly (no exponent). */
export function formatInteger(n: number | bigint): string {
  return typeof n === "bigint" ? n.toString() : Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
}
