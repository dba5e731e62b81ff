// The hashes family (to be filled in).

import type { CommandSpec } from "./types.ts";

export const hashCommands: readonly CommandSpec[] = [];
