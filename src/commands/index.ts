// Every command family, in one table.

import { adminCommands } from "./admin.ts";
import { bitmapCommands } from "./bitmaps.ts";
import { clusterCommands } from "./cluster.ts";
import { connectionCommands } from "./connection.ts";
import { hashCommands } from "./hashes.ts";
import { hyperloglogCommands } from "./hyperloglog.ts";
import { keyCommands } from "./keys.ts";
import { listCommands } from "./lists.ts";
import { raftCommands } from "./raft.ts";
import { CommandTable } from "./registry.ts";
import { setCommands } from "./sets.ts";
import { stringCommands } from "./strings.ts";
import { transactionCommands } from "./transactions.ts";
import { zsetCommands } from "./zsets.ts";

export const commandTable = new CommandTable([
  connectionCommands,
  adminCommands,
  transactionCommands,
  keyCommands,
  stringCommands,
  bitmapCommands,
  hashCommands,
  listCommands,
  setCommands,
  zsetCommands,
  hyperloglogCommands,
  raftCommands,
  clusterCommands,
]);
