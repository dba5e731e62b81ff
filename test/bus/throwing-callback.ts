// Run by exchange.test.ts in its own process: node 2's onMessage throws, which must end the
// process (as it would end the Raft worker) rather than be taken for a bad connection.

import { Bus } from "../../src/bus/bus.ts";
import type { Message } from "../../src/raft/types.ts";

const common = { clusterId: "c", password: "", listenHost: "127.0.0.1", listenPort: 0, connectionTimeoutMs: 2000, responseTimeoutMs: 2000, reconnectIntervalMs: 20, log: () => {} };
const b = new Bus({
  ...common,
  nodeId: 2,
  onMessage: () => {
    throw new Error("a broken invariant in the node");
  },
});
const a = new Bus({ ...common, nodeId: 1, onMessage: () => {} });
const pb = await b.start();
const pa = await a.start();
b.setPeers(new Map([[1, `127.0.0.1:${pa}`]]), false);
a.setPeers(new Map([[2, `127.0.0.1:${pb}`]]), false);
const heartbeat: Message = { type: "MsgHeartbeat", from: 1, to: 2, term: 1, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, context: new Uint8Array(0), snapshot: null };
a.send([heartbeat]);
// The process must die of the exception; it gives up on its own after 10 s.
setTimeout(() => {
  console.log("still alive");
  process.exit(0);
}, 10_000);
