// Placeholder for the list type; the data-types issue gives it its real structure.

import type { CollectionValue } from "../value.ts";

export class ListValue implements CollectionValue {
  readonly type = "list";
  get size(): number {
    return 0;
  }
  encoding(): string {
    return "list";
  }
  clone(): ListValue {
    return new ListValue();
  }
}
