// The list family, as Redis 7.0's t_list.c answers it: the order of argument checks, key
// lookups and type checks decides which error a bad command gets, so each handler follows
// Redis's order. A list that becomes empty is deleted.

import { int64Max } from "../constants.ts";
import { ListValue } from "../engine/types/list.ts";
import { errors } from "../resp/reply.ts";
import { longMin, numkeysPositions, parseLongOrReply, parsePositiveLongOrReply, parseRangeLongOrReply } from "./long-args.ts";
import { lookupOrReply } from "./lookup.ts";
import { Flag, command, type CommandSpec, type DataContext } from "./types.ts";

type End = "left" | "right";

/** getListPositionFromObjectOrReply: LEFT or RIGHT in any case, else a syntax error. */
function parseEndOrReply(ctx: DataContext, text: string): End | null {
  const t = text.toLowerCase();
  if (t === "left" || t === "right") return t;
  ctx.reply.error(errors.syntax);
  return null;
}

function pop(list: ListValue, end: End): string {
  return (end === "left" ? list.popFront() : list.popBack()) as string;
}

/** After removing elements: delete the key when the list is empty, else signal the change. */
function afterRemoval(ctx: DataContext, key: string, list: ListValue): void {
  if (list.size === 0) ctx.db.delete(key);
  else ctx.db.signalModified(key);
}

/** LPUSH, RPUSH, LPUSHX, RPUSHX (Redis's pushGenericCommand). */
function push(ctx: DataContext, argv: string[], end: End, onlyIfExists: boolean): void {
  const key = argv[1];
  let list = lookupOrReply(ctx, key, "list", true);
  if (list === null) return;
  if (list === undefined) {
    if (onlyIfExists) {
      ctx.reply.int(0);
      return;
    }
    list = new ListValue(argv.length - 2);
    for (let i = 2; i < argv.length; i++) pushTo(list, end, argv[i]);
    ctx.db.set(key, list);
  } else {
    for (let i = 2; i < argv.length; i++) pushTo(list, end, argv[i]);
    ctx.db.signalModified(key);
  }
  ctx.reply.int(list.size);
}

function pushTo(list: ListValue, end: End, value: string): void {
  if (end === "left") list.pushFront(value);
  else list.pushBack(value);
}

/** LPOP and RPOP, with the optional count (Redis's popGenericCommand). */
function popCommand(ctx: DataContext, argv: string[], end: End): void {
  if (argv.length > 3) {
    ctx.reply.error(errors.wrongArgs(argv[0].toLowerCase()));
    return;
  }
  const hasCount = argv.length === 3;
  let count = 1;
  if (hasCount) {
    const n = parsePositiveLongOrReply(ctx, argv[2]);
    if (n === null) return;
    count = n;
  }
  const list = lookupOrReply(ctx, argv[1], "list", true);
  if (list === null) return;
  if (list === undefined) {
    if (hasCount) ctx.reply.nullArray();
    else ctx.reply.nullBulk();
    return;
  }
  if (!hasCount) {
    ctx.reply.bulk(pop(list, end));
  } else if (count === 0) {
    ctx.reply.array(0);
    return;
  } else {
    const n = Math.min(count, list.size);
    ctx.reply.array(n);
    for (let i = 0; i < n; i++) ctx.reply.bulk(pop(list, end));
  }
  afterRemoval(ctx, argv[1], list);
}

/** LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]. */
function lmpop(ctx: DataContext, argv: string[]): void {
  const numkeys = parseRangeLongOrReply(ctx, argv[1], 1n, int64Max, "numkeys should be greater than 0");
  if (numkeys === null) return;
  const whereIndex = 2 + numkeys;
  if (whereIndex >= argv.length) {
    ctx.reply.error(errors.syntax);
    return;
  }
  const end = parseEndOrReply(ctx, argv[whereIndex]);
  if (end === null) return;
  let count = -1;
  for (let j = whereIndex + 1; j < argv.length; j++) {
    if (count === -1 && argv[j].toLowerCase() === "count" && j + 1 < argv.length) {
      const n = parseRangeLongOrReply(ctx, argv[++j], 1n, int64Max, "count should be greater than 0");
      if (n === null) return;
      count = n;
    } else {
      ctx.reply.error(errors.syntax);
      return;
    }
  }
  if (count === -1) count = 1;
  for (let k = 0; k < numkeys; k++) {
    const key = argv[2 + k];
    const list = lookupOrReply(ctx, key, "list", true);
    if (list === null) return;
    if (list === undefined) continue;
    const n = Math.min(count, list.size);
    ctx.reply.array(2);
    ctx.reply.bulk(key);
    ctx.reply.array(n);
    for (let i = 0; i < n; i++) ctx.reply.bulk(pop(list, end));
    afterRemoval(ctx, key, list);
    return;
  }
  ctx.reply.nullArray();
}

/** Redis's index normalisation for LRANGE/LTRIM: [start, end] clamped, or null when empty. */
function clampRange(start: number, end: number, length: number): [number, number] | null {
  if (start < 0) start = length + start;
  if (end < 0) end = length + end;
  if (start < 0) start = 0;
  if (start > end || start >= length) return null;
  if (end >= length) end = length - 1;
  return [start, end];
}

function lrange(ctx: DataContext, argv: string[]): void {
  const start = parseLongOrReply(ctx, argv[2]);
  if (start === null) return;
  const end = parseLongOrReply(ctx, argv[3]);
  if (end === null) return;
  const list = lookupOrReply(ctx, argv[1], "list", false);
  if (list === null) return;
  if (list === undefined) {
    ctx.reply.array(0);
    return;
  }
  const range = clampRange(start, end, list.size);
  if (range === null) {
    ctx.reply.array(0);
    return;
  }
  ctx.reply.array(range[1] - range[0] + 1);
  for (let i = range[0]; i <= range[1]; i++) ctx.reply.bulk(list.at(i));
}

function ltrim(ctx: DataContext, argv: string[]): void {
  const start = parseLongOrReply(ctx, argv[2]);
  if (start === null) return;
  const end = parseLongOrReply(ctx, argv[3]);
  if (end === null) return;
  const list = lookupOrReply(ctx, argv[1], "list", true);
  if (list === null) return;
  if (list === undefined) {
    ctx.reply.ok();
    return;
  }
  const range = clampRange(start, end, list.size);
  if (range === null) list.trim(list.size, 0);
  else list.trim(range[0], list.size - 1 - range[1]);
  afterRemoval(ctx, argv[1], list);
  ctx.reply.ok();
}

/** A Redis list index (negative from the tail) as a position, or -1 when out of range. */
function position(index: number, length: number): number {
  const i = index < 0 ? length + index : index;
  return i >= 0 && i < length ? i : -1;
}

function lindex(ctx: DataContext, argv: string[]): void {
  const list = lookupOrReply(ctx, argv[1], "list", false);
  if (list === null) return;
  if (list === undefined) {
    ctx.reply.nullBulk();
    return;
  }
  const index = parseLongOrReply(ctx, argv[2]);
  if (index === null) return;
  const i = position(index, list.size);
  if (i < 0) ctx.reply.nullBulk();
  else ctx.reply.bulk(list.at(i));
}

function lset(ctx: DataContext, argv: string[]): void {
  const list = lookupOrReply(ctx, argv[1], "list", true);
  if (list === null) return;
  if (list === undefined) {
    ctx.reply.error(errors.noSuchKey);
    return;
  }
  const index = parseLongOrReply(ctx, argv[2]);
  if (index === null) return;
  const i = position(index, list.size);
  if (i < 0) {
    ctx.reply.error(errors.outOfRange);
    return;
  }
  list.setAt(i, argv[3]);
  ctx.db.signalModified(argv[1]);
  ctx.reply.ok();
}

function linsert(ctx: DataContext, argv: string[]): void {
  const where = argv[2].toLowerCase();
  if (where !== "before" && where !== "after") {
    ctx.reply.error(errors.syntax);
    return;
  }
  const list = lookupOrReply(ctx, argv[1], "list", true);
  if (list === null) return;
  if (list === undefined) {
    ctx.reply.int(0);
    return;
  }
  const pivot = argv[3];
  for (let i = 0; i < list.size; i++) {
    if (list.at(i) === pivot) {
      list.insertAt(where === "before" ? i : i + 1, argv[4]);
      ctx.db.signalModified(argv[1]);
      ctx.reply.int(list.size);
      return;
    }
  }
  ctx.reply.int(-1);
}

function lrem(ctx: DataContext, argv: string[]): void {
  const count = parseLongOrReply(ctx, argv[2]);
  if (count === null) return;
  const list = lookupOrReply(ctx, argv[1], "list", true);
  if (list === null) return;
  if (list === undefined) {
    ctx.reply.int(0);
    return;
  }
  const element = argv[3];
  // |LONG_MIN| does not fit a C long, but any limit beyond the length removes them all.
  const limit = count === 0 ? 0 : Math.min(Math.abs(count), list.size);
  const removed = list.removeMatching((v) => v === element, limit, count < 0);
  if (removed > 0) afterRemoval(ctx, argv[1], list);
  ctx.reply.int(removed);
}

/** LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]. */
function lpos(ctx: DataContext, argv: string[]): void {
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j].toLowerCase();
    const more = j + 1 < argv.length;
    if (opt === "rank" && more) {
      const r = parseLongOrReply(ctx, argv[++j]);
      if (r === null) return;
      if (r === 0) {
        ctx.reply.error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
        return;
      }
      rank = r;
    } else if (opt === "count" && more) {
      const c = parsePositiveLongOrReply(ctx, argv[++j], "COUNT can't be negative");
      if (c === null) return;
      count = c;
    } else if (opt === "maxlen" && more) {
      const m = parsePositiveLongOrReply(ctx, argv[++j], "MAXLEN can't be negative");
      if (m === null) return;
      maxlen = m;
    } else {
      ctx.reply.error(errors.syntax);
      return;
    }
  }
  const fromTail = rank < 0;
  // In C, -LONG_MIN stays LONG_MIN: every match then qualifies and COUNT never stops the walk.
  const rankMin = rank === longMin;
  if (rankMin) rank = 1;
  else if (fromTail) rank = -rank;
  const list = lookupOrReply(ctx, argv[1], "list", false);
  if (list === null) return;
  if (list === undefined) {
    if (count !== -1) ctx.reply.array(0);
    else ctx.reply.nullBulk();
    return;
  }
  const element = argv[2];
  const n = list.size;
  const found: number[] = [];
  let matches = 0;
  for (let index = 0; index < n && (maxlen === 0 || index < maxlen); index++) {
    const at = fromTail ? n - 1 - index : index;
    if (list.at(at) !== element) continue;
    matches++;
    if (matches < rank) continue;
    found.push(at);
    if (count === -1) break;
    if (count !== 0 && !rankMin && matches - rank + 1 >= count) break;
  }
  if (count !== -1) {
    ctx.reply.array(found.length);
    for (const i of found) ctx.reply.int(i);
  } else if (found.length > 0) {
    ctx.reply.int(found[0]);
  } else {
    ctx.reply.nullBulk();
  }
}

/** LMOVE and RPOPLPUSH (Redis's lmoveGenericCommand). */
function lmove(ctx: DataContext, source: string, destination: string, from: End, to: End): void {
  const src = lookupOrReply(ctx, source, "list", true);
  if (src === null) return;
  if (src === undefined) {
    ctx.reply.nullBulk();
    return;
  }
  const dst = lookupOrReply(ctx, destination, "list", true);
  if (dst === null) return;
  const value = pop(src, from);
  if (dst === undefined) {
    const created = new ListValue();
    created.pushBack(value);
    ctx.db.set(destination, created);
  } else {
    pushTo(dst, to, value);
    ctx.db.signalModified(destination);
  }
  afterRemoval(ctx, source, src);
  ctx.reply.bulk(value);
}

function llen(ctx: DataContext, argv: string[]): void {
  const list = lookupOrReply(ctx, argv[1], "list", false);
  if (list !== null) ctx.reply.int(list === undefined ? 0 : list.size);
}

const oneKey = { firstKey: 1, lastKey: 1, keyStep: 1 } as const;
const pushComplexity = "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.";

export const listCommands: readonly CommandSpec[] = [
  command({
    name: "lpush",
    arity: -3,
    flags: Flag.write | Flag.denyoom | Flag.fast,
    ...oneKey,
    group: "list",
    summary: "Prepend one or multiple elements to a list",
    since: "1.0.0",
    complexity: pushComplexity,
    run: (ctx, argv) => push(ctx, argv, "left", false),
  }),
  command({
    name: "rpush",
    arity: -3,
    flags: Flag.write | Flag.denyoom | Flag.fast,
    ...oneKey,
    group: "list",
    summary: "Append one or multiple elements to a list",
    since: "1.0.0",
    complexity: pushComplexity,
    run: (ctx, argv) => push(ctx, argv, "right", false),
  }),
  command({
    name: "lpushx",
    arity: -3,
    flags: Flag.write | Flag.denyoom | Flag.fast,
    ...oneKey,
    group: "list",
    summary: "Prepend an element to a list, only if the list exists",
    since: "2.2.0",
    complexity: pushComplexity,
    run: (ctx, argv) => push(ctx, argv, "left", true),
  }),
  command({
    name: "rpushx",
    arity: -3,
    flags: Flag.write | Flag.denyoom | Flag.fast,
    ...oneKey,
    group: "list",
    summary: "Append an element to a list, only if the list exists",
    since: "2.2.0",
    complexity: pushComplexity,
    run: (ctx, argv) => push(ctx, argv, "right", true),
  }),
  command({
    name: "lpop",
    arity: -2,
    flags: Flag.write | Flag.fast,
    ...oneKey,
    group: "list",
    summary: "Remove and get the first elements in a list",
    since: "1.0.0",
    complexity: "O(N) where N is the number of elements returned",
    run: (ctx, argv) => popCommand(ctx, argv, "left"),
  }),
  command({
    name: "rpop",
    arity: -2,
    flags: Flag.write | Flag.fast,
    ...oneKey,
    group: "list",
    summary: "Remove and get the last elements in a list",
    since: "1.0.0",
    complexity: "O(N) where N is the number of elements returned",
    run: (ctx, argv) => popCommand(ctx, argv, "right"),
  }),
  command({
    name: "llen",
    arity: 2,
    flags: Flag.readonly | Flag.fast,
    ...oneKey,
    group: "list",
    summary: "Get the length of a list",
    since: "1.0.0",
    complexity: "O(1)",
    run: llen,
  }),
  command({
    name: "lrange",
    arity: 4,
    flags: Flag.readonly,
    ...oneKey,
    group: "list",
    summary: "Get a range of elements from a list",
    since: "1.0.0",
    complexity:
      "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
    run: lrange,
  }),
  command({
    name: "lindex",
    arity: 3,
    flags: Flag.readonly,
    ...oneKey,
    group: "list",
    summary: "Get an element from a list by its index",
    since: "1.0.0",
    complexity: "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).",
    run: lindex,
  }),
  command({
    name: "lset",
    arity: 4,
    flags: Flag.write | Flag.denyoom,
    ...oneKey,
    group: "list",
    summary: "Set the value of an element in a list by its index",
    since: "1.0.0",
    complexity: "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).",
    run: lset,
  }),
  command({
    name: "linsert",
    arity: 5,
    flags: Flag.write | Flag.denyoom,
    ...oneKey,
    group: "list",
    summary: "Insert an element before or after another element in a list",
    since: "2.2.0",
    complexity:
      "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).",
    run: linsert,
  }),
  command({
    name: "lrem",
    arity: 4,
    flags: Flag.write,
    ...oneKey,
    group: "list",
    summary: "Remove elements from a list",
    since: "1.0.0",
    complexity: "O(N+M) where N is the length of the list and M is the number of elements removed.",
    run: lrem,
  }),
  command({
    name: "ltrim",
    arity: 4,
    flags: Flag.write,
    ...oneKey,
    group: "list",
    summary: "Trim a list to the specified range",
    since: "1.0.0",
    complexity: "O(N) where N is the number of elements to be removed by the operation.",
    run: ltrim,
  }),
  command({
    name: "lpos",
    arity: -3,
    flags: Flag.readonly,
    ...oneKey,
    group: "list",
    summary: "Return the index of matching elements on a list",
    since: "6.0.6",
    complexity:
      "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.",
    run: lpos,
  }),
  command({
    name: "lmove",
    arity: 5,
    flags: Flag.write | Flag.denyoom,
    firstKey: 1,
    lastKey: 2,
    keyStep: 1,
    group: "list",
    summary: "Pop an element from a list, push it to another list and return it",
    since: "6.2.0",
    complexity: "O(1)",
    run: (ctx, argv) => {
      const from = parseEndOrReply(ctx, argv[3]);
      if (from === null) return;
      const to = parseEndOrReply(ctx, argv[4]);
      if (to === null) return;
      lmove(ctx, argv[1], argv[2], from, to);
    },
  }),
  command({
    name: "rpoplpush",
    arity: 3,
    flags: Flag.write | Flag.denyoom,
    firstKey: 1,
    lastKey: 2,
    keyStep: 1,
    group: "list",
    summary: "Remove the last element in a list, prepend it to another list and return it",
    since: "1.2.0",
    complexity: "O(1)",
    run: (ctx, argv) => lmove(ctx, argv[1], argv[2], "right", "left"),
  }),
  command({
    name: "lmpop",
    arity: -4,
    flags: Flag.write | Flag.movableKeys,
    keysOf: (argv) => numkeysPositions(argv, 1),
    group: "list",
    summary: "Pop elements from a list",
    since: "7.0.0",
    complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
    run: lmpop,
  }),
];
