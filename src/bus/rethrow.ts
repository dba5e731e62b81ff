// Errors inside socket handlers. Bun hands what a handler throws to the socket's `error`
// handler, which would look like a bad connection. Two kinds are not the peer's fault and must
// end the node instead (an uncaught exception ends the worker): a failed assertion in the bus,
// and anything the node's own callbacks (onMessage, onPeerState) throw.

import { AssertionError } from "../util/assert.ts";

function throwOutside(e: unknown): void {
  queueMicrotask(() => {
    throw e;
  });
}

/** Called first in every `error` handler: a bug is thrown again outside the handler. */
export function rethrowBug(err: Error): void {
  if (err instanceof AssertionError) throwOutside(err);
}

/** Runs a callback of the node from inside a socket handler. */
export function callOut(f: () => void): void {
  try {
    f();
  } catch (e) {
    throwOutside(e);
  }
}
