// A chaos client: one connection at a time, to whichever node it believes leads. It follows
// -MOVED, moves on from a node that refuses connections or has no leader, and classifies every
// request's outcome by DESIGN §2's rules:
//
//   ok       a reply that is not an error
//   fail     the request certainly did not take effect: -MOVED, -CLUSTERDOWN, -NOCLUSTER,
//            -TRYAGAIN, -LOADING, -EXECABORT, -WRONGTYPE, "value is not an integer"
//   unknown  -TIMEOUT, the connection lost mid-request, no reply within the client's timeout,
//            or an error the rules do not name (counted apart: it may be a bug)
//
// After an unknown outcome the connection is dropped, so a late reply can never be taken for
// the answer to a later request.

import { RespClient } from "../client/resp-client.ts";
import type { RespValue } from "../resp/reply-parser.ts";

export type Outcome = { readonly kind: "ok"; readonly replies: RespValue[] } | { readonly kind: "fail"; readonly why: string } | { readonly kind: "unknown"; readonly why: string };

/** Errors after which the request certainly did not happen. */
const certainlyNot = /^(MOVED|CLUSTERDOWN|NOCLUSTER|TRYAGAIN|LOADING|EXECABORT|WRONGTYPE|ERR value is not an integer)/;

export function classifyError(message: string): "fail" | "unknown" {
  return certainlyNot.test(message) ? "fail" : "unknown";
}

export interface ClientEnv {
  /** Client addresses (host:port) of the nodes that are members now. */
  readonly addresses: () => string[];
  readonly random: () => number;
  readonly timeoutMs: number;
  /** Unexpected error texts, counted (an error §2 does not name may be a bug). */
  readonly onOddError: (message: string) => void;
}

export class ChaosClient {
  readonly #env: ClientEnv;
  #target: string | null = null;
  #conn: RespClient | null = null;

  constructor(env: ClientEnv) {
    this.#env = env;
  }

  /**
   * Makes sure a connection is open (to the believed leader or any member). Returns false when
   * none could be opened: nothing was sent, so nothing is recorded.
   */
  async connect(): Promise<boolean> {
    if (this.#conn !== null && !this.#conn.closed) return true;
    const addrs = this.#env.addresses();
    if (addrs.length === 0) return false;
    const target = this.#target !== null && addrs.includes(this.#target) ? this.#target : addrs[Math.floor(this.#env.random() * addrs.length)];
    const [host, port] = splitAddr(target);
    try {
      this.#conn = await RespClient.connect(host, port, Math.min(this.#env.timeoutMs, 1000));
      this.#target = target;
      return true;
    } catch {
      this.#conn = null;
      this.#target = null;
      return false;
    }
  }

  /**
   * Sends `commands` as one pipeline and waits for all their replies; `judge` turns them into an
   * outcome (it sees error replies as values). Call connect() first.
   */
  async run(commands: readonly (readonly string[])[], judge: (replies: RespValue[]) => Outcome): Promise<Outcome> {
    const conn = this.#conn;
    if (conn === null || conn.closed) return { kind: "fail", why: "not connected" };
    let timer: ReturnType<typeof setTimeout> | null = null;
    let replies: RespValue[];
    try {
      replies = await Promise.race([
        conn.pipeline(commands),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("client timeout")), this.#env.timeoutMs))),
      ]);
    } catch (e) {
      // Connection lost or no reply in time: the node may be dead or cut off, try another next.
      this.#drop();
      this.#target = null;
      return { kind: "unknown", why: e instanceof Error ? e.message : String(e) };
    } finally {
      if (timer !== null) clearTimeout(timer);
    }
    const outcome = judge(replies);
    if (outcome.kind === "ok") return outcome;
    this.#afterError(outcome.why);
    return outcome;
  }

  /** Outcome of a reply that is an error, by §2's rules. */
  errorOutcome(message: string): Outcome {
    const kind = classifyError(message);
    if (kind === "unknown" && !message.startsWith("TIMEOUT")) this.#env.onOddError(message.split(" ").slice(0, 4).join(" "));
    return { kind, why: message };
  }

  close(): void {
    this.#drop();
  }

  #afterError(why: string): void {
    const moved = /MOVED \d+ (\S+)/.exec(why);
    if (moved !== null) {
      // Follow the redirect on the next request.
      this.#drop();
      this.#target = moved[1];
      return;
    }
    if (/^(TIMEOUT|CLUSTERDOWN|NOCLUSTER|LOADING|client timeout|Connection closed)/.test(why) || /CLUSTERDOWN|NOCLUSTER/.test(why)) {
      // This node cannot serve now: try another one next time.
      this.#drop();
      this.#target = null;
    }
  }

  #drop(): void {
    this.#conn?.close();
    this.#conn = null;
  }
}

function splitAddr(addr: string): [string, number] {
  const i = addr.lastIndexOf(":");
  return [addr.slice(0, i), Number(addr.slice(i + 1))];
}
