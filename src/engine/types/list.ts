// A list: a ring-buffer deque of binary strings (O(1) push/pop at both ends, O(1) LINDEX/LSET).
//
// OBJECT ENCODING: Redis 7.0 keeps every list in a quicklist (the small-list "listpack"
// encoding only arrived in 7.2), so a list always reports "quicklist" whatever its size and
// list-max-listpack-size.

import type { CollectionValue } from "../value.ts";
import { Deque } from "./deque.ts";

export class ListValue extends Deque<string> implements CollectionValue {
  readonly type = "list";

  encoding(): string {
    return "quicklist";
  }

  clone(): ListValue {
    const copy = new ListValue(this.size);
    for (let i = 0; i < this.size; i++) copy.pushBack(this.at(i));
    return copy;
  }
}
