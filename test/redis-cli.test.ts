// redis-cli 7.0 against raftis: one-shot commands, a session fed through stdin (same output
// as with redis-server), an interactive session in a pseudo-terminal (prompt, MULTI's (TX)
// prompt, errors, `help`, argument hints from COMMAND DOCS), and --pipe mass insertion.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { showReply } from "../src/resp/reply-parser.ts";
import { startRaftis, startRedis, type RunningServer } from "./helpers/processes.ts";
import { mb } from "./helpers/raw.ts";
import { waitFor } from "./helpers/wait.ts";

let raftis: RunningServer;
let redis: RunningServer;

beforeAll(async () => {
  [raftis, redis] = await Promise.all([startRaftis(), startRedis()]);
});

afterAll(async () => {
  await Promise.all([raftis?.stop(), redis?.stop()]);
});

async function cli(port: number, args: string[], stdin?: string): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn(["redis-cli", "-p", String(port), ...args], {
    stdin: stdin === undefined ? "ignore" : Buffer.from(stdin, "latin1"),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out, err };
}

describe("one-shot", () => {
  test("commands, replies and exit codes", async () => {
    expect(await cli(raftis.port, ["SET", "cli:a", "hello world"])).toEqual({ code: 0, out: "OK\n", err: "" });
    expect(await cli(raftis.port, ["GET", "cli:a"])).toEqual({ code: 0, out: "hello world\n", err: "" });
    expect((await cli(raftis.port, ["INCR", "cli:a"])).out).toBe("ERR value is not an integer or out of range\n\n");
    const info = await cli(raftis.port, ["INFO", "server"]);
    expect(info.code).toBe(0);
    expect(info.out).toContain("redis_version:7.0.15");
    expect((await cli(raftis.port, ["-3", "HELLO"])).out).toContain("proto 3\n");
  });

  test("the same one-shot output as redis-server", async () => {
    for (const args of [["PING"], ["ECHO", "a b"], ["MSET", "x", "1", "y", "2"], ["MGET", "x", "nope", "y"], ["CONFIG", "GET", "maxmemory"], ["--no-raw", "MGET", "x", "y"], ["NOSUCH"], ["-3", "GET", "nope"], ["CLIENT", "GETNAME"]]) {
      const [e, a] = await Promise.all([cli(redis.port, args), cli(raftis.port, args)]);
      expect({ args, ...a }).toEqual({ args, ...e });
    }
  });
});

describe("session through stdin", () => {
  test("gives the same output as with redis-server", async () => {
    const script = [
      "FLUSHALL",
      "SET counter 10",
      "INCRBY counter 5",
      "GET counter",
      "MULTI",
      "INCR counter",
      "GET counter",
      "EXEC",
      "SET 'quoted key' \"value with spaces\"",
      'GET "quoted key"',
      "GET",
      "NOSUCH cmd",
      "CLIENT SETNAME cli",
      "CLIENT GETNAME",
      "SELECT 0",
      "DBSIZE",
      "PING",
    ].join("\n");
    const [e, a] = await Promise.all([cli(redis.port, [], `${script}\n`), cli(raftis.port, [], `${script}\n`)]);
    expect(a).toEqual(e);
    expect(a.out).toContain("QUEUED\nQUEUED\n16\n16\n");
  });
});

describe("interactive, in a terminal", () => {
  test("prompt, transactions, errors, help and hints from COMMAND DOCS", async () => {
    let screen = "";
    const terminal = new Bun.Terminal({
      cols: 200,
      rows: 50,
      data: (_t, data) => {
        screen += new TextDecoder().decode(data);
      },
    });
    const proc = Bun.spawn(["redis-cli", "-p", String(raftis.port)], { terminal, env: { ...process.env, HOME: "/nonexistent", REDISCLI_HISTFILE: "/dev/null" } });
    const prompt = `127.0.0.1:${raftis.port}>`;
    /** Types a line and waits for `expect` to appear after it. */
    const type = async (line: string, expected: string): Promise<void> => {
      const from = screen.length;
      terminal.write(`${line}\r`);
      await waitFor(`${JSON.stringify(expected)} after ${line}`, () => screen.slice(from).includes(expected), 10000);
    };
    try {
      await waitFor("the prompt", () => screen.includes(prompt), 10000);
      await type("SET tty:a 1", "OK");
      await type("GET tty:a", '"1"');
      await type("MULTI", `127.0.0.1:${raftis.port}(TX)>`);
      await type("INCR tty:a", "QUEUED");
      await type("EXEC", "1) (integer) 2");
      await type("NOSUCH x", "(error) ERR unknown command 'NOSUCH', with args beginning with: 'x'");
      await type("help GET", "summary:");
      await type("CLIENT INFO", "cmd=client|info");
      // Typing a command name makes redis-cli show its arguments as a hint (from COMMAND DOCS).
      const before = screen.length;
      terminal.write("GET ");
      await waitFor("the GET hint", () => screen.slice(before).includes("key"), 10000);
      terminal.write("\x15"); // Ctrl-U: clear the line
      await type("quit", "");
      const code = await Promise.race([proc.exited, Bun.sleep(10000).then(() => -1)]);
      expect(code).toBe(0);
    } finally {
      proc.kill();
      terminal.close();
    }
  });
});

describe("--pipe mass insertion", () => {
  test("20000 commands: errors 0, replies 20000, all stored", async () => {
    const n = 20000;
    const input = Array.from({ length: n }, (_, i) => mb("SET", `mass:${i}`, `value-${i}`)).join("");
    const r = await cli(raftis.port, ["--pipe"], input);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`errors: 0, replies: ${n}`);
    const c = await raftis.client();
    try {
      expect(showReply(await c.call("GET", "mass:12345"))).toBe('"value-12345"');
      expect(showReply(await c.call("EXISTS", "mass:0", `mass:${n - 1}`))).toBe(":2");
    } finally {
      c.close();
    }
  });

  test("errors are counted as redis-server counts them", async () => {
    const input = [mb("SET", "p", "1"), mb("INCR", "p"), mb("NOSUCH"), mb("GET"), "SET inline 2\r\n", mb("LPUSH", "p", "x")].join("");
    const [e, a] = await Promise.all([cli(redis.port, ["--pipe"], input), cli(raftis.port, ["--pipe"], input)]);
    const summary = (s: string): string => /errors: \d+, replies: \d+/.exec(s)?.[0] ?? s;
    expect(summary(a.out)).toBe(summary(e.out));
    expect(a.code).toBe(e.code);
  });
});
