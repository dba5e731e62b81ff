// Redis's glob matcher (util.c stringmatchlen): `*`, `?`, `[abc]`, `[^a-z]`, `\x` escapes,
// on binary strings. Used by KEYS, SCAN MATCH, CONFIG GET and CLIENT LIST filters.

/** Nesting limit for `*`, as Redis (stringmatchlen_impl's nesting guard). */
const maxNesting = 1000;

export function globMatch(pattern: string, subject: string, nocase = false): boolean {
  const skipLongerMatches = { value: false };
  return matchAt(pattern, 0, subject, 0, nocase, skipLongerMatches, 0);
}

function fold(c: number, nocase: boolean): number {
  return nocase && c >= 65 && c <= 90 ? c + 32 : c;
}

function matchAt(
  p: string,
  pi: number,
  s: string,
  si: number,
  nocase: boolean,
  skipLongerMatches: { value: boolean },
  nesting: number,
): boolean {
  if (nesting > maxNesting) return false;
  while (pi < p.length && si < s.length) {
    const pc = p.charCodeAt(pi);
    switch (pc) {
      case 42 /* * */: {
        while (pi + 1 < p.length && p.charCodeAt(pi + 1) === 42) pi++;
        if (pi + 1 === p.length) return true;
        while (si < s.length) {
          if (matchAt(p, pi + 1, s, si, nocase, skipLongerMatches, nesting + 1)) return true;
          if (skipLongerMatches.value) return false;
          si++;
        }
        // No match for the rest of the pattern at any later position: no longer subject
        // can match either (Redis's skipLongerMatches optimisation).
        skipLongerMatches.value = true;
        return false;
      }
      case 63 /* ? */:
        si++;
        break;
      case 91 /* [ */: {
        pi++;
        const not = p.charCodeAt(pi) === 94; /* ^ */
        if (not) pi++;
        let match = false;
        for (;;) {
          if (pi >= p.length) {
            pi--;
            break;
          }
          const c = p.charCodeAt(pi);
          if (c === 92 /* \ */ && pi + 1 < p.length) {
            pi++;
            if (p.charCodeAt(pi) === s.charCodeAt(si)) match = true;
          } else if (c === 93 /* ] */) {
            break;
          } else if (pi + 2 < p.length && p.charCodeAt(pi + 1) === 45 /* - */) {
            let start = p.charCodeAt(pi);
            let end = p.charCodeAt(pi + 2);
            let ch = s.charCodeAt(si);
            if (start > end) [start, end] = [end, start];
            if (nocase) {
              start = fold(start, true);
              end = fold(end, true);
              ch = fold(ch, true);
            }
            pi += 2;
            if (ch >= start && ch <= end) match = true;
          } else if (fold(c, nocase) === fold(s.charCodeAt(si), nocase)) {
            match = true;
          }
          pi++;
        }
        if (not) match = !match;
        if (!match) return false;
        si++;
        break;
      }
      default:
        // A backslash escapes the next character, which is then compared literally.
        if (pc === 92 /* \ */ && pi + 1 < p.length) pi++;
        if (fold(p.charCodeAt(pi), nocase) !== fold(s.charCodeAt(si), nocase)) return false;
        si++;
        break;
    }
    pi++;
    if (si === s.length) {
      while (pi < p.length && p.charCodeAt(pi) === 42) pi++;
      break;
    }
  }
  return pi === p.length && si === s.length;
}
