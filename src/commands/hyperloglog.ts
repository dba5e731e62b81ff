// The hyperloglog family (to be filled in).

import type { CommandSpec } from "./types.ts";

export const hyperloglogCommands: readonly CommandSpec[] = [];
