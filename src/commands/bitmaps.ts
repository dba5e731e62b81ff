// The bitmaps family (to be filled in).

import type { CommandSpec } from "./types.ts";

export const bitmapCommands: readonly CommandSpec[] = [];
