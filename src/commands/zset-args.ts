// Arguments and reply pieces shared by the sorted-set commands: score intervals (`(1.5`,
// `-inf`), lex intervals (`[a`, `(a`, `-`, `+`), and members with scores in RESP2 (flat) or
// RESP3 (pairs, scores as doubles).

import type { LexBound, LexRange, ScoreRange } from "../engine/types/zset-range.ts";
import type { Reply } from "../resp/reply.ts";

/** C's isspace for the "C" locale. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

const decimalPrefix = /^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/;
const hexPrefix = /^0[xX](?:([0-9a-fA-F]+)(?:\.([0-9a-fA-F]*))?|\.([0-9a-fA-F]+))(?:[pP]([+-]?[0-9]+))?/;

/**
 * `strtod(s, &end)` followed by Redis's `*end == '\0'` check, as zslParseRange does it: the C
 * string stops at the first NUL, leading whitespace is skipped, "" converts to 0 (no digits, but
 * the end pointer is at the terminator), overflow gives ±inf. Returns null when something is
 * left over or the value is NaN.
 */
export function strtodWhole(text: string): number | null {
  const nul = text.indexOf("\0");
  const s = nul >= 0 ? text.slice(0, nul) : text;
  let i = 0;
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  let sign = 1;
  if (s[i] === "+" || s[i] === "-") {
    if (s[i] === "-") sign = -1;
    i++;
  }
  const rest = s.slice(i);
  const lower = rest.slice(0, 8).toLowerCase();
  if (lower.startsWith("inf")) {
    const len = lower === "infinity" ? 8 : 3;
    return i + len === s.length ? sign * Infinity : null;
  }
  if (lower.startsWith("nan")) return null;
  const hex = hexPrefix.exec(rest);
  if (hex !== null) {
    if (i + hex[0].length !== s.length) return null;
    const intDigits = hex[1] ?? "";
    const fracDigits = hex[2] ?? hex[3] ?? "";
    let mantissa = 0;
    for (const d of intDigits + fracDigits) mantissa = mantissa * 16 + parseInt(d, 16);
    const exp = (hex[4] === undefined ? 0 : Number(hex[4])) - 4 * fracDigits.length;
    return sign * mantissa * 2 ** exp;
  }
  const dec = decimalPrefix.exec(rest);
  if (dec === null) return s.length === 0 ? 0 : null; // no conversion: end stays at the start
  if (i + dec[0].length !== s.length) return null;
  return sign * Number(dec[0]);
}

/** Redis's zslParseRange: `[(]number` twice; null when either is not a float. */
export function parseScoreRange(minText: string, maxText: string): ScoreRange | null {
  const minExclusive = minText.startsWith("(");
  const maxExclusive = maxText.startsWith("(");
  const min = strtodWhole(minExclusive ? minText.slice(1) : minText);
  const max = strtodWhole(maxExclusive ? maxText.slice(1) : maxText);
  if (min === null || max === null) return null;
  return { min, max, minExclusive, maxExclusive };
}

/** Redis's zslParseLexRangeItem: `-`, `+`, `(member` or `[member`. */
function parseLexBound(text: string): LexBound | null {
  // Redis reads the item as a C string for `-` and `+`: "+\0..." is still `+`.
  const c0 = text[0];
  if (c0 === "+" || c0 === "-") {
    if (text.length > 1 && text[1] !== "\0") return null;
    return { inf: c0 === "+" ? 1 : -1, value: "", exclusive: true };
  }
  if (c0 === "(" || c0 === "[") return { inf: 0, value: text.slice(1), exclusive: c0 === "(" };
  return null;
}

export function parseLexRange(minText: string, maxText: string): LexRange | null {
  const min = parseLexBound(minText);
  const max = parseLexBound(maxText);
  return min === null || max === null ? null : { min, max };
}

export const notFloatRange = "ERR min or max is not a float";
export const notLexRange = "ERR min or max not valid string range item";

/**
 * One member of a reply that may carry scores: RESP3 with scores sends [member, score] pairs
 * (`nested`), RESP2 sends member then score flat.
 */
export function replyMember(reply: Reply, member: string, score: number, withScores: boolean, nested: boolean): void {
  if (withScores && nested) reply.array(2);
  reply.bulk(member);
  if (withScores) reply.double(score);
}

/** Array length for `n` members: doubled for RESP2 with scores. */
export function membersArrayLength(reply: Reply, n: number, withScores: boolean): number {
  return withScores && reply.resp === 2 ? n * 2 : n;
}
