// A full disk: the node answers writes with a clear error and refuses them from then on
// rather than acknowledge what is not durable; it stays up. Needs root to mount a small tmpfs.

import { afterAll, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { showReply } from "../../src/resp/reply-parser.ts";
import { startRaftis, type RunningServer } from "../helpers/processes.ts";

const root = process.getuid?.() === 0;
const dir = mkdtempSync(join(tmpdir(), "raftis-diskfull-"));
let mounted = false;
let node: RunningServer | null = null;

afterAll(async () => {
  await node?.stop();
  if (mounted) execFileSync("umount", [dir]);
  rmSync(dir, { recursive: true, force: true });
});

test.skipIf(!root)("writes on a full disk fail clearly and keep failing; the node stays up", async () => {
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=24m", "tmpfs", dir]);
  mounted = true;
  node = await startRaftis(["--init", "--dir", dir, "--raft.storage", "disk"], { dir });
  const c = await node.client();
  const big = "x".repeat(1024 * 1024);
  let failure = "";
  let acked = 0;
  for (let i = 0; i < 200 && failure === ""; i++) {
    const r = await c.call("SET", `k${i}`, big);
    if (showReply(r) === "+OK") acked++;
    else failure = showReply(r);
  }
  expect(acked).toBeGreaterThan(0);
  // The write caught by the failure has an unknown outcome; later ones are refused outright.
  expect(failure).toMatch(/^-(TIMEOUT not committed yet|ERR raftis storage failed)/);
  const next = showReply(await c.call("SET", "after", "v"));
  expect(next).toMatch(/^-ERR raftis storage failed, this node refuses writes: /);
  expect(next).toMatch(/ENOSPC|no space/i);
  expect(showReply(await c.call("PING"))).toBe("+PONG");
  const info = showReply(await c.call("INFO", "raft"));
  expect(info).toMatch(/raft_storage_failed:[^\r\n]+/);
  c.close();
}, 60_000);
