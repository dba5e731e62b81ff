// Redis 7.0 computes INCRBYFLOAT in C `long double`, which on x86-64 is the x87 80-bit
// extended format: a 64-bit significand (explicit integer bit) and a 15-bit exponent. A JS
// double answers differently (0.1 then +0.2 gives 0.30000000000000004, Redis says 0.3), so
// this module emulates that format exactly with BigInt: strtold's parsing (correctly rounded,
// ties to even), x87 addition (exact sum, then rounded) and glibc's "%.17Lf" printing (the
// exact decimal expansion, rounded to 17 fraction digits, ties to even).

/** A finite value: (-1)^negative × mant × 2^exp. */
export interface FiniteLongDouble {
  readonly kind: "finite";
  readonly negative: boolean;
  /**
   * < 2^64. When exp > expMin it is normalized (>= 2^63); at expMin it may be smaller
   * (subnormals, zero).
   */
  readonly mant: bigint;
  readonly exp: number;
}

export interface InfiniteLongDouble {
  readonly kind: "infinite";
  readonly negative: boolean;
}

export type LongDouble = FiniteLongDouble | InfiniteLongDouble;

/** Significand width of the x87 extended format. */
const mantBits = 64;
/** Exponent of the last significand bit of the smallest normal and of every subnormal (2^-16382 / 2^63). */
const expMin = -16445;
/** Exponent of the last significand bit of the largest finite value, (2^64 - 1) × 2^16320. */
const expMax = 16320;
/** Redis's MAX_LONG_DOUBLE_CHARS: string2ld refuses strings of this length or longer. */
export const longDoubleMaxChars = 5 * 1024;
/** Decimal exponents beyond these bounds (of the leading digit) are certainly out of range. */
const decimalExpOverflow = 4940;
const decimalExpUnderflow = -4960;
/** Exponent text longer than this saturates: it over- or underflows whatever the digits are. */
const exponentDigitsMax = 9;

const decimalPattern = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const hexPattern = /^[+-]?0[xX](?:[0-9a-fA-F]+(?:\.[0-9a-fA-F]*)?|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?$/;
const infinityPattern = /^[+-]?(?:inf|infinity)$/i;

function zero(negative: boolean): FiniteLongDouble {
  return { kind: "finite", negative, mant: 0n, exp: expMin };
}

function infinity(negative: boolean): InfiniteLongDouble {
  return { kind: "infinite", negative };
}

/** Number of bits of a positive bigint. */
function bitLength(n: bigint): number {
  const hex = n.toString(16);
  const lead = parseInt(hex[0], 16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(lead));
}

/**
 * num / den × 2^exp2, rounded to the nearest long double (ties to even), with gradual
 * underflow and overflow to infinity. num >= 0, den > 0.
 */
function roundRational(negative: boolean, num: bigint, den: bigint, exp2: number): LongDouble {
  if (num === 0n) return zero(negative);
  // Scale so the integer quotient has at least 66 bits: 64 kept, one rounding bit, and more.
  const scale = mantBits + 2 - (bitLength(num) - bitLength(den));
  let n = num;
  let d = den;
  if (scale > 0) n <<= BigInt(scale);
  else if (scale < 0) d <<= BigInt(-scale);
  const q = n / d;
  const sticky = n % d !== 0n;
  let exp = exp2 - scale; // value ≈ q × 2^exp
  let shift = bitLength(q) - mantBits;
  if (exp + shift < expMin) shift = expMin - exp; // subnormal: fewer significant bits
  const bigShift = BigInt(shift);
  let mant = q >> bigShift;
  const rest = q - (mant << bigShift);
  const half = 1n << (bigShift - 1n);
  if (rest > half || (rest === half && (sticky || (mant & 1n) === 1n))) mant += 1n;
  exp += shift;
  if (mant === 1n << BigInt(mantBits)) {
    mant >>= 1n;
    exp += 1;
  }
  if (exp > expMax) return infinity(negative);
  if (mant === 0n) return zero(negative);
  return { kind: "finite", negative, mant, exp };
}

/** A decimal exponent's text as a number, saturated far beyond any representable range. */
function parseExponent(text: string): number {
  const negative = text.startsWith("-");
  const digits = text.replace(/^[+-]/, "").replace(/^0+/, "");
  if (digits.length > exponentDigitsMax) return negative ? -1e9 : 1e9;
  const v = digits.length === 0 ? 0 : Number(digits);
  return negative ? -v : v;
}

/**
 * Redis's string2ld: the whole string must be what strtold reads (no leading space, no NaN,
 * no overflow, no underflow to zero, shorter than 5 KiB). Hex floats and "inf" are accepted,
 * as strtold accepts them. Returns null when the text is not a valid float.
 */
export function parseLongDouble(text: string): LongDouble | null {
  if (text.length === 0 || text.length >= longDoubleMaxChars) return null;
  const negative = text.charCodeAt(0) === 45; // '-'
  if (infinityPattern.test(text)) return infinity(negative);
  let result: LongDouble;
  if (decimalPattern.test(text)) {
    const body = text.replace(/^[+-]/, "");
    const eAt = body.search(/[eE]/);
    const mantissa = eAt < 0 ? body : body.slice(0, eAt);
    let exp10 = eAt < 0 ? 0 : parseExponent(body.slice(eAt + 1));
    const dot = mantissa.indexOf(".");
    const intDigits = dot < 0 ? mantissa : mantissa.slice(0, dot);
    const fracDigits = dot < 0 ? "" : mantissa.slice(dot + 1);
    exp10 -= fracDigits.length;
    let digits = (intDigits + fracDigits).replace(/^0+/, "");
    if (digits.length === 0) return zero(negative);
    const trimmed = digits.replace(/0+$/, "");
    exp10 += digits.length - trimmed.length;
    digits = trimmed;
    const leadExp = digits.length - 1 + exp10;
    if (leadExp > decimalExpOverflow || leadExp < decimalExpUnderflow) return null;
    const n = BigInt(digits);
    result = exp10 >= 0 ? roundRational(negative, n * 10n ** BigInt(exp10), 1n, 0) : roundRational(negative, n, 10n ** BigInt(-exp10), 0);
  } else if (hexPattern.test(text)) {
    const body = text.replace(/^[+-]/, "").slice(2);
    const pAt = body.search(/[pP]/);
    const mantissa = pAt < 0 ? body : body.slice(0, pAt);
    let exp2 = pAt < 0 ? 0 : parseExponent(body.slice(pAt + 1));
    const dot = mantissa.indexOf(".");
    const intDigits = dot < 0 ? mantissa : mantissa.slice(0, dot);
    const fracDigits = dot < 0 ? "" : mantissa.slice(dot + 1);
    exp2 -= 4 * fracDigits.length;
    const digits = (intDigits + fracDigits).replace(/^0+/, "");
    if (digits.length === 0) return zero(negative);
    const n = BigInt(`0x${digits}`);
    const lead = bitLength(n) + exp2;
    if (lead > expMax + mantBits + 2) return null;
    if (lead < expMin - 2) return null;
    result = roundRational(negative, n, 1n, exp2);
  } else {
    return null;
  }
  // strtold reports overflow (ERANGE, ±HUGE_VALL) and underflow to zero; Redis refuses both.
  if (result.kind === "infinite") return null;
  if (result.mant === 0n) return null;
  return result;
}

/** a + b as the x87 computes it (exact sum rounded to nearest, ties to even); null for NaN. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | null {
  if (a.kind === "infinite" || b.kind === "infinite") {
    if (a.kind === "infinite" && b.kind === "infinite" && a.negative !== b.negative) return null;
    return a.kind === "infinite" ? a : b;
  }
  if (a.mant === 0n && b.mant === 0n) return zero(a.negative && b.negative);
  const exp = Math.min(a.exp, b.exp);
  const sa = a.mant << BigInt(a.exp - exp);
  const sb = b.mant << BigInt(b.exp - exp);
  const sum = (a.negative ? -sa : sa) + (b.negative ? -sb : sb);
  if (sum === 0n) return zero(false); // x - x is +0 when rounding to nearest
  return roundRational(sum < 0n, sum < 0n ? -sum : sum, 1n, exp);
}

const fractionDigits = 17;
const fractionScale = 10n ** BigInt(fractionDigits);

/**
 * Redis's ld2string in LD_STR_HUMAN mode: printf("%.17Lf") (the exact value rounded to 17
 * fraction digits, ties to even), trailing zeros and a trailing '.' removed, "-0" → "0".
 */
export function formatLongDoubleHuman(v: LongDouble): string {
  if (v.kind === "infinite") return v.negative ? "-inf" : "inf";
  let text: string;
  if (v.exp >= 0) {
    text = (v.mant << BigInt(v.exp)).toString();
  } else {
    const shift = BigInt(-v.exp);
    const scaled = v.mant * fractionScale;
    let q = scaled >> shift;
    const rest = scaled - (q << shift);
    const half = 1n << (shift - 1n);
    if (rest > half || (rest === half && (q & 1n) === 1n)) q += 1n;
    const intPart = (q / fractionScale).toString();
    const frac = (q % fractionScale).toString().padStart(fractionDigits, "0").replace(/0+$/, "");
    text = frac.length > 0 ? `${intPart}.${frac}` : intPart;
  }
  if (!v.negative) return text;
  return text === "0" ? "0" : `-${text}`;
}
