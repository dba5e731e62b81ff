// `bun run server [config-file] [--name value ...] [--init | --join host:port ...]`: options
// from a config file and the command line (the command line wins), all through the parameter
// table, so CONFIG GET shows them; anything unknown or malformed stops the node with a clear
// message and a non-zero exit, before it listens.

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RespClient } from "../src/client/resp-client.ts";
import { showReply } from "../src/resp/reply-parser.ts";
import { freePort, startRaftis } from "./helpers/processes.ts";

const repoRoot = join(import.meta.dir, "..");
const scratch = mkdtempSync(join(tmpdir(), "raftis-cli-"));

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** Runs the server expecting it to refuse to start; returns its exit code and output. */
async function refuse(args: string[]): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn(["bun", join(repoRoot, "src/main.ts"), ...args], { cwd: repoRoot, stdout: "pipe", stderr: "pipe" });
  const killer = setTimeout(() => proc.kill("SIGKILL"), 10000);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(killer);
  return { code, out: out + err };
}

function configFile(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

async function configGet(port: number, ...names: string[]): Promise<Record<string, string>> {
  const c = await RespClient.connect("127.0.0.1", port);
  try {
    const r = await c.call("CONFIG", "GET", ...names);
    const out: Record<string, string> = {};
    if (r.t !== "array") throw new Error(showReply(r));
    for (let i = 0; i + 1 < r.v.length; i += 2) {
      const k = r.v[i];
      const v = r.v[i + 1];
      if (k.t === "bulk" && v.t === "bulk") out[k.v] = v.v;
    }
    return out;
  } finally {
    c.close();
  }
}

describe("starting", () => {
  test("--port 0 binds a free port and says which in the ready line", async () => {
    const node = await startRaftis(["--port", "0"]);
    try {
      expect(node.output()).toMatch(/ready to accept connections on 127\.0\.0\.1 port \d+/);
      expect(node.port).toBeGreaterThan(0);
      expect((await configGet(node.port, "port")).port).toBe("0");
    } finally {
      await node.stop();
    }
  });

  test("command-line options reach CONFIG GET: redis options, raft.* options, --init", async () => {
    const dir = join(scratch, "data-a");
    const node = await startRaftis(["--init", "--dir", dir, "--maxmemory", "100mb", "--hz", "20", "--save", "900", "1", "--raft.election-timeout", "500", "--raft.log-fsync", "no"]);
    try {
      expect(await configGet(node.port, "dir", "maxmemory", "hz", "save", "raft.election-timeout", "raft.log-fsync")).toEqual({
        dir,
        maxmemory: String(100 * 1024 * 1024),
        hz: "20",
        save: "900 1",
        "raft.election-timeout": "500",
        "raft.log-fsync": "no",
      });
    } finally {
      await node.stop();
    }
  });

  test("a config file as the first argument; the command line overrides it", async () => {
    const file = configFile(
      "node.conf",
      ["# a comment", "", "port 0", "maxmemory 10mb", '  requirepass "with space"', "client-output-buffer-limit normal 1mb 512kb 10", "raft.quorum-reads no", "timeout 30"].join("\n"),
    );
    const node = await startRaftis([file, "--timeout", "60"]);
    try {
      const c = await node.client();
      expect(showReply(await c.call("AUTH", "with space"))).toBe("+OK");
      const r = await c.call("CONFIG", "GET", "maxmemory", "timeout", "raft.quorum-reads", "client-output-buffer-limit");
      c.close();
      const text = showReply(r);
      expect(text).toContain(`"maxmemory", "${10 * 1024 * 1024}"`);
      expect(text).toContain('"timeout", "60"');
      expect(text).toContain('"raft.quorum-reads", "no"');
      expect(text).toContain('"normal 1048576 524288 10 slave');
      const info = await node.client();
      expect(showReply(await info.call("AUTH", "with space"))).toBe("+OK");
      const server = await info.call("INFO", "server");
      info.close();
      expect(showReply(server)).toContain(`config_file:${file}`);
    } finally {
      await node.stop();
    }
  });

  test("--help and --version print and exit 0", async () => {
    const help = await refuse(["--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("Usage: bun run server");
    const version = await refuse(["--version"]);
    expect(version.code).toBe(0);
    expect(version.out).toMatch(/^raftis v=\d+\.\d+\.\d+ /);
  });
});

describe("refusing to start", () => {
  const cases: { name: string; args: () => string[]; says: string[] }[] = [
    { name: "an unknown option", args: () => ["--bogus", "1"], says: [">>> --bogus 1", "Bad directive or wrong number of arguments"] },
    { name: "an option without its value", args: () => ["--port"], says: [">>> --port", "Bad directive or wrong number of arguments"] },
    { name: "a value that is not a number", args: () => ["--port", "abc"], says: [">>> --port abc", "argument couldn't be parsed into an integer"] },
    { name: "a port out of range", args: () => ["--port", "70000"], says: ["argument must be between 0 and 65535 inclusive"] },
    { name: "a bad boolean", args: () => ["--raft.log-fsync", "maybe"], says: ["argument must be 'yes' or 'no'"] },
    { name: "an eviction policy raftis lacks", args: () => ["--maxmemory-policy", "allkeys-lru"], says: ["argument(s) must be one of the following: noeviction"] },
    { name: "a bad memory value", args: () => ["--maxmemory", "lots"], says: ["argument must be a memory value"] },
    { name: "a bad host:port", args: () => ["--raft.addr", "nohost"], says: ["Address is invalid"] },
    { name: "a stray word", args: () => ["--port", "0", "--", "x"], says: ["Expected an option starting with '--'"] },
    { name: "two config files", args: () => [configFile("a.conf", "port 0\n"), configFile("b.conf", "port 0\n")], says: ["Expected an option starting with '--'"] },
    { name: "a missing config file", args: () => [join(scratch, "missing.conf")], says: ["can't open config file"] },
    { name: "a bad line in the config file", args: () => [configFile("bad.conf", "port 0\nnosuchdirective yes\n")], says: ["at line 2", ">>> nosuchdirective yes", "Bad directive"] },
    { name: "unbalanced quotes in the config file", args: () => [configFile("quotes.conf", 'requirepass "open\n')], says: ["at line 1", "Unbalanced quotes"] },
    { name: "--init with an argument", args: () => ["--init", "now"], says: ["--init takes no arguments"] },
    { name: "--init and --join together", args: () => ["--init", "--join", "127.0.0.1:7000"], says: ["--init and --join cannot be used together"] },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const r = await refuse(c.args());
      expect(r.code).not.toBe(0);
      for (const s of c.says) expect(r.out).toContain(s);
      expect(r.out).not.toContain("ready to accept connections");
    });
  }

  test("a port in use", async () => {
    const port = freePort();
    const holder = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
    try {
      const r = await refuse(["--port", String(port)]);
      expect(r.code).toBe(1);
      expect(r.out).toContain(`Failed listening on 127.0.0.1:${port}`);
    } finally {
      holder.stop(true);
    }
  });
});
