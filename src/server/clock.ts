// The node's wall clock. Everything outside the state machine that needs the time asks here,
// so a fault-injection test can shift one node's clock (the chaos "clock" nemesis).

export class Clock {
  /** Test hook: milliseconds added to the system clock. */
  offsetMs = 0;
  #last = 0;

  /** Milliseconds since the epoch, never lower than a previous reading. */
  now(): number {
    const t = Date.now() + this.offsetMs;
    if (t > this.#last) this.#last = t;
    return this.#last;
  }
}
