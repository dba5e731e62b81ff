// Runs fault steps against a chaos cluster and heals them. One active fault per kind at a time
// (the schedule guarantees it); healAll() ends every fault at once: processes resumed and
// restarted, links passed, clocks reset, disk crashes disarmed.
//
//   kill       SIGKILL the leader / a random node / a majority / all; heal restarts them.
//   pause      SIGSTOP the leader / a minority / a majority; heal sends SIGCONT.
//   partition  cut links: majority|minority halves, the leader alone, a bridge (two sides that
//              only one node hears), one-way (one direction of a random pair), leader-mute (the
//              leader cannot send), leader-deaf (nobody reaches the leader), slow (one node's
//              links delayed 50–500 ms); heal passes every link.
//   member     join a new node; remove a follower or the leader (asking the leader), or remove
//              through a random node (an isolated old leader may take it); or move leadership to
//              a follower (RAFT.TRANSFER_LEADER); instant.
//   clock      shift one node's wall clock (RAFT.DEBUG CLOCK); heal resets every clock.
//   disk       arm RAFT.DEBUG DISKCRASH on a node (a torn log write, a torn snapshot, a crash
//              after the snapshot but before compaction) and make it write; heal restarts it.

import { SimRandom } from "../sim/random.ts";
import type { ChaosCluster, ChaosNode } from "./cluster.ts";
import { replyText } from "./cluster.ts";
import type { LinkState } from "./network.ts";
import type { FaultStep, NemesisKind } from "./schedule.ts";

export interface FaultRecord {
  readonly atMs: number;
  readonly kind: NemesisKind;
  readonly variant: string;
  /** Nodes it hit, and what happened (a removal's reply, a crash that did not come). */
  readonly note: string;
  /** False when the fault could not be injected (no such node now, the node did not crash). */
  readonly injected: boolean;
}

export interface NemesisOptions {
  readonly clock: () => number;
  readonly log: (line: string) => void;
  /** The cluster's intended size: membership changes keep it at size or size + 1. */
  readonly size: number;
}

export class Nemesis {
  readonly faults: FaultRecord[] = [];
  readonly #cluster: ChaosCluster;
  readonly #opts: NemesisOptions;
  readonly #killed = new Set<ChaosNode>();
  readonly #paused = new Set<ChaosNode>();
  readonly #crashed = new Set<ChaosNode>();
  readonly #clocked = new Set<ChaosNode>();

  constructor(cluster: ChaosCluster, opts: NemesisOptions) {
    this.#cluster = cluster;
    this.#opts = opts;
  }

  async apply(step: FaultStep): Promise<void> {
    const rng = new SimRandom(step.seed);
    if (step.action === "stop") {
      await this.#heal(step.kind);
      this.#opts.log(`heal ${step.kind}`);
      return;
    }
    let note: string;
    let injected = true;
    try {
      const r = await this.#start(step.kind, step.variant, rng);
      note = r.note;
      injected = r.injected;
    } catch (e) {
      note = `failed: ${e instanceof Error ? e.message : String(e)}`;
      injected = false;
    }
    this.faults.push({ atMs: this.#opts.clock(), kind: step.kind, variant: step.variant, note, injected });
    this.#opts.log(`${step.kind} ${step.variant}: ${note}`);
  }

  /** Ends every fault: resume, pass every link, reset clocks, disarm, restart what is down. */
  async healAll(): Promise<void> {
    for (const kind of ["pause", "partition", "clock", "disk", "kill"] as const) await this.#heal(kind);
    for (const n of this.#cluster.nodes) if (n.state === "down") await this.#restart(n);
  }

  async #start(kind: NemesisKind, variant: string, rng: SimRandom): Promise<{ note: string; injected: boolean }> {
    switch (kind) {
      case "kill":
        return this.#kill(variant, rng);
      case "pause":
        return this.#pause(variant, rng);
      case "partition":
        return this.#partition(variant, rng);
      case "member":
        return this.#member(variant, rng);
      case "clock":
        return this.#clock(variant, rng);
      case "disk":
        return this.#disk(variant, rng);
    }
  }

  async #heal(kind: NemesisKind): Promise<void> {
    const c = this.#cluster;
    switch (kind) {
      case "kill":
        for (const n of [...this.#killed]) await this.#restart(n);
        this.#killed.clear();
        return;
      case "pause":
        for (const n of this.#paused) c.resume(n);
        this.#paused.clear();
        return;
      case "partition":
        c.network.healAll();
        return;
      case "clock":
        await Promise.all([...this.#clocked].map((n) => c.call(n, ["RAFT.DEBUG", "CLOCK", "0"]).catch(() => null)));
        this.#clocked.clear();
        return;
      case "disk":
        for (const n of [...this.#crashed]) {
          if (n.state === "up") await c.call(n, ["RAFT.DEBUG", "DISKCRASH", "off"]).catch(() => null);
          await this.#restart(n);
        }
        this.#crashed.clear();
        return;
      case "member":
        return;
    }
  }

  async #restart(n: ChaosNode): Promise<void> {
    if (n.state !== "down") return;
    try {
      await this.#cluster.restart(n);
    } catch (e) {
      this.#opts.log(`restart of ${n.name} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  // ---- targets ----

  /** Running members (up), with the current leader found by asking them. */
  async #leaderOr(rng: SimRandom): Promise<ChaosNode | null> {
    const leader = await this.#cluster.leader();
    if (leader !== null) return leader;
    const up = this.#cluster.up();
    return up.length === 0 ? null : rng.pick(up);
  }

  #majority(of: number): number {
    return Math.floor(of / 2) + 1;
  }

  // ---- faults ----

  async #kill(variant: string, rng: SimRandom) {
    const c = this.#cluster;
    const up = c.up();
    let targets: ChaosNode[];
    if (variant === "leader") targets = [await this.#leaderOr(rng)].filter((n): n is ChaosNode => n !== null);
    else if (variant === "random") targets = up.length === 0 ? [] : [rng.pick(up)];
    else if (variant === "majority") targets = rng.shuffled(up).slice(0, this.#majority(c.members().length));
    else targets = up;
    await Promise.all(targets.map((n) => c.kill(n)));
    for (const n of targets) this.#killed.add(n);
    return { note: names(targets), injected: targets.length > 0 };
  }

  async #pause(variant: string, rng: SimRandom) {
    const c = this.#cluster;
    const up = c.up();
    const m = c.members().length;
    let targets: ChaosNode[];
    if (variant === "leader") targets = [await this.#leaderOr(rng)].filter((n): n is ChaosNode => n !== null);
    else if (variant === "minority") targets = rng.shuffled(up).slice(0, Math.max(1, Math.floor((m - 1) / 2)));
    else targets = rng.shuffled(up).slice(0, this.#majority(m));
    for (const n of targets) {
      c.pause(n);
      this.#paused.add(n);
    }
    return { note: names(targets), injected: targets.length > 0 };
  }

  async #partition(variant: string, rng: SimRandom) {
    const c = this.#cluster;
    const net = c.network;
    const members = c.members();
    const cut: LinkState = { kind: "cut" };
    const cutBoth = (a: ChaosNode[], b: ChaosNode[]) => {
      for (const x of a) for (const y of b) {
        net.setLink(x.index, y.index, cut);
        net.setLink(y.index, x.index, cut);
      }
    };
    const shuffled = rng.shuffled(members);
    // No leader right now (nodes down or paused): the partition still shapes what comes next.
    const leader = variant.startsWith("leader") || variant === "isolate-leader" ? ((await c.leader()) ?? rng.pick(members)) : null;
    switch (variant) {
      case "halves": {
        const minority = shuffled.slice(0, Math.floor(members.length / 2));
        const majority = shuffled.slice(minority.length);
        cutBoth(minority, majority);
        return { note: `${names(minority)} | ${names(majority)}`, injected: minority.length > 0 };
      }
      case "isolate-leader": {
        if (leader === null) return { note: "no node up", injected: false };
        cutBoth([leader], members.filter((n) => n !== leader));
        return { note: `${leader.name} alone`, injected: true };
      }
      case "bridge": {
        const sideA = shuffled.slice(0, Math.floor((members.length - 1) / 2));
        const bridge = shuffled[sideA.length];
        const sideB = shuffled.slice(sideA.length + 1);
        cutBoth(sideA, sideB);
        return { note: `${names(sideA)} | ${bridge.name} | ${names(sideB)}`, injected: sideA.length > 0 && sideB.length > 0 };
      }
      case "one-way": {
        const [a, b] = shuffled;
        net.setLink(a.index, b.index, cut);
        return { note: `${a.name} → ${b.name} cut`, injected: true };
      }
      case "leader-mute":
      case "leader-deaf": {
        if (leader === null) return { note: "no node up", injected: false };
        for (const n of members) {
          if (n === leader) continue;
          if (variant === "leader-mute") net.setLink(leader.index, n.index, cut);
          else net.setLink(n.index, leader.index, cut);
        }
        return { note: `${leader.name} ${variant === "leader-mute" ? "cannot send" : "hears nobody"}`, injected: true };
      }
      default: {
        const slow = rng.pick(members);
        const ms = rng.between(50, 500);
        for (const n of members) {
          if (n === slow) continue;
          net.setLink(slow.index, n.index, { kind: "delay", ms });
          net.setLink(n.index, slow.index, { kind: "delay", ms });
        }
        return { note: `${slow.name}'s links +${ms} ms`, injected: true };
      }
    }
  }

  async #member(variant: string, rng: SimRandom) {
    const c = this.#cluster;
    const joined = c.members().filter((n) => n.id !== 0);
    if (variant === "join") {
      const n = await c.addNode();
      return { note: `${n.name} joins`, injected: true };
    }
    if (variant === "transfer-leader") {
      const leader = await c.leader();
      const to = rng.pick(joined.filter((n) => n !== leader && n.state === "up"));
      if (leader === null || to === undefined) return { note: "no leader or no follower up", injected: false };
      const reply = await c.call(leader, ["RAFT.TRANSFER_LEADER", String(to.id)], 5000).then(replyText, (e: Error) => `no reply (${e.message})`);
      return { note: `leadership ${leader.name} → ${to.name}: ${reply}`, injected: true };
    }
    // Removals keep at least the intended size (an earlier join may not have completed).
    if (joined.length <= this.#opts.size) return { note: `${joined.length} members: nothing to remove`, injected: false };
    const leader = await c.leader();
    if (leader === null) return { note: "no leader to ask", injected: false };
    let target: ChaosNode;
    let via: ChaosNode = leader;
    if (variant === "remove-leader") target = leader;
    else {
      target = rng.pick(joined.filter((n) => n !== leader));
      if (variant === "remove-via-random") via = rng.pick(c.up());
    }
    const reply = await c.call(via, ["RAFT.NODE", "REMOVE", String(target.id)], 5000).then(replyText, (e: Error) => `no reply (${e.message})`);
    const wasDown = target.state === "down";
    if (reply === "OK") {
      c.expectExit(target);
      c.forget(target);
    }
    return { note: `remove ${target.name} (id ${target.id}${wasDown ? ", down" : ""}) via ${via.name}: ${reply}`, injected: true };
  }

  async #clock(variant: string, rng: SimRandom) {
    const c = this.#cluster;
    const [who, offset] = variant.split(":");
    const up = c.up();
    const target = who === "leader" ? await this.#leaderOr(rng) : up.length === 0 ? null : rng.pick(up);
    if (target === null) return { note: "no node up", injected: false };
    const reply = replyText(await c.call(target, ["RAFT.DEBUG", "CLOCK", String(Number(offset))]));
    this.#clocked.add(target);
    return { note: `${target.name} clock ${offset} ms (${reply})`, injected: true };
  }

  async #disk(variant: string, rng: SimRandom) {
    const c = this.#cluster;
    const [point, who] = variant.split(":");
    const up = c.up();
    const target = who === "leader" ? await this.#leaderOr(rng) : up.length === 0 ? null : rng.pick(up);
    if (target === null) return { note: "no node up", injected: false };
    c.expectExit(target);
    this.#crashed.add(target);
    // A busy leader may die before the reply leaves: a lost connection counts as armed.
    const armed = await c.call(target, ["RAFT.DEBUG", "DISKCRASH", point]).then(replyText, () => "OK");
    if (armed !== "OK") return { note: `${target.name}: ${armed}`, injected: false };
    // A snapshot crash needs a snapshot: take one now (the reply never comes, the node dies).
    if (point !== "torn-log") void c.call(target, ["RAFT.DEBUG", "COMPACT"], 5000).catch(() => null);
    const died = await c.waitFor(`${target.name} to crash`, 5000, async () => target.state === "down").catch(() => false);
    if (died) return { note: `${target.name} crashed (${point})`, injected: true };
    // Nothing to write (no new entries since the last snapshot): disarm, it stays up.
    await c.call(target, ["RAFT.DEBUG", "DISKCRASH", "off"]).catch(() => null);
    if (target.state === "up") target.expectExit = false;
    return { note: `${target.name} did not write, disarmed`, injected: false };
  }
}

function names(nodes: readonly ChaosNode[]): string {
  return nodes.length === 0 ? "nobody" : nodes.map((n) => n.name).join(",");
}
