// The keys family (to be filled in).

import type { CommandSpec } from "./types.ts";

export const keyCommands: readonly CommandSpec[] = [];
