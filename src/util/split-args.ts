// Redis's sdssplitargs: splits an inline command line (or a config file line) into arguments,
// honouring "double quotes" with \n \r \t \b \a \xHH escapes and 'single quotes' with \'.
// Returns null on unbalanced quotes or a closing quote not followed by a space.

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const escapes: Record<string, string> = { n: "\n", r: "\r", t: "\t", b: "\b", a: "\x07" };

export function splitArgs(line: string): string[] | null {
  const args: string[] = [];
  // Like C, the line ends at its first NUL byte.
  const nul = line.indexOf("\0");
  const end = nul < 0 ? line.length : nul;
  let p = 0;
  for (;;) {
    while (p < end && isSpace(line.charCodeAt(p))) p++;
    if (p >= end) return args;
    let current = "";
    let inDouble = false;
    let inSingle = false;
    for (let done = false; !done; ) {
      const c = p < end ? line[p] : "";
      const next = p + 1 < end ? line[p + 1] : "";
      if (inDouble) {
        if (c === "\\" && next === "x" && p + 3 < end && hexValue(line.charCodeAt(p + 2)) >= 0 && hexValue(line.charCodeAt(p + 3)) >= 0) {
          current += String.fromCharCode(hexValue(line.charCodeAt(p + 2)) * 16 + hexValue(line.charCodeAt(p + 3)));
          p += 3;
        } else if (c === "\\" && next !== "") {
          p++;
          current += escapes[next] ?? next;
        } else if (c === '"') {
          if (next !== "" && !isSpace(next.charCodeAt(0))) return null;
          done = true;
        } else if (c === "") {
          return null;
        } else {
          current += c;
        }
      } else if (inSingle) {
        if (c === "\\" && next === "'") {
          p++;
          current += "'";
        } else if (c === "'") {
          if (next !== "" && !isSpace(next.charCodeAt(0))) return null;
          done = true;
        } else if (c === "") {
          return null;
        } else {
          current += c;
        }
      } else if (c === "" || c === " " || c === "\n" || c === "\r" || c === "\t") {
        done = true;
      } else if (c === '"') {
        inDouble = true;
      } else if (c === "'") {
        inSingle = true;
      } else {
        current += c;
      }
      if (p < end) p++;
    }
    args.push(current);
  }
}
