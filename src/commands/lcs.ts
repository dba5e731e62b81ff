// LCS: the longest common subsequence of two strings (Redis 7.0), with the classic dynamic
// programming table. The walk back through the table follows Redis's choices (on a tie it
// moves in the second string) so IDX reports the same ranges in the same order.

import { errors } from "../resp/reply.ts";
import { parseInt64 } from "../util/number.ts";
import { Flag, command, type DataContext } from "./types.ts";

/** Bytes per table cell: Redis sizes its uint32 table against proto-max-bulk-len. */
const cellBytes = 4;

interface LcsOptions {
  len: boolean;
  idx: boolean;
  withMatchLen: boolean;
  minMatchLen: number;
}

/** A match found by the walk: [aStart, aEnd, bStart, bEnd]. */
type Range = [number, number, number, number];

function parseOptionsOrReply(ctx: DataContext, argv: readonly string[]): LcsOptions | null {
  const out: LcsOptions = { len: false, idx: false, withMatchLen: false, minMatchLen: 0 };
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j].toLowerCase();
    if (opt === "idx") out.idx = true;
    else if (opt === "len") out.len = true;
    else if (opt === "withmatchlen") out.withMatchLen = true;
    else if (opt === "minmatchlen" && j + 1 < argv.length) {
      const n = parseInt64(argv[++j]);
      if (n === null) {
        ctx.reply.error(errors.notInteger);
        return null;
      }
      // Anything longer than any string is as good as "longer than the strings".
      out.minMatchLen = n < 0n ? 0 : n > 4294967295n ? 4294967296 : Number(n);
    } else {
      ctx.reply.error(errors.syntax);
      return null;
    }
  }
  return out;
}

/** lengths[i * (b.length + 1) + j] = LCS length of a[0..i) and b[0..j). */
function lcsTable(a: string, b: string, table: Uint32Array): void {
  const w = b.length + 1;
  for (let i = 1; i <= a.length; i++) {
    const ca = a.charCodeAt(i - 1);
    const row = i * w;
    const prev = row - w;
    for (let j = 1; j <= b.length; j++) {
      if (ca === b.charCodeAt(j - 1)) table[row + j] = table[prev + j - 1] + 1;
      else {
        const up = table[prev + j];
        const left = table[row + j - 1];
        table[row + j] = up > left ? up : left;
      }
    }
  }
}

function runLcs(ctx: DataContext, argv: string[]): void {
  const va = ctx.db.lookupRead(argv[1], ctx.now);
  const vb = ctx.db.lookupRead(argv[2], ctx.now);
  if ((va !== undefined && typeof va !== "string") || (vb !== undefined && typeof vb !== "string")) {
    ctx.reply.error("ERR The specified keys must contain string values");
    return;
  }
  const a = va ?? "";
  const b = vb ?? "";
  const opts = parseOptionsOrReply(ctx, argv);
  if (opts === null) return;
  if (opts.len && opts.idx) {
    ctx.reply.error("ERR If you want both the length and indexes, please just use IDX.");
    return;
  }
  const cells = (a.length + 1) * (b.length + 1);
  if (cells * cellBytes > ctx.settings.protoMaxBulkLen) {
    ctx.reply.error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    return;
  }
  let table: Uint32Array;
  try {
    table = new Uint32Array(cells);
  } catch {
    ctx.reply.error("ERR Insufficient memory, failed allocating transient memory for LCS");
    return;
  }
  lcsTable(a, b, table);
  const w = b.length + 1;
  const total = table[a.length * w + b.length];
  if (opts.len) {
    ctx.reply.int(total);
    return;
  }
  // Walk back from the end, collecting the subsequence and the contiguous matching ranges.
  const chars: string[] = new Array<string>(total);
  const ranges: Range[] = [];
  const none = a.length; // "no range open", as Redis marks it
  let aStart = none;
  let aEnd = 0;
  let bStart = 0;
  let k = total;
  let i = a.length;
  let j = b.length;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
      chars[k - 1] = a[i - 1];
      if (aStart === none) {
        aStart = i - 1;
        aEnd = i - 1;
        bStart = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        emit = true;
      }
      if (aStart === 0 || bStart === 0) emit = true;
      k--;
      i--;
      j--;
    } else {
      if (table[(i - 1) * w + j] > table[i * w + j - 1]) i--;
      else j--;
      if (aStart !== none) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (opts.minMatchLen === 0 || matchLen >= opts.minMatchLen) ranges.push([aStart, aEnd, bStart, bStart + matchLen - 1]);
      aStart = none;
    }
  }
  if (!opts.idx) {
    ctx.reply.bulk(chars.join(""));
    return;
  }
  const reply = ctx.reply;
  reply.map(2);
  reply.bulk("matches");
  reply.array(ranges.length);
  for (const [as, ae, bs, be] of ranges) {
    reply.array(opts.withMatchLen ? 3 : 2);
    reply.array(2);
    reply.int(as);
    reply.int(ae);
    reply.array(2);
    reply.int(bs);
    reply.int(be);
    if (opts.withMatchLen) reply.int(ae - as + 1);
  }
  reply.bulk("len");
  reply.int(total);
}

export const lcsCommand = command({
  name: "lcs",
  arity: -3,
  flags: Flag.readonly,
  firstKey: 1,
  lastKey: 2,
  group: "string",
  summary: "Find longest common substring",
  since: "7.0.0",
  complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively",
  run: runLcs,
});
