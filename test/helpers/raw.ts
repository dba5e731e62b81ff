// Raw byte exchanges with a server, for protocol tests: send exact bytes (in chosen chunks),
// collect exactly what comes back, until the server closes the connection or a marker
// reply arrives. No timing guesses: every wait has a condition and a bound.

import type { Socket } from "bun";
import { waitFor } from "./wait.ts";

export interface RawConnection {
  /** Everything received so far, as a binary string. */
  readonly received: () => string;
  readonly closed: () => boolean;
  write(bytes: string | Uint8Array): Promise<void>;
  /** Waits until what was received contains `text`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  waitClosed(timeoutMs?: number): Promise<void>;
  /** Stops reading (the kernel's buffers fill, the server sees a slow reader). */
  pause(): void;
  resume(): void;
  close(): void;
}

export async function rawConnect(port: number): Promise<RawConnection> {
  const chunks: Buffer[] = [];
  let closed = false;
  let unsent: Buffer[] = [];
  let drained: (() => void) | null = null;
  const socket: Socket<undefined> = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data: (_s, d) => {
        chunks.push(Buffer.from(d));
      },
      drain: (s) => {
        while (unsent.length > 0) {
          const n = Math.max(0, s.write(unsent[0]));
          if (n < unsent[0].length) {
            unsent[0] = unsent[0].subarray(n);
            return;
          }
          unsent.shift();
        }
        drained?.();
      },
      close: () => {
        closed = true;
        drained?.();
      },
      error: () => {
        closed = true;
        drained?.();
      },
    },
  });
  let cache = "";
  let cachedChunks = 0;
  const received = (): string => {
    if (cachedChunks !== chunks.length) {
      cache = Buffer.concat(chunks).toString("latin1");
      cachedChunks = chunks.length;
    }
    return cache;
  };
  return {
    received,
    closed: () => closed,
    write: async (bytes) => {
      const buf = typeof bytes === "string" ? Buffer.from(bytes, "latin1") : Buffer.from(bytes);
      if (unsent.length === 0) {
        const n = Math.max(0, socket.write(buf));
        if (n < buf.length) unsent.push(buf.subarray(n));
      } else {
        unsent.push(buf);
      }
      if (unsent.length > 0 && !closed) {
        await new Promise<void>((resolve) => {
          drained = resolve;
        });
        drained = null;
      }
    },
    waitFor: (text, timeoutMs = 10000) =>
      waitFor(`${JSON.stringify(text.slice(0, 60))} in the reply`, () => received().includes(text) || (closed && received().includes(text)), timeoutMs).then(() => undefined),
    waitClosed: (timeoutMs = 10000) => waitFor("the server to close the connection", () => closed, timeoutMs).then(() => undefined),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    close: () => {
      unsent = [];
      socket.end();
    },
  };
}

/** A RESP multibulk request. */
export function mb(...argv: string[]): string {
  return `*${argv.length}\r\n${argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("")}`;
}
