// Assertions stay on in production: a broken invariant means this node's state can no longer be
// trusted, so it stops rather than serve or replicate wrong data. Bad client input is never an
// assertion; it is an error reply.

export class AssertionError extends Error {
  override name = "AssertionError";
}

export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new AssertionError(`Assertion failed: ${message}`);
}

export function unreachable(value: never, message = "unreachable"): never {
  throw new AssertionError(`${message}: ${String(value)}`);
}
