// Placeholder for the set type; the data-types issue gives it its real structure.

import type { CollectionValue } from "../value.ts";

export class SetValue implements CollectionValue {
  readonly type = "set";
  get size(): number {
    return 0;
  }
  encoding(): string {
    return "set";
  }
  clone(): SetValue {
    return new SetValue();
  }
}
