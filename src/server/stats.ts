// Counters for INFO stats, INFO commandstats and INFO errorstats. CONFIG RESETSTAT clears them.

import { errorStatsMaxCodes, instantaneousSamples } from "../constants.ts";

export interface CommandStat {
  calls: number;
  usec: number;
  rejectedCalls: number;
  failedCalls: number;
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
  /** Error replies by code (the first word: ERR, WRONGTYPE, ...), at most errorStatsMaxCodes. */
  readonly errorCodes = new Map<string, number>();
  readonly opsPerSec = new RateMeter();
  readonly inputBytesPerSec = new RateMeter();
  readonly outputBytesPerSec = new RateMeter();

  #stat(name: string): CommandStat {
    let s = this.commands.get(name);
    if (s === undefined) {
      s = { calls: 0, usec: 0, rejectedCalls: 0, failedCalls: 0 };
      this.commands.set(name, s);
    }
    return s;
  }

  /** A command ran; `failed` when it replied with an error. */
  called(name: string, ms: number, failed: boolean): void {
    const s = this.#stat(name);
    s.calls++;
    s.usec += Math.round(ms * 1000);
    if (failed) s.failedCalls++;
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
    this.errorCodes.clear();
    this.opsPerSec.reset();
    this.inputBytesPerSec.reset();
    this.outputBytesPerSec.reset();
  }
}
