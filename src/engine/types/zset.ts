// Placeholder for the zset type; the data-types issue gives it its real structure.

import type { CollectionValue } from "../value.ts";

export class ZSetValue implements CollectionValue {
  readonly type = "zset";
  get size(): number {
    return 0;
  }
  encoding(): string {
    return "zset";
  }
  clone(): ZSetValue {
    return new ZSetValue();
  }
}
