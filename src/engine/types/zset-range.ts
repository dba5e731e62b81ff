// Score and lex intervals of the sorted-set commands (`(1.5`, `-inf`, `[a`, `-`, `+`) and
// their tests, as Redis's zrangespec and zlexrangespec.

/** A score interval; `minExclusive` is `(min`, otherwise `[min`. */
export interface ScoreRange {
  readonly min: number;
  readonly max: number;
  readonly minExclusive: boolean;
  readonly maxExclusive: boolean;
}

/** One end of a lex interval: `-` (inf -1), `+` (inf 1), or a member, `[` or `(`. */
export interface LexBound {
  readonly inf: -1 | 0 | 1;
  readonly value: string;
  readonly exclusive: boolean;
}

export interface LexRange {
  readonly min: LexBound;
  readonly max: LexBound;
}

export function scoreGteMin(score: number, r: ScoreRange): boolean {
  return r.minExclusive ? score > r.min : score >= r.min;
}

export function scoreLteMax(score: number, r: ScoreRange): boolean {
  return r.maxExclusive ? score < r.max : score <= r.max;
}

/** True when no score can be in the range (Redis tests this before any lookup). */
export function scoreRangeEmpty(r: ScoreRange): boolean {
  return r.min > r.max || (r.min === r.max && (r.minExclusive || r.maxExclusive));
}

/** member compared with a bound: -1, 0 or 1. */
function compareLex(member: string, b: LexBound): number {
  if (b.inf !== 0) return -b.inf;
  return member < b.value ? -1 : member > b.value ? 1 : 0;
}

/** Two bounds compared (Redis's sdscmplex): `-` equals `-`, and is below everything else. */
function compareBounds(a: LexBound, b: LexBound): number {
  if (a.inf !== 0 || b.inf !== 0) return a.inf === b.inf ? 0 : a.inf < b.inf ? -1 : 1;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

export function lexGteMin(member: string, r: LexRange): boolean {
  const c = compareLex(member, r.min);
  return r.min.exclusive ? c > 0 : c >= 0;
}

export function lexLteMax(member: string, r: LexRange): boolean {
  const c = compareLex(member, r.max);
  return r.max.exclusive ? c < 0 : c <= 0;
}

export function lexRangeEmpty(r: LexRange): boolean {
  const c = compareBounds(r.min, r.max);
  return c > 0 || (c === 0 && (r.min.exclusive || r.max.exclusive));
}
