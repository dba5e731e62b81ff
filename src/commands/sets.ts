// The sets family (to be filled in).

import type { CommandSpec } from "./types.ts";

export const setCommands: readonly CommandSpec[] = [];
