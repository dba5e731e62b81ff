// Arguments and reply shared by SCAN, HSCAN, SSCAN and ZSCAN (Redis's scanGenericCommand).

import { scanCountDefault } from "../constants.ts";
import type { TypeName } from "../engine/value.ts";
import { errors, type Reply } from "../resp/reply.ts";
import { globMatch } from "../util/glob.ts";
import { parseInt64 } from "../util/number.ts";
import type { DataContext } from "./types.ts";

export interface ScanArgs {
  /** Slot to resume from (see Dict.scan); beyond the table means "done". */
  readonly cursor: number;
  readonly count: number;
  /** null when there is no MATCH, or MATCH is `*` (Redis skips matching then). */
  readonly pattern: string | null;
  /** SCAN's TYPE filter (lower case), or null. */
  readonly type: string | null;
}

const ulongMax = 18446744073709551615n;

/** Redis's parseScanCursorOrReply: an unsigned long written in decimal. */
function parseCursor(text: string): number | null {
  if (!/^[+-]?[0-9]+$/.test(text)) return null;
  let v = BigInt(text);
  if (v < 0n) v = ulongMax + 1n + v; // strtoul wraps negative input
  if (v < 0n || v > ulongMax) return null;
  return Number(v);
}

/**
 * Parses `<cursor> [MATCH pattern] [COUNT count] [TYPE type]` from argv[cursorIndex]; TYPE is
 * accepted only when `allowType` (plain SCAN). Returns null after replying with an error.
 */
export function parseScanOrReply(ctx: DataContext, argv: readonly string[], cursorIndex: number, allowType: boolean): ScanArgs | null {
  const cursor = parseCursor(argv[cursorIndex]);
  if (cursor === null) {
    ctx.reply.error("ERR invalid cursor");
    return null;
  }
  let count = scanCountDefault;
  let pattern: string | null = null;
  let type: string | null = null;
  for (let i = cursorIndex + 1; i < argv.length; i += 2) {
    const opt = argv[i].toLowerCase();
    const hasValue = i + 1 < argv.length;
    if (opt === "count" && hasValue) {
      const n = parseInt64(argv[i + 1]);
      if (n === null) {
        ctx.reply.error(errors.notInteger);
        return null;
      }
      if (n < 1n) {
        ctx.reply.error(errors.syntax);
        return null;
      }
      count = n > 1000000000n ? 1000000000 : Number(n);
    } else if (opt === "match" && hasValue) {
      pattern = argv[i + 1] === "*" ? null : argv[i + 1];
    } else if (opt === "type" && hasValue && allowType) {
      type = argv[i + 1].toLowerCase();
    } else {
      ctx.reply.error(errors.syntax);
      return null;
    }
  }
  return { cursor, count, pattern, type };
}

/** True when `item` passes the MATCH pattern. */
export function scanMatches(args: ScanArgs, item: string): boolean {
  return args.pattern === null || globMatch(args.pattern, item);
}

/** True when a value of `type` passes SCAN's TYPE filter. */
export function scanTypeMatches(args: ScanArgs, type: TypeName): boolean {
  return args.type === null || args.type === type;
}

/** The two-element SCAN reply: next cursor (as a bulk string) and the items. */
export function replyScan(reply: Reply, nextCursor: number, items: readonly string[]): void {
  reply.array(2);
  reply.bulk(String(nextCursor));
  reply.array(items.length);
  for (const item of items) reply.bulk(item);
}
