// Writes a reply received from another server (a parsed RespValue) into a client's reply
// buffer, in that client's protocol: the follower proxy relays the leader's replies this way.

import { assert } from "../util/assert.ts";
import type { RespValue } from "./reply-parser.ts";
import type { Reply } from "./reply.ts";

export function relayReply(reply: Reply, v: RespValue): void {
  switch (v.t) {
    case "simple":
      reply.simple(v.v);
      return;
    case "error":
      reply.error(v.v);
      return;
    case "int":
      reply.int(v.v);
      return;
    case "bulk":
      reply.bulk(v.v);
      return;
    case "null":
      if (v.v === "array") reply.nullArray();
      else reply.nullBulk();
      return;
    case "array":
    case "push":
      reply.array(v.v.length);
      for (const x of v.v) relayReply(reply, x);
      return;
    case "set":
      reply.set(v.v.length);
      for (const x of v.v) relayReply(reply, x);
      return;
    case "map":
      reply.map(v.v.length);
      for (const [k, x] of v.v) {
        relayReply(reply, k);
        relayReply(reply, x);
      }
      return;
    case "double":
      // The leader printed it (%.17g); keep its text.
      if (reply.resp === 3) reply.raw(`,${v.v}\r\n`);
      else reply.bulk(v.v);
      return;
    case "bool":
      reply.bool(v.v);
      return;
    case "verbatim":
      reply.verbatim(v.v, v.format);
      return;
    case "bignum":
      if (reply.resp === 3) reply.raw(`(${v.v}\r\n`);
      else reply.bulk(v.v);
      return;
    default:
      assert(false, "every reply type is relayed");
  }
}
