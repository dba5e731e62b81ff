// The sets family (Redis's t_set.c): Redis 7.0's order of checks, error texts and RESP3 shapes
// (SMEMBERS, SINTER, SUNION, SDIFF and SPOP with a count reply sets). Random picks (SPOP,
// SRANDMEMBER) come from ctx.rng. Results built by the set operations start as intsets, as
// Redis's do, so their order and encoding follow Redis's rules.

import { int64Max, randomCountRepliesMax } from "../constants.ts";
import { SetValue } from "../engine/types/set.ts";
import { errors } from "../resp/reply.ts";
import { numkeysPositions, parsePositiveLongOrReply, parseRangeLongOrReply } from "./long-args.ts";
import { lookupOrReply, removeMembersAndReply } from "./lookup.ts";
import { parseScanOrReply, replyScan, scanMatches } from "./scan.ts";
import { Flag, command, type CommandSpec, type DataContext } from "./types.ts";

/** SPOP_MOVE_STRATEGY_MUL: SPOP with a count rebuilds the set when few members remain. */
const spopMoveStrategyMul = 5;
/** SRANDMEMBER_SUB_STRATEGY_MUL: SRANDMEMBER copies the set when asked for most of it. */
const srandmemberSubStrategyMul = 3;

function sadd(ctx: DataContext, argv: string[]): void {
  const found = lookupOrReply(ctx, argv[1], "set", true);
  if (found === null) return;
  const set = found ?? SetValue.forFirstMember(argv[2]);
  let added = 0;
  for (let i = 2; i < argv.length; i++) if (set.add(argv[i], ctx.settings)) added++;
  if (found === undefined) ctx.db.set(argv[1], set);
  else if (added > 0) ctx.db.signalModified(argv[1]);
  ctx.reply.int(added);
}

function srem(ctx: DataContext, argv: string[]): void {
  removeMembersAndReply(ctx, argv, "set", (set, member) => set.remove(member));
}

function sismember(ctx: DataContext, argv: string[]): void {
  const set = lookupOrReply(ctx, argv[1], "set", false);
  if (set === null) return;
  ctx.reply.int(set?.has(argv[2]) === true ? 1 : 0);
}

function smismember(ctx: DataContext, argv: string[]): void {
  const set = lookupOrReply(ctx, argv[1], "set", false);
  if (set === null) return;
  ctx.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) ctx.reply.int(set?.has(argv[i]) === true ? 1 : 0);
}

function scard(ctx: DataContext, argv: string[]): void {
  const set = lookupOrReply(ctx, argv[1], "set", false);
  if (set === null) return;
  ctx.reply.int(set?.size ?? 0);
}

/** SMOVE source destination member. */
function smove(ctx: DataContext, argv: string[]): void {
  const [, srcKey, dstKey, member] = argv;
  const src = ctx.db.lookupWrite(srcKey, ctx.now);
  const dst = ctx.db.lookupWrite(dstKey, ctx.now);
  if (src === undefined) {
    ctx.reply.int(0);
    return;
  }
  if (!(src instanceof SetValue) || (dst !== undefined && !(dst instanceof SetValue))) {
    ctx.reply.error(errors.wrongType);
    return;
  }
  if (srcKey === dstKey) {
    ctx.reply.int(src.has(member) ? 1 : 0);
    return;
  }
  if (!src.remove(member)) {
    ctx.reply.int(0);
    return;
  }
  if (src.size === 0) ctx.db.delete(srcKey);
  else ctx.db.signalModified(srcKey);
  if (dst === undefined) {
    const created = SetValue.forFirstMember(member);
    created.add(member, ctx.settings);
    ctx.db.set(dstKey, created);
  } else if (dst.add(member, ctx.settings)) {
    ctx.db.signalModified(dstKey);
  }
  ctx.reply.int(1);
}

/** The sets at `keys` (undefined for missing ones), or null after replying WRONGTYPE. */
function lookupSetsOrReply(ctx: DataContext, keys: readonly string[]): (SetValue | undefined)[] | null {
  const sets: (SetValue | undefined)[] = [];
  for (const key of keys) {
    const set = lookupOrReply(ctx, key, "set", false);
    if (set === null) return null;
    sets.push(set);
  }
  return sets;
}

/** Stores a STORE command's result (or deletes the destination when empty) and replies its size. */
function storeResult(ctx: DataContext, dstKey: string, result: SetValue): void {
  if (result.size > 0) {
    ctx.db.set(dstKey, result);
  } else {
    ctx.db.delete(dstKey);
  }
  ctx.reply.int(result.size);
}

/**
 * Redis's sinterGenericCommand: SINTER (dst null, limit unused), SINTERSTORE (dst) and
 * SINTERCARD (cardinalityOnly, limit 0 = none). The smallest set is walked in its own order.
 */
function sinterGeneric(ctx: DataContext, keys: readonly string[], dstKey: string | null, cardinalityOnly: boolean, limit: number): void {
  const found = lookupSetsOrReply(ctx, keys);
  if (found === null) return;
  if (found.some((s) => s === undefined)) {
    if (dstKey !== null) {
      ctx.db.delete(dstKey);
      ctx.reply.int(0);
    } else if (cardinalityOnly) {
      ctx.reply.int(0);
    } else {
      ctx.reply.set(0);
    }
    return;
  }
  // Stable, as glibc's qsort (a merge sort) is for these small arrays.
  const sets = (found as SetValue[]).slice().sort((a, b) => a.size - b.size);
  const first = sets[0];
  const inAll = (member: string): boolean => {
    for (let j = 1; j < sets.length; j++) {
      if (sets[j] !== first && !sets[j].has(member)) return false;
    }
    return true;
  };
  if (cardinalityOnly) {
    let cardinality = 0;
    for (const member of first.members()) {
      if (!inAll(member)) continue;
      cardinality++;
      if (limit > 0 && cardinality >= limit) break;
    }
    ctx.reply.int(cardinality);
    return;
  }
  if (dstKey === null) {
    const header = ctx.reply.deferredLen();
    let cardinality = 0;
    for (const member of first.members()) {
      if (!inAll(member)) continue;
      ctx.reply.bulk(member);
      cardinality++;
    }
    ctx.reply.setDeferredSet(header, cardinality);
    return;
  }
  const result = SetValue.emptyIntset();
  for (const member of first.members()) if (inAll(member)) result.add(member, ctx.settings);
  storeResult(ctx, dstKey, result);
}

type SetOp = "union" | "diff";

/** Redis's sunionDiffGenericCommand: SUNION, SDIFF and their STORE forms (dst). */
function sunionDiffGeneric(ctx: DataContext, keys: readonly string[], dstKey: string | null, op: SetOp): void {
  const sets = lookupSetsOrReply(ctx, keys);
  if (sets === null) return;
  const result = computeUnionDiff(ctx, keys, sets, op);
  if (dstKey !== null) {
    storeResult(ctx, dstKey, result);
    return;
  }
  ctx.reply.set(result.size);
  for (const member of result.members()) ctx.reply.bulk(member);
}

function computeUnionDiff(ctx: DataContext, keys: readonly string[], sets: readonly (SetValue | undefined)[], op: SetOp): SetValue {
  const result = SetValue.emptyIntset();
  if (op === "union") {
    for (const set of sets) {
      if (set === undefined) continue;
      for (const member of set.members()) result.add(member, ctx.settings);
    }
    return result;
  }
  const first = sets[0];
  // The same key given again as a set to subtract empties the result.
  if (first === undefined || keys.slice(1).some((k) => k === keys[0])) return result;
  const others = sets.slice(1).filter((s): s is SetValue => s !== undefined);
  // Redis picks one of two algorithms by estimated work. Both give the same members, but not
  // always the same encoding: the second adds the whole first set before removing, so a large
  // or non-integer first set leaves a hash table even when the difference would fit an intset.
  let oneWork = 0;
  let twoWork = 0;
  for (const s of sets) {
    if (s === undefined) continue;
    oneWork += first.size;
    twoWork += s.size;
  }
  if (Math.floor(oneWork / 2) <= twoWork) {
    for (const member of first.members()) {
      if (!others.some((s) => s.has(member))) result.add(member, ctx.settings);
    }
    return result;
  }
  for (const member of first.members()) result.add(member, ctx.settings);
  for (const s of others) {
    for (const member of s.members()) result.remove(member);
    if (result.size === 0) break;
  }
  return result;
}

/** SINTERCARD numkeys key [key ...] [LIMIT limit]. */
function sintercard(ctx: DataContext, argv: string[]): void {
  const numkeys = parseRangeLongOrReply(ctx, argv[1], 1n, int64Max, "numkeys should be greater than 0");
  if (numkeys === null) return;
  if (numkeys > argv.length - 2) {
    ctx.reply.error("ERR Number of keys can't be greater than number of args");
    return;
  }
  let limit = 0;
  for (let i = 2 + numkeys; i < argv.length; i++) {
    if (argv[i].toLowerCase() === "limit" && i + 1 < argv.length) {
      i++;
      const l = parsePositiveLongOrReply(ctx, argv[i], "LIMIT can't be negative");
      if (l === null) return;
      limit = l;
    } else {
      ctx.reply.error(errors.syntax);
      return;
    }
  }
  sinterGeneric(ctx, argv.slice(2, 2 + numkeys), null, true, limit);
}

/** SPOP key [count]. */
function spop(ctx: DataContext, argv: string[]): void {
  if (argv.length === 3) {
    spopWithCount(ctx, argv);
    return;
  }
  if (argv.length > 3) {
    ctx.reply.error(errors.syntax);
    return;
  }
  const set = lookupOrReply(ctx, argv[1], "set", true);
  if (set === null) return;
  if (set === undefined) {
    ctx.reply.nullBulk();
    return;
  }
  const member = set.randomMember(ctx.rng) as string;
  set.remove(member);
  if (set.size === 0) ctx.db.delete(argv[1]);
  else ctx.db.signalModified(argv[1]);
  ctx.reply.bulk(member);
}

function spopWithCount(ctx: DataContext, argv: string[]): void {
  const count = parsePositiveLongOrReply(ctx, argv[2], "value is out of range, must be positive");
  if (count === null) return;
  const key = argv[1];
  const set = lookupOrReply(ctx, key, "set", true);
  if (set === null) return;
  if (set === undefined || count === 0) {
    ctx.reply.set(0);
    return;
  }
  const size = set.size;
  if (count >= size) {
    // The whole set, answered as SUNION of the one key would (a fresh intset-first copy).
    const whole = computeUnionDiff(ctx, [key], [set], "union");
    ctx.reply.set(whole.size);
    for (const member of whole.members()) ctx.reply.bulk(member);
    ctx.db.delete(key);
    return;
  }
  ctx.reply.set(count);
  const remaining = size - count;
  if (remaining * spopMoveStrategyMul > count) {
    // Few to pop: pop them one by one.
    for (let i = 0; i < count; i++) {
      const member = set.randomMember(ctx.rng) as string;
      set.remove(member);
      ctx.reply.bulk(member);
    }
    ctx.db.signalModified(key);
    return;
  }
  // Most of the set goes: move the few that remain into a new set, which becomes the value
  // (so its encoding is chosen afresh, as in Redis), and return what is left of the old one.
  let kept: SetValue | null = null;
  for (let i = 0; i < remaining; i++) {
    const member = set.randomMember(ctx.rng) as string;
    if (kept === null) kept = SetValue.forFirstMember(member);
    kept.add(member, ctx.settings);
    set.remove(member);
  }
  for (const member of set.members()) ctx.reply.bulk(member);
  ctx.db.set(key, kept as SetValue, true);
}

/** SRANDMEMBER key [count]. */
function srandmember(ctx: DataContext, argv: string[]): void {
  if (argv.length === 3) {
    srandmemberWithCount(ctx, argv);
    return;
  }
  if (argv.length > 3) {
    ctx.reply.error(errors.syntax);
    return;
  }
  const set = lookupOrReply(ctx, argv[1], "set", false);
  if (set === null) return;
  ctx.reply.bulkOrNull(set?.randomMember(ctx.rng));
}

function srandmemberWithCount(ctx: DataContext, argv: string[]): void {
  const l = parseRangeLongOrReply(ctx, argv[2], -int64Max, int64Max);
  if (l === null) return;
  const set = lookupOrReply(ctx, argv[1], "set", false);
  if (set === null) return;
  if (set === undefined || l === 0) {
    ctx.reply.array(0);
    return;
  }
  const count = Math.abs(l);
  if (l < 0 || count === 1) {
    // Repeats allowed: independent picks, bounded as HRANDFIELD's.
    if (count > randomCountRepliesMax) {
      ctx.reply.error("ERR value is out of range");
      return;
    }
    ctx.reply.array(count);
    for (let i = 0; i < count; i++) ctx.reply.bulk(set.randomMember(ctx.rng) as string);
    return;
  }
  const size = set.size;
  if (count >= size) {
    ctx.reply.array(size);
    for (const member of set.members()) ctx.reply.bulk(member);
    return;
  }
  ctx.reply.array(count);
  if (count * srandmemberSubStrategyMul > size) {
    // Most of the set: shuffle the first `count` positions of a copy (partial Fisher-Yates).
    const members = [...set.members()];
    for (let i = 0; i < count; i++) {
      const j = i + ctx.rng.nextInt(size - i);
      const t = members[i];
      members[i] = members[j];
      members[j] = t;
      ctx.reply.bulk(members[i]);
    }
    return;
  }
  const seen = new Set<string>();
  while (seen.size < count) {
    const member = set.randomMember(ctx.rng) as string;
    if (seen.has(member)) continue;
    seen.add(member);
    ctx.reply.bulk(member);
  }
}

/** SSCAN key cursor [MATCH pattern] [COUNT count]. */
function sscan(ctx: DataContext, argv: string[]): void {
  // Redis checks the cursor first, then the key, then the options.
  if (parseScanOrReply(ctx, argv.slice(0, 3), 2, false) === null) return;
  const set = lookupOrReply(ctx, argv[1], "set", false);
  if (set === null) return;
  if (set === undefined) {
    replyScan(ctx.reply, 0, []);
    return;
  }
  const args = parseScanOrReply(ctx, argv, 2, false);
  if (args === null) return;
  const items: string[] = [];
  if (set.isIntset) {
    // An intset is returned whole and in order, whatever the cursor and COUNT.
    for (const member of set.members()) if (scanMatches(args, member)) items.push(member);
    replyScan(ctx.reply, 0, items);
    return;
  }
  const next = set.scan(args.cursor, args.count, (member) => {
    if (scanMatches(args, member)) items.push(member);
  });
  replyScan(ctx.reply, next, items);
}

const oneKey = { firstKey: 1, lastKey: 1, keyStep: 1 } as const;
const allKeys = { firstKey: 1, lastKey: -1, keyStep: 1 } as const;

export const setCommands: readonly CommandSpec[] = [
  command({
    name: "sadd",
    arity: -3,
    flags: Flag.write | Flag.denyoom | Flag.fast,
    ...oneKey,
    group: "set",
    summary: "Add one or more members to a set",
    since: "1.0.0",
    complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
    run: sadd,
  }),
  command({
    name: "srem",
    arity: -3,
    flags: Flag.write | Flag.fast,
    ...oneKey,
    group: "set",
    summary: "Remove one or more members from a set",
    since: "1.0.0",
    complexity: "O(N) where N is the number of members to be removed.",
    run: srem,
  }),
  command({
    name: "smembers",
    arity: 2,
    flags: Flag.readonly,
    ...oneKey,
    group: "set",
    summary: "Get all the members in a set",
    since: "1.0.0",
    complexity: "O(N) where N is the set cardinality.",
    // Redis 7.0 serves SMEMBERS with SINTER's code.
    run: (ctx, argv) => sinterGeneric(ctx, [argv[1]], null, false, 0),
  }),
  command({
    name: "sismember",
    arity: 3,
    flags: Flag.readonly | Flag.fast,
    ...oneKey,
    group: "set",
    summary: "Determine if a given value is a member of a set",
    since: "1.0.0",
    complexity: "O(1)",
    run: sismember,
  }),
  command({
    name: "smismember",
    arity: -3,
    flags: Flag.readonly | Flag.fast,
    ...oneKey,
    group: "set",
    summary: "Returns the membership associated with the given elements for a set",
    since: "6.2.0",
    complexity: "O(N) where N is the number of elements being checked for membership",
    run: smismember,
  }),
  command({
    name: "scard",
    arity: 2,
    flags: Flag.readonly | Flag.fast,
    ...oneKey,
    group: "set",
    summary: "Get the number of members in a set",
    since: "1.0.0",
    complexity: "O(1)",
    run: scard,
  }),
  command({
    name: "spop",
    arity: -2,
    flags: Flag.write | Flag.fast | Flag.random,
    ...oneKey,
    group: "set",
    summary: "Remove and return one or multiple random members from a set",
    since: "1.0.0",
    complexity: "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
    run: spop,
  }),
  command({
    name: "srandmember",
    arity: -2,
    flags: Flag.readonly | Flag.random,
    ...oneKey,
    group: "set",
    summary: "Get one or multiple random members from a set",
    since: "1.0.0",
    complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
    run: srandmember,
  }),
  command({
    name: "smove",
    arity: 4,
    flags: Flag.write | Flag.fast,
    firstKey: 1,
    lastKey: 2,
    keyStep: 1,
    group: "set",
    summary: "Move a member from one set to another",
    since: "1.0.0",
    complexity: "O(1)",
    run: smove,
  }),
  command({
    name: "sinter",
    arity: -2,
    flags: Flag.readonly,
    ...allKeys,
    group: "set",
    summary: "Intersect multiple sets",
    since: "1.0.0",
    complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
    run: (ctx, argv) => sinterGeneric(ctx, argv.slice(1), null, false, 0),
  }),
  command({
    name: "sintercard",
    arity: -3,
    flags: Flag.readonly,
    keysOf: (argv) => numkeysPositions(argv, 1),
    group: "set",
    summary: "Intersect multiple sets and return the cardinality of the result",
    since: "7.0.0",
    complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
    run: sintercard,
  }),
  command({
    name: "sinterstore",
    arity: -3,
    flags: Flag.write | Flag.denyoom,
    ...allKeys,
    group: "set",
    summary: "Intersect multiple sets and store the resulting set in a key",
    since: "1.0.0",
    complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
    run: (ctx, argv) => sinterGeneric(ctx, argv.slice(2), argv[1], false, 0),
  }),
  command({
    name: "sunion",
    arity: -2,
    flags: Flag.readonly,
    ...allKeys,
    group: "set",
    summary: "Add multiple sets",
    since: "1.0.0",
    complexity: "O(N) where N is the total number of elements in all given sets.",
    run: (ctx, argv) => sunionDiffGeneric(ctx, argv.slice(1), null, "union"),
  }),
  command({
    name: "sunionstore",
    arity: -3,
    flags: Flag.write | Flag.denyoom,
    ...allKeys,
    group: "set",
    summary: "Add multiple sets and store the resulting set in a key",
    since: "1.0.0",
    complexity: "O(N) where N is the total number of elements in all given sets.",
    run: (ctx, argv) => sunionDiffGeneric(ctx, argv.slice(2), argv[1], "union"),
  }),
  command({
    name: "sdiff",
    arity: -2,
    flags: Flag.readonly,
    ...allKeys,
    group: "set",
    summary: "Subtract multiple sets",
    since: "1.0.0",
    complexity: "O(N) where N is the total number of elements in all given sets.",
    run: (ctx, argv) => sunionDiffGeneric(ctx, argv.slice(1), null, "diff"),
  }),
  command({
    name: "sdiffstore",
    arity: -3,
    flags: Flag.write | Flag.denyoom,
    ...allKeys,
    group: "set",
    summary: "Subtract multiple sets and store the resulting set in a key",
    since: "1.0.0",
    complexity: "O(N) where N is the total number of elements in all given sets.",
    run: (ctx, argv) => sunionDiffGeneric(ctx, argv.slice(2), argv[1], "diff"),
  }),
  command({
    name: "sscan",
    arity: -3,
    flags: Flag.readonly | Flag.random,
    ...oneKey,
    group: "set",
    summary: "Incrementally iterate Set elements",
    since: "2.8.0",
    complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
    run: sscan,
  }),
];
