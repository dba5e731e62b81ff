// What a key can hold. Strings are binary strings (one char per byte, see util/bytes.ts);
// the collection types are classes with a `type` tag, each in its own file under types/.

import type { HashValue } from "./types/hash.ts";
import type { ListValue } from "./types/list.ts";
import type { SetValue } from "./types/set.ts";
import type { ZSetValue } from "./types/zset.ts";

export type Value = string | HashValue | ListValue | SetValue | ZSetValue;

export type TypeName = "string" | "hash" | "list" | "set" | "zset";

/** What every collection class provides to the generic key commands. */
export interface CollectionValue {
  readonly type: Exclude<TypeName, "string">;
  /** Number of elements (fields, members, items). */
  readonly size: number;
  /** OBJECT ENCODING's answer, following Redis 7.0's conversion thresholds. */
  encoding(): string;
  /** A deep copy (COPY, snapshots of values that are later mutated). */
  clone(): CollectionValue;
}

/** The TYPE command's name for a value. */
export function typeOf(value: Value): TypeName {
  return typeof value === "string" ? "string" : value.type;
}
