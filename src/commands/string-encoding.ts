// OBJECT ENCODING and OBJECT REFCOUNT for strings, as Redis 7.0 answers them.
//
// raftis stores every string as a plain binary JS string, so the encoding Redis would have
// chosen is worked out from the bytes, which is right for everything SET-like (Redis's
// tryObjectEncoding: "int" for a canonical int64 of <= 20 bytes, "embstr" up to 44 bytes,
// "raw" beyond). The few commands that leave another encoding behind record it in the
// keyspace's small per-key hint table (Keyspace.setStringEncoding), which set() and delete()
// clear, so a hint never outlives its value:
//   - APPEND on an existing key, SETRANGE, SETBIT and BITOP leave "raw" (modified in place);
//   - INCRBYFLOAT leaves "embstr" (or "raw" past 44 bytes) even for integer-looking results;
//   - COPY of a small integer makes an unshared "int" (REFCOUNT 1 instead of INT_MAX).
// Only keys whose encoding differs from the inferred one get an entry.

import type { Keyspace } from "../engine/keyspace.ts";
import { parseInt64 } from "../util/number.ts";

/** OBJ_ENCODING_EMBSTR_SIZE_LIMIT: strings up to this length are allocated with their header. */
const embstrMaxBytes = 44;
/** OBJ_SHARED_INTEGERS: Redis shares one object for each integer below this. */
const sharedIntegers = 10000;
/** OBJ_SHARED_REFCOUNT (INT_MAX): the REFCOUNT of a shared integer. */
const sharedRefcount = 2147483647;
/** The hint for an int-encoded value that is not the shared integer object (after COPY). */
const unsharedInt = "int";

export type StringEncoding = "int" | "embstr" | "raw";

/** The encoding tryObjectEncoding gives these bytes. */
export function inferredStringEncoding(value: string): StringEncoding {
  if (value.length <= 20 && parseInt64(value) !== null) return "int";
  return value.length <= embstrMaxBytes ? "embstr" : "raw";
}

/** The encoding createStringObject gives (no integer detection): INCRBYFLOAT's results. */
export function plainStringEncoding(value: string): StringEncoding {
  return value.length <= embstrMaxBytes ? "embstr" : "raw";
}

/** Records that the string just stored at `key` has `encoding` (only when not inferred). */
export function recordStringEncoding(db: Keyspace, key: string, value: string, encoding: StringEncoding): void {
  if (encoding !== inferredStringEncoding(value)) db.setStringEncoding(key, encoding);
}

/** OBJECT ENCODING of the string `value` stored at `key`. */
export function stringEncodingOf(db: Keyspace, key: string, value: string): string {
  return db.stringEncoding(key) ?? inferredStringEncoding(value);
}

/** OBJECT REFCOUNT of the string `value` stored at `key`. */
export function stringRefcountOf(db: Keyspace, key: string, value: string): number {
  if (db.stringEncoding(key) !== undefined) return 1;
  if (inferredStringEncoding(value) !== "int") return 1;
  const n = Number(value);
  return n >= 0 && n < sharedIntegers ? sharedRefcount : 1;
}

/**
 * The hint a copy (COPY) of the string at `key` must carry: its own, or an unshared "int"
 * for a shared integer, as dupStringObject makes it. Undefined when none is needed.
 */
export function copiedStringEncodingHint(db: Keyspace, key: string, value: string): string | undefined {
  const hint = db.stringEncoding(key);
  if (hint !== undefined) return hint;
  return stringRefcountOf(db, key, value) === sharedRefcount ? unsharedInt : undefined;
}
