// Real server processes for tests: raftis nodes (`bun src/main.ts`) and the redis-server
// oracle, on free ports of 127.0.0.1, always stopped by the test that started them.

import type { Subprocess } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RespClient } from "../../src/client/resp-client.ts";
import { waitFor } from "./wait.ts";

const repoRoot = join(import.meta.dir, "..", "..");

/** A port that was free a moment ago (bind 0, read, release). */
export function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

export interface RunningServer {
  readonly port: number;
  readonly proc: Subprocess;
  /** Everything the process printed so far. */
  output(): string;
  client(): Promise<RespClient>;
  stop(): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
}

async function collect(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) into.push(decoder.decode(chunk));
}

/** Starts `bun src/main.ts` with `args` (plus --port 0 unless given) and waits until it serves. */
/**
 * Starts `bun src/main.ts` with `args` and waits until it serves. Unless the arguments say
 * otherwise (--init, --join, --standalone, or `cluster: false`), the node initializes a
 * one-node Raft cluster at start, with memory storage (`raft.storage memory`) unless
 * `--raft.storage` is given: commands go through the whole Raft path.
 */
export async function startRaftis(args: string[] = [], opts: { dir?: string; cluster?: boolean } = {}): Promise<RunningServer> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "raftis-test-"));
  const ownDir = opts.dir === undefined;
  const full = [...args];
  if (!full.includes("--port")) full.push("--port", "0");
  if (!full.includes("--dir")) full.push("--dir", dir);
  const chosen = full.includes("--init") || full.includes("--join") || full.includes("--standalone");
  if (opts.cluster !== false && !chosen) {
    full.push("--init");
    if (!full.includes("--raft.storage")) full.push("--raft.storage", "memory");
  }
  const proc = Bun.spawn(["bun", join(repoRoot, "src/main.ts"), ...full], {
    cwd: repoRoot,
    stdout: "pipe",
    stderr: "pipe",
  });
  const out: string[] = [];
  void collect(proc.stdout as ReadableStream<Uint8Array>, out);
  void collect(proc.stderr as ReadableStream<Uint8Array>, out);
  const port = await waitFor("raftis to report its port", () => {
    if (proc.exitCode !== null) throw new Error(`raftis exited with ${proc.exitCode}:\n${out.join("")}`);
    const m = /ready to accept connections on \S+ port (\d+)/.exec(out.join(""));
    return m ? Number(m[1]) : undefined;
  });
  return serverHandle(proc, port, out, async () => {
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  });
}

/** Starts the real redis-server as the oracle for Redis semantics. */
export async function startRedis(extra: string[] = []): Promise<RunningServer> {
  if (Bun.which("redis-server") === null) {
    throw new Error("redis-server is not installed (apt-get install redis-server); it is the oracle for these tests");
  }
  const port = freePort();
  const proc = Bun.spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", ...extra], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const out: string[] = [];
  void collect(proc.stdout as ReadableStream<Uint8Array>, out);
  void collect(proc.stderr as ReadableStream<Uint8Array>, out);
  const handle = serverHandle(proc, port, out, async () => {});
  await waitFor("redis-server to answer PING", async () => {
    if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}:\n${out.join("")}`);
    const c = await handle.client();
    try {
      const r = await c.call("PING");
      return r.t === "simple";
    } finally {
      c.close();
    }
  });
  return handle;
}

function serverHandle(proc: Subprocess, port: number, out: string[], cleanup: () => Promise<void>): RunningServer {
  return {
    port,
    proc,
    output: () => out.join(""),
    client: () => RespClient.connect("127.0.0.1", port),
    kill: (signal = "SIGKILL") => proc.kill(signal),
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(5000).then(() => false)]);
      if (!exited) {
        proc.kill("SIGKILL");
        await proc.exited;
      }
      await cleanup();
    },
  };
}
