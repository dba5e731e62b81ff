// `bun run server [config-file] [--name value ...] [--init | --join host:port ...]`, parsed
// as redis-server does: an optional config file first, then `--directive args...` pairs that
// override it. Both go through the parameter table; anything unknown is a clear error.

import { readFileSync } from "node:fs";
import { splitArgs } from "../util/split-args.ts";
import { findParam, setParam } from "./params.ts";
import { Settings } from "./settings.ts";

export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface StartOptions {
  /** serve, or just print the usage (--help / -h) or the version (--version / -v). */
  readonly action: "serve" | "help" | "version";
  readonly settings: Settings;
  /** --init: create a cluster at first start (ignored when --dir holds state). */
  readonly init: boolean;
  /** --join: addresses of cluster nodes to join at first start. */
  readonly join: string[];
  /**
   * --standalone: no Raft at all, a plain single-node server (no replication, no durability).
   * For measuring the engine alone; not what raftis is for.
   */
  readonly standalone: boolean;
  readonly configFile: string | null;
}

interface Directive {
  name: string;
  args: string[];
  /** For error messages: where it came from and how it was written. */
  origin: string;
  text: string;
}

export const usage = `Usage: bun run server [/path/to/raftis.conf] [options] [--init | --join host:port ...]
       bun run server -v or --version
       bun run server -h or --help

Options are config file directives written as --name value, for example:
       --port 6379 --bind 127.0.0.1 --dir ./data --requirepass secret
       --raft.election-timeout 1000 --raft.log-fsync yes
The config file holds the same directives, one per line (name value). Options given on
the command line override the file.

--standalone runs the engine alone, without Raft (no replication, no durability).

Examples:
       bun run server --port 7000 --init
       bun run server /etc/raftis/node1.conf --port 7001 --join 127.0.0.1:7000
`;

export function parseCommandLine(argv: readonly string[]): StartOptions {
  if (argv.length === 1 && (argv[0] === "-h" || argv[0] === "--help")) return helpOrVersion("help");
  if (argv.length === 1 && (argv[0] === "-v" || argv[0] === "--version")) return helpOrVersion("version");
  const directives: Directive[] = [];
  let configFile: string | null = null;
  let i = 0;
  if (argv.length > 0 && !argv[0].startsWith("--")) {
    configFile = argv[0];
    directives.push(...readConfigFile(configFile));
    i = 1;
  }
  for (; i < argv.length; i++) {
    const word = argv[i];
    if (!word.startsWith("--") || word.length === 2) {
      throw new ConfigError(fatal("the command line", `'${word}'`, "Expected an option starting with '--'"));
    }
    const args: string[] = [];
    while (i + 1 < argv.length && !argv[i + 1].startsWith("--")) args.push(argv[++i]);
    directives.push({ name: word.slice(2), args, origin: "the command line", text: [word, ...args].join(" ") });
  }
  const settings = new Settings();
  let init = false;
  let standalone = false;
  const join: string[] = [];
  for (const d of directives) {
    const name = d.name.toLowerCase();
    if (name === "init") {
      if (d.args.length !== 0) throw new ConfigError(fatal(d.origin, d.text, "--init takes no arguments"));
      init = true;
      continue;
    }
    if (name === "standalone") {
      if (d.args.length !== 0) throw new ConfigError(fatal(d.origin, d.text, "--standalone takes no arguments"));
      standalone = true;
      continue;
    }
    if (name === "join") {
      if (d.args.length === 0) throw new ConfigError(fatal(d.origin, d.text, "--join needs at least one host:port"));
      join.push(...d.args);
      continue;
    }
    const param = findParam(name);
    if (param === undefined || d.args.length === 0) {
      throw new ConfigError(fatal(d.origin, d.text, "Bad directive or wrong number of arguments"));
    }
    const err = setParam(param, settings, d.args.join(" "));
    if (err !== null) throw new ConfigError(fatal(d.origin, d.text, err));
  }
  if (init && join.length > 0) throw new ConfigError("--init and --join cannot be used together");
  if (standalone && (init || join.length > 0)) throw new ConfigError("--standalone runs without Raft: it cannot be used with --init or --join");
  return { action: "serve", settings, init, join, standalone, configFile };
}

function helpOrVersion(action: "help" | "version"): StartOptions {
  return { action, settings: new Settings(), init: false, join: [], standalone: false, configFile: null };
}

function readConfigFile(path: string): Directive[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError(`Fatal error, can't open config file '${path}': ${(e as Error).message}`);
  }
  const out: Directive[] = [];
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim();
    if (line === "" || line.startsWith("#")) continue;
    const words = splitArgs(line);
    const origin = `the configuration file, at line ${n + 1}`;
    if (words === null) throw new ConfigError(fatal(origin, `'${line}'`, "Unbalanced quotes in configuration line"));
    if (words.length === 0) continue;
    out.push({ name: words[0], args: words.slice(1), origin, text: line });
  }
  return out;
}

function fatal(origin: string, text: string, reason: string): string {
  return `\n*** FATAL CONFIG ERROR (raftis) ***\nReading ${origin}\n>>> ${text}\n${reason}`;
}
