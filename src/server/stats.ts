// Counters for INFO stats, INFO commandstats and INFO errorstats. CONFIG RESETSTAT clears them.

import { errorStatsMaxCodes, instantaneousSamples } from "../constants.ts";

/**
 * One command's INFO commandstats line. Reading the clock costs ~30 ns in Bun, about a fifth
 * of a whole SET, so a command is timed on one call in commandTimingSampleEvery (its first
 * call included) and `usec` is extrapolated from the timed calls.
 */
export class CommandStat {
  calls = 0;
  rejectedCalls = 0;
  failedCalls = 0;
  timedCalls = 0;
  timedUsec = 0;

  get usec(): number {
    return this.timedCalls === 0 ? 0 : Math.round((this.timedUsec * this.calls) / this.timedCalls);
  }
}

/** A rate sampled hz times a second and averaged, as Redis's instantaneous_* fields. */
class RateMeter {
  readonly #samples = new Float64Array(instantaneousSamples);
  #index = 0;
  #lastValue = 0;
  #lastMs = 0;

  sample(value: number, nowMs: number): void {
    if (this.#lastMs > 0 && nowMs > this.#lastMs) {
      this.#samples[this.#index] = ((value - this.#lastValue) * 1000) / (nowMs - this.#lastMs);
      this.#index = (this.#index + 1) % this.#samples.length;
    }
    this.#lastValue = value;
    this.#lastMs = nowMs;
  }

  /** Per second, averaged over the samples. */
  get value(): number {
    let sum = 0;
    for (const s of this.#samples) sum += s;
    return sum / this.#samples.length;
  }

  reset(): void {
    this.#samples.fill(0);
    this.#lastMs = 0;
  }
}

export class ServerStats {
  totalConnections = 0;
  rejectedConnections = 0;
  totalCommands = 0;
  netInputBytes = 0;
  netOutputBytes = 0;
  /** Socket reads and writes (INFO total_reads_processed / total_writes_processed). */
  reads = 0;
  writes = 0;
  expiredKeys = 0;
  errorReplies = 0;
  /** Clients closed for exceeding client-output-buffer-limit. */
  clientOutputLimitDisconnections = 0;
  readonly commands = new Map<string, CommandStat>();
  /** The same stats keyed by table row: the hot path avoids hashing the name. */
  readonly #bySpec = new Map<object, CommandStat>();
  /** Error replies by code (the first word: ERR, WRONGTYPE, ...), at most errorStatsMaxCodes. */
  readonly errorCodes = new Map<string, number>();
  readonly opsPerSec = new RateMeter();
  readonly inputBytesPerSec = new RateMeter();
  readonly outputBytesPerSec = new RateMeter();

  #stat(name: string): CommandStat {
    let s = this.commands.get(name);
    if (s === undefined) {
      s = new CommandStat();
      this.commands.set(name, s);
    }
    return s;
  }

  /** The stats of a command table row (`spec.name` names it in INFO). */
  statFor(spec: { readonly name: string }): CommandStat {
    let s = this.#bySpec.get(spec);
    if (s === undefined) {
      s = this.#stat(spec.name);
      this.#bySpec.set(spec, s);
    }
    return s;
  }

  /** A command ran; `ms` is its duration when it was timed (null otherwise). */
  called(stat: CommandStat, ms: number | null, failed: boolean): void {
    stat.calls++;
    if (ms !== null) {
      stat.timedCalls++;
      stat.timedUsec += ms * 1000;
    }
    if (failed) stat.failedCalls++;
    this.totalCommands++;
  }

  /** A known command was refused before running (arity, NOAUTH, OOM, ...). */
  rejected(name: string): void {
    this.#stat(name).rejectedCalls++;
  }

  /** Every error reply, whatever produced it. */
  errorReply(message: string): void {
    this.errorReplies++;
    const space = message.indexOf(" ");
    const code = space < 0 ? message : message.slice(0, space);
    const n = this.errorCodes.get(code);
    if (n !== undefined) this.errorCodes.set(code, n + 1);
    else if (this.errorCodes.size < errorStatsMaxCodes) this.errorCodes.set(code, 1);
  }

  /** Called hz times a second. */
  sample(nowMs: number): void {
    this.opsPerSec.sample(this.totalCommands, nowMs);
    this.inputBytesPerSec.sample(this.netInputBytes, nowMs);
    this.outputBytesPerSec.sample(this.netOutputBytes, nowMs);
  }

  reset(): void {
    this.totalConnections = 0;
    this.rejectedConnections = 0;
    this.totalCommands = 0;
    this.netInputBytes = 0;
    this.netOutputBytes = 0;
    this.reads = 0;
    this.writes = 0;
    this.expiredKeys = 0;
    this.errorReplies = 0;
    this.clientOutputLimitDisconnections = 0;
    this.commands.clear();
    this.#bySpec.clear();
    this.errorCodes.clear();
    this.opsPerSec.reset();
    this.inputBytesPerSec.reset();
    this.outputBytesPerSec.reset();
  }
}
