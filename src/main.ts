// `bun run server`: starts one raftis node.

import { raftisVersion } from "./commands/info-command.ts";
import { ConfigError, parseCommandLine, usage, type StartOptions } from "./config/cli.ts";
import { RaftNode } from "./node/node.ts";
import { Server } from "./server/server.ts";
import { log, setLogLevel } from "./util/log.ts";

/** --standalone: the engine alone, no Raft (for measuring it; not durable, not replicated). */
function startStandalone(options: StartOptions): void {
  const server = new Server({
    settings: options.settings,
    configFile: options.configFile,
    onShutdown: () => {
      server.stop();
      // Exit on the next turn: writes made inside a socket callback are flushed when it returns.
      setImmediate(() => process.exit(0));
    },
  });
  try {
    server.listen();
  } catch (e) {
    log("warning", `Failed listening on ${options.settings.bind}:${options.settings.port}: ${(e as Error).message}`);
    process.exit(1);
  }
  announceReady(options, server.ports[0]);
  const shutdown = (signal: string): void => {
    log("notice", `Received ${signal}, shutting down.`);
    server.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

async function startNode(options: StartOptions): Promise<void> {
  let node: RaftNode;
  try {
    node = await RaftNode.start(options);
  } catch (e) {
    log("warning", (e as Error).message);
    process.exit(1);
  }
  announceReady(options, node.server.ports[0]);
  const shutdown = (signal: string): void => {
    log("notice", `Received ${signal}, shutting down.`);
    void node.shutdown(0);
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

function announceReady(options: StartOptions, port: number | undefined): void {
  // Tests and tools read this line for the bound port (useful with --port 0): keep its shape.
  const hosts = options.settings.bind.split(/\s+/).filter((h) => h !== "").join(",");
  log("notice", `raftis ready to accept connections on ${hosts} port ${port}`);
}

let options: StartOptions;
try {
  options = parseCommandLine(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
}
if (options.action === "help") {
  process.stdout.write(usage);
} else if (options.action === "version") {
  process.stdout.write(`raftis v=${raftisVersion} redis-compat=7.0.15 bun=${Bun.version}\n`);
} else if (options.standalone) {
  setLogLevel(options.settings.loglevel);
  startStandalone(options);
} else {
  setLogLevel(options.settings.loglevel);
  await startNode(options);
}
