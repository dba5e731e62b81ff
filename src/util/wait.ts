// Waiting on a condition with a bound, never sleeping and hoping: tests, tools and the chaos
// runner poll a probe until it gives a value or the time is up.

/**
 * Polls `probe` every `intervalMs` until it returns something other than undefined, null or
 * false, and returns that. Errors from the probe count as "not yet"; after `timeoutMs` it
 * throws, naming `what` and the last error.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 20000, intervalMs = 20): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    if (performance.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${lastError === null ? "" : `: ${String(lastError)}`}`);
    }
    await Bun.sleep(intervalMs);
  }
}
