// A small pipelining RESP client over Bun.connect: sends commands, resolves replies in order.
// Used for node-to-node administration (JOIN asking a leader to add us), tools and tests.

import type { Socket } from "bun";
import { encodeCommand, ReplyParser, type RespValue } from "../resp/reply-parser.ts";

export class ConnectionClosedError extends Error {
  override name = "ConnectionClosedError";
}

interface Pending {
  resolve: (v: RespValue) => void;
  reject: (e: Error) => void;
}

export class RespClient {
  readonly #socket: Socket<undefined>;
  readonly #parser = new ReplyParser();
  readonly #pending: Pending[] = [];
  readonly #closeWaiters: (() => void)[] = [];
  #unsent: Buffer[] = [];
  #closed = false;

  private constructor(socket: Socket<undefined>) {
    this.#socket = socket;
  }

  static async connect(host: string, port: number, timeoutMs = 5000): Promise<RespClient> {
    let client: RespClient | null = null;
    const connecting = Bun.connect({
      hostname: host,
      port,
      socket: {
        data: (_s, data) => {
          if (client !== null) client.#onData(data);
        },
        drain: () => {
          if (client !== null) client.#onDrain();
        },
        close: () => {
          if (client !== null) client.#onClose();
        },
        error: () => {
          if (client !== null) client.#onClose();
        },
      },
    });
    let timer: ReturnType<typeof setTimeout> | null = null;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Cannot connect to ${host}:${port}: timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const socket = await Promise.race([connecting, timeout]);
      client = new RespClient(socket);
      return client;
    } finally {
      if (timer !== null) clearTimeout(timer);
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends one command; resolves with its reply (errors are values, not rejections). */
  call(...argv: string[]): Promise<RespValue> {
    return this.send(encodeCommand(argv));
  }

  /** Sends raw bytes expected to produce exactly one reply. */
  send(bytes: Uint8Array): Promise<RespValue> {
    if (this.#closed) return Promise.reject(new ConnectionClosedError("Connection closed"));
    const p = new Promise<RespValue>((resolve, reject) => this.#pending.push({ resolve, reject }));
    this.#write(Buffer.from(bytes));
    return p;
  }

  /** Sends many commands in one write; resolves with all their replies in order. */
  pipeline(commands: readonly (readonly string[])[]): Promise<RespValue[]> {
    if (this.#closed) return Promise.reject(new ConnectionClosedError("Connection closed"));
    const replies = commands.map(() => new Promise<RespValue>((resolve, reject) => this.#pending.push({ resolve, reject })));
    this.#write(Buffer.concat(commands.map((c) => encodeCommand(c))));
    return Promise.all(replies);
  }

  /** Writes bytes that produce no reply we wait for (protocol tests). */
  writeRaw(bytes: Uint8Array | string): void {
    this.#write(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : Buffer.from(bytes));
  }

  /** Resolves with the next reply that arrives (for replies to writeRaw). */
  nextReply(): Promise<RespValue> {
    if (this.#closed) return Promise.reject(new ConnectionClosedError("Connection closed"));
    return new Promise<RespValue>((resolve, reject) => this.#pending.push({ resolve, reject }));
  }

  /** Resolves when the server closes the connection. */
  waitClosed(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#closeWaiters.push(resolve));
  }

  close(): void {
    if (this.#closed) return;
    this.#socket.end();
    this.#onClose();
  }

  #write(bytes: Buffer): void {
    if (this.#unsent.length > 0) {
      this.#unsent.push(bytes);
      return;
    }
    const n = Math.max(0, this.#socket.write(bytes));
    if (n < bytes.length) this.#unsent.push(bytes.subarray(n));
  }

  #onDrain(): void {
    while (this.#unsent.length > 0) {
      const head = this.#unsent[0];
      const n = Math.max(0, this.#socket.write(head));
      if (n < head.length) {
        this.#unsent[0] = head.subarray(n);
        return;
      }
      this.#unsent.shift();
    }
  }

  #onData(data: Buffer): void {
    this.#parser.feed(data);
    for (;;) {
      const v = this.#parser.next();
      if (v === undefined) return;
      const p = this.#pending.shift();
      p?.resolve(v);
    }
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of this.#pending.splice(0)) p.reject(new ConnectionClosedError("Connection closed"));
    for (const w of this.#closeWaiters.splice(0)) w();
  }
}
