// The lists family (to be filled in).

import type { CommandSpec } from "./types.ts";

export const listCommands: readonly CommandSpec[] = [];
