// Placeholder for the hash type; the data-types issue gives it its real structure.

import type { CollectionValue } from "../value.ts";

export class HashValue implements CollectionValue {
  readonly type = "hash";
  get size(): number {
    return 0;
  }
  encoding(): string {
    return "hash";
  }
  clone(): HashValue {
    return new HashValue();
  }
}
