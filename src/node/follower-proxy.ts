// `raft.follower-proxy yes`: a follower forwards its clients' data commands to the leader and
// relays the replies, so clients that cannot follow -MOVED still work against any node.
//
// Each proxied client gets its own connection to the leader (its protocol version, its
// transaction state), opened on first use and closed with the client. A MULTI/EXEC is sent as one
// bundle (WATCH keys, MULTI, the queued commands, EXEC) in a single write, and only EXEC's reply
// is relayed. The client waits for each reply (kind "other"), so order is kept.

import { ConnectionClosedError, RespClient } from "../client/resp-client.ts";
import type { RespValue } from "../resp/reply-parser.ts";
import { relayReply } from "../resp/relay.ts";
import type { Client } from "../server/client.ts";
import type { Server } from "../server/server.ts";
import { log } from "../util/log.ts";

interface Link {
  readonly leaderAddr: string;
  readonly conn: Promise<RespClient>;
  resp: 2 | 3;
}

export class FollowerProxy {
  readonly #server: Server;
  readonly #links = new Map<Client, Link>();

  constructor(server: Server) {
    this.#server = server;
  }

  get connections(): number {
    return this.#links.size;
  }

  /** Forwards `argvs` for `client` to the leader at `leaderAddr`; relays the reply of `replyOf`. */
  forward(client: Client, leaderAddr: string, argvs: string[][], replyOf: number, timeoutMs: number): void {
    const server = this.#server;
    server.beginAsync(client, "other");
    let timer: ReturnType<typeof setTimeout> | null = null;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("TIMEOUT the leader did not answer the proxied command in time")), timeoutMs);
    });
    Promise.race([this.#send(client, leaderAddr, argvs), timeout])
      .then(
        (replies) => relayReply(client.reply, replies[replyOf]),
        (e: Error) => {
          // The outcome is unknown: the leader may have applied it before the link broke.
          this.close(client);
          const msg = e instanceof ConnectionClosedError ? "TIMEOUT connection to the leader lost; the command may or may not have run" : e.message;
          client.reply.error(msg.startsWith("TIMEOUT") ? msg : `TIMEOUT ${msg}`);
        },
      )
      .finally(() => {
        if (timer !== null) clearTimeout(timer);
        server.endAsync(client);
      });
  }

  async #send(client: Client, leaderAddr: string, argvs: string[][]): Promise<RespValue[]> {
    let link = this.#links.get(client);
    if (link !== undefined && link.leaderAddr !== leaderAddr) {
      this.close(client);
      link = undefined;
    }
    if (link === undefined) {
      const i = leaderAddr.lastIndexOf(":");
      const conn = RespClient.connect(leaderAddr.slice(0, i), Number(leaderAddr.slice(i + 1)));
      link = { leaderAddr, conn, resp: 2 };
      this.#links.set(client, link);
    }
    const conn = await link.conn;
    const prefix: string[][] = [];
    if (link.resp !== client.resp) {
      prefix.push(["HELLO", String(client.resp)]);
      link.resp = client.resp;
    }
    const replies = await conn.pipeline([...prefix, ...argvs]);
    return replies.slice(prefix.length);
  }

  /** Drops a client's link (the client closed, or the link failed). */
  close(client: Client): void {
    const link = this.#links.get(client);
    if (link === undefined) return;
    this.#links.delete(client);
    link.conn.then(
      (c) => c.close(),
      (e: Error) => log("verbose", `Proxy link to ${link.leaderAddr} failed: ${e.message}`),
    );
  }
}
