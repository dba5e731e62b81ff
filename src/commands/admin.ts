// The admin family (to be filled in).

import type { CommandSpec } from "./types.ts";

export const adminCommands: readonly CommandSpec[] = [];
