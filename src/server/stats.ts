// Counters for INFO stats and INFO commandstats. CONFIG RESETSTAT clears them.

export interface CommandStat {
  calls: number;
  usec: number;
  rejectedCalls: number;
  failedCalls: number;
}

export class ServerStats {
  totalConnections = 0;
  rejectedConnections = 0;
  totalCommands = 0;
  netInputBytes = 0;
  netOutputBytes = 0;
  expiredKeys = 0;
  errorReplies = 0;
  readonly commands = new Map<string, CommandStat>();

  #stat(name: string): CommandStat {
    let s = this.commands.get(name);
    if (s === undefined) {
      s = { calls: 0, usec: 0, rejectedCalls: 0, failedCalls: 0 };
      this.commands.set(name, s);
    }
    return s;
  }

  called(name: string, ms: number, failed: boolean): void {
    const s = this.#stat(name);
    s.calls++;
    s.usec += Math.round(ms * 1000);
    if (failed) {
      s.failedCalls++;
      this.errorReplies++;
    }
    this.totalCommands++;
  }

  rejected(name: string): void {
    this.#stat(name).rejectedCalls++;
    this.errorReplies++;
  }

  reset(): void {
    this.totalConnections = 0;
    this.rejectedConnections = 0;
    this.totalCommands = 0;
    this.netInputBytes = 0;
    this.netOutputBytes = 0;
    this.expiredKeys = 0;
    this.errorReplies = 0;
    this.commands.clear();
  }
}
