// The zsets family (to be filled in).

import type { CommandSpec } from "./types.ts";

export const zsetCommands: readonly CommandSpec[] = [];
