// The single-node executor: state-machine commands run at once, writes with the node's clock
// and a seed from a write counter, exactly as the Raft node will run them from log entries.

import type { CommandSpec } from "../commands/types.ts";
import { goesThroughLog } from "../commands/types.ts";
import { activeExpireKeysPerCycle } from "../constants.ts";
import type { Invocation } from "../engine/engine.ts";
import type { Client } from "./client.ts";
import type { Executor } from "./dispatch.ts";
import type { Server } from "./server.ts";

export class LocalExecutor implements Executor {
  readonly #server: Server;
  /** Stands in for the log index: seeds each write's generator. */
  #index = 0;

  constructor(server: Server) {
    this.#server = server;
  }

  run(client: Client, cmd: Invocation): void {
    const server = this.#server;
    const now = server.clock.now();
    if (goesThroughLog(cmd.spec)) {
      server.engine.apply(cmd, now, ++this.#index, client.reply);
    } else {
      server.engine.read(cmd, now, server.nextReadSeed(), client.reply);
    }
  }

  runMulti(client: Client, cmds: Invocation[]): void {
    const server = this.#server;
    server.engine.applyMulti(cmds, server.clock.now(), ++this.#index, client.reply, (cmd) => {
      server.dispatcher.run(client, cmd.spec, cmd.argv);
    });
    // Like Redis, each command inside EXEC counts as a call (local ones were counted by
    // dispatcher.run). The engine runs the transaction as one unit, so time and errors are
    // not attributed to the commands inside it.
    for (const cmd of cmds) if (cmd.spec.run !== undefined) server.stats.called(server.stats.statFor(cmd.spec), null, false);
  }

  writeRefusal(_client: Client, _spec: CommandSpec): string | null {
    return null;
  }

  backpressure(): boolean {
    return false;
  }

  clientClosed(_client: Client): void {}

  watchConflict(_client: Client): boolean {
    // Writes apply at once here, so WATCH's dirty flag already saw every one.
    return false;
  }

  cron(): void {
    const server = this.#server;
    if (!server.settings.activeExpire) return;
    const now = server.clock.now();
    const due = server.engine.db.dueKeys(now, activeExpireKeysPerCycle);
    if (due.length > 0) server.stats.expiredKeys += server.engine.expire(due, now);
  }
}
