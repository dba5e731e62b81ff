// Typed key lookups shared by every family. Helpers that may reply with an error say so in
// their name (...OrReply); they return null after replying, so callers just `return`.

import type { HashValue } from "../engine/types/hash.ts";
import type { ListValue } from "../engine/types/list.ts";
import type { SetValue } from "../engine/types/set.ts";
import type { ZSetValue } from "../engine/types/zset.ts";
import { typeOf, type TypeName, type Value } from "../engine/value.ts";
import { errors } from "../resp/reply.ts";
import type { DataContext } from "./types.ts";

interface TypeMap {
  string: string;
  hash: HashValue;
  list: ListValue;
  set: SetValue;
  zset: ZSetValue;
}

/**
 * The value at `key` if it has type `type`; undefined when the key is absent (or expired);
 * null after replying WRONGTYPE. `write` selects lookupWrite (removes an expired key).
 */
export function lookupOrReply<T extends TypeName>(ctx: DataContext, key: string, type: T, write: boolean): TypeMap[T] | undefined | null {
  const value: Value | undefined = write ? ctx.db.lookupWrite(key, ctx.now) : ctx.db.lookupRead(key, ctx.now);
  if (value === undefined) return undefined;
  if (typeOf(value) !== type) {
    ctx.reply.error(errors.wrongType);
    return null;
  }
  return value as TypeMap[T];
}

/** Read lookup of a string. */
export function readStringOrReply(ctx: DataContext, key: string): string | undefined | null {
  return lookupOrReply(ctx, key, "string", false);
}

/**
 * HDEL / SREM / ZREM: removes argv[2..] from the collection at argv[1] with `remove`, deletes
 * the key once it is empty (as Redis), signals WATCH when something changed, replies the count.
 */
export function removeMembersAndReply<T extends "hash" | "set" | "zset">(ctx: DataContext, argv: readonly string[], type: T, remove: (value: TypeMap[T], member: string) => boolean): void {
  const key = argv[1];
  const value = lookupOrReply(ctx, key, type, true);
  if (value === null) return;
  if (value === undefined) {
    ctx.reply.int(0);
    return;
  }
  let removed = 0;
  for (let i = 2; i < argv.length; i++) {
    if (remove(value, argv[i])) removed++;
    if (value.size === 0) break;
  }
  if (value.size === 0) ctx.db.delete(key);
  else if (removed > 0) ctx.db.signalModified(key);
  ctx.reply.int(removed);
}
