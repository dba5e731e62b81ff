// OBJECT: introspection of one key's value. ENCODING and REFCOUNT answer as Redis 7.0 would
// (see string-encoding.ts for strings; collections know their own encoding). raftis keeps
// no per-key access clock (it would make every read a write to replicated state), so
// IDLETIME is always 0, and FREQ answers as Redis does when no LFU policy is selected.

import type { Value } from "../engine/value.ts";
import { stringEncodingOf, stringRefcountOf } from "./string-encoding.ts";
import { Flag, command, type DataContext } from "./types.ts";

const help = [
  "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "ENCODING <key>",
  "    Return the kind of internal representation used in order to store the value",
  "    associated with a <key>.",
  "FREQ <key>",
  "    Return the access frequency index of the <key>. The returned integer is",
  "    proportional to the logarithm of the recent access frequency of the key.",
  "IDLETIME <key>",
  "    Return the idle time of the <key>, that is the approximated number of",
  "    seconds elapsed since the last access to the key.",
  "REFCOUNT <key>",
  "    Return the number of references of the value associated with the specified",
  "    <key>.",
  "HELP",
  "    Prints this help.",
];

/** The value at argv[2], or undefined after replying null (Redis's objectCommandLookupOrReply). */
function lookupOrNull(ctx: DataContext, key: string): Value | undefined {
  const value = ctx.db.lookupRead(key, ctx.now);
  if (value === undefined) ctx.reply.nullBulk();
  return value;
}

export const objectCommand = command({
  name: "object",
  arity: -2,
  flags: 0,
  group: "generic",
  summary: "A container for object introspection commands",
  since: "2.2.3",
  complexity: "Depends on subcommand.",
  subcommands: [
    command({
      name: "object|encoding",
      arity: 3,
      flags: Flag.readonly,
      firstKey: 2,
      lastKey: 2,
      group: "generic",
      summary: "Inspect the internal encoding of a Redis object",
      since: "2.2.3",
      complexity: "O(1)",
      run: (ctx, argv) => {
        const key = argv[2];
        const value = lookupOrNull(ctx, key);
        if (value === undefined) return;
        ctx.reply.bulk(typeof value === "string" ? stringEncodingOf(ctx.db, key, value) : value.encoding());
      },
    }),
    command({
      name: "object|refcount",
      arity: 3,
      flags: Flag.readonly,
      firstKey: 2,
      lastKey: 2,
      group: "generic",
      summary: "Get the number of references to the value of the key",
      since: "2.2.3",
      complexity: "O(1)",
      run: (ctx, argv) => {
        const key = argv[2];
        const value = lookupOrNull(ctx, key);
        if (value === undefined) return;
        ctx.reply.int(typeof value === "string" ? stringRefcountOf(ctx.db, key, value) : 1);
      },
    }),
    command({
      name: "object|idletime",
      arity: 3,
      flags: Flag.readonly,
      firstKey: 2,
      lastKey: 2,
      group: "generic",
      summary: "Get the time since a Redis object was last accessed",
      since: "2.2.3",
      complexity: "O(1)",
      run: (ctx, argv) => {
        if (lookupOrNull(ctx, argv[2]) !== undefined) ctx.reply.int(0);
      },
    }),
    command({
      name: "object|freq",
      arity: 3,
      flags: Flag.readonly,
      firstKey: 2,
      lastKey: 2,
      group: "generic",
      summary: "Get the logarithmic access frequency counter of a Redis object",
      since: "4.0.0",
      complexity: "O(1)",
      run: (ctx, argv) => {
        if (lookupOrNull(ctx, argv[2]) === undefined) return;
        ctx.reply.error(
          "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        );
      },
    }),
    command({
      name: "object|help",
      arity: 2,
      flags: Flag.local | Flag.loading | Flag.stale,
      group: "generic",
      summary: "Show helpful text about the different subcommands",
      since: "6.2.0",
      complexity: "O(1)",
      runLocal: (ctx) => {
        ctx.reply.array(help.length);
        for (const line of help) ctx.reply.simple(line);
      },
    }),
  ],
});
