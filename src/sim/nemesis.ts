// The fault injector. During fault phases it acts every few milliseconds, choosing among actions
// with weights set by the run's mode (src/sim/profile.ts), and it reacts to two moments every
// Raft run has: a node winning an election, and a node sending a granted vote. It only sees what
// an operator with a network tap would (roles, messages): it never knows which bugs are planted.

import type { NodeId, Role } from "../raft/types.ts";
import { simTickUs } from "../constants.ts";
import type { Network, Weather } from "./network.ts";
import type { NemesisMode, Profile } from "./profile.ts";
import type { SimRandom } from "./random.ts";
import { figure8, staleLeader, voteAmnesia, type Script } from "./schedules.ts";

/** What the nemesis may do to the cluster (implemented by the simulation). */
export interface NemesisHost {
  readonly rng: SimRandom;
  readonly network: Network;
  now(): number;
  after(delayUs: number, run: () => void): void;
  inFaultPhase(): boolean;
  /** Nodes running, crashed (and not removed), and both. */
  upIds(): NodeId[];
  downIds(): NodeId[];
  liveIds(): NodeId[];
  /** The up node that leads with the highest term, if any. */
  leaderId(): NodeId | null;
  /** The role of an up node; null when it is not up. */
  roleOf(id: NodeId): Role | null;
  /** An up node's last log entry as "term/index" (what INFO shows); null when it is not up. */
  logEnd(id: NodeId): string | null;
  /** Incremented on every crash and restart of `id`: a scheduled action checks it is still the same run. */
  incarnation(id: NodeId): number;
  crash(id: NodeId, why: string): void;
  restart(id: NodeId, why: string): void;
  /** An operator's RAFT.TIMEOUT_NOW: `id` starts an election now. */
  campaign(id: NodeId, why: string): void;
  /** Scales `id`'s tick rate (1 = its normal pace; 0.5 = half as many ticks). */
  setClock(id: NodeId, rate: number): void;
  transferLeadership(): void;
  addLearner(): void;
  promoteLearner(): void;
  removeMember(leader: boolean): void;
  note(text: string): void;
}

type Action =
  | "partition"
  | "isolate"
  | "oneWay"
  | "healLinks"
  | "weather"
  | "crash"
  | "crashLeader"
  | "crashMajority"
  | "crashAll"
  | "restart"
  | "clock"
  | "isolateLeader"
  | "transfer"
  | "addLearner"
  | "promote"
  | "removeFollower"
  | "removeLeader"
  | "figure8"
  | "voteAmnesia";

type Weights = Partial<Record<Action, number>>;

const modeWeights: Record<NemesisMode, Weights> = {
  mixed: {
    partition: 5, isolate: 5, oneWay: 6, healLinks: 10, weather: 5, crash: 6, crashLeader: 5, crashMajority: 2, crashAll: 1,
    restart: 14, clock: 4, isolateLeader: 2, transfer: 4, addLearner: 2, promote: 3, removeFollower: 1, removeLeader: 1, figure8: 1,
    voteAmnesia: 1,
  },
  partitions: { partition: 10, isolate: 10, oneWay: 12, healLinks: 12, weather: 8, crash: 2, restart: 6, clock: 3, transfer: 3 },
  crashes: { crash: 10, crashLeader: 8, crashMajority: 5, crashAll: 3, restart: 22, weather: 3, healLinks: 3, oneWay: 2 },
  "flaky-leaders": { figure8: 20, restart: 14, crashLeader: 3, crash: 1, weather: 4, isolate: 2, oneWay: 2, healLinks: 5 },
  "vote-crash": { voteAmnesia: 20, crashAll: 3, crashMajority: 4, crashLeader: 6, crash: 2, restart: 12, weather: 4, healLinks: 2 },
  "stale-leader": { isolateLeader: 10, healLinks: 3, restart: 6, crash: 1, weather: 3, clock: 2, transfer: 2 },
  membership: {
    addLearner: 6, promote: 6, removeFollower: 4, removeLeader: 2, transfer: 6, crash: 3, crashLeader: 1, restart: 8, partition: 2,
    healLinks: 4, weather: 3,
  },
};

export class Nemesis {
  readonly #host: NemesisHost;
  readonly #profile: Profile;
  readonly #weights: Weights;
  /** A scripted schedule in progress (src/sim/schedules.ts): other actions wait for it. */
  #script: Script | null = null;
  #step = 0;
  #stepDeadline = 0;

  constructor(host: NemesisHost, profile: Profile) {
    this.#host = host;
    this.#profile = profile;
    this.#weights = modeWeights[profile.mode];
  }

  /** A scripted schedule is under way (the heal waits for it, within reason). */
  get busy(): boolean {
    return this.#script !== null;
  }

  /** Time until the next action. */
  nextDelayUs(): number {
    return this.#host.rng.between(1, 8) * simTickUs;
  }

  /** One action of a fault phase. */
  act(): void {
    if (this.#script !== null) return;
    const h = this.#host;
    const rng = h.rng;
    const action = rng.weighted(this.#weights as Record<Action, number>);
    const live = h.liveIds();
    const up = h.upIds();
    switch (action) {
      case "partition": {
        const ids = rng.shuffled(live);
        if (ids.length < 2) return;
        const cut = rng.between(1, ids.length - 1);
        const groups = [ids.slice(0, cut), ids.slice(cut)];
        h.network.partition(groups);
        h.note(`nemesis: partition (${groups[0].join(",")}) / (${groups[1].join(",")})`);
        return;
      }
      case "isolate": {
        if (live.length === 0) return;
        const id = rng.pick(live);
        h.network.isolate(id, live);
        h.note(`nemesis: isolate ${id}`);
        return;
      }
      case "oneWay": {
        if (live.length < 2) return;
        const [a, b] = rng.shuffled(live);
        h.network.cut(a, b);
        h.note(`nemesis: cut ${a}>${b} (one way)`);
        return;
      }
      case "healLinks":
        h.network.heal();
        h.note("nemesis: heal links");
        return;
      case "weather":
        h.network.weather = this.#drawWeather();
        h.note(`nemesis: weather loss=${pct(h.network.weather.loss)} dup=${pct(h.network.weather.dup)} slow=${pct(h.network.weather.slow)}`);
        return;
      case "crash":
        if (up.length > 0) h.crash(rng.pick(up), "nemesis: crash");
        return;
      case "crashLeader": {
        const id = h.leaderId();
        if (id !== null) h.crash(id, "nemesis: crash the leader");
        return;
      }
      case "crashMajority": {
        const ids = rng.shuffled(up).slice(0, Math.floor(live.length / 2) + 1);
        for (const id of ids) h.crash(id, "nemesis: crash a majority");
        this.#restartLater(ids, 0, 3 * simTickUs);
        return;
      }
      case "crashAll":
        for (const id of up) h.crash(id, "nemesis: crash every node");
        // Restarting together lines up everyone's election timers: candidates collide.
        this.#restartLater(up, 0, simTickUs);
        return;
      case "restart": {
        const down = h.downIds();
        if (down.length > 0) h.restart(rng.pick(down), "nemesis: restart");
        return;
      }
      case "clock": {
        if (up.length === 0) return;
        const id = rng.pick(up);
        const rate = rng.pick([0.25, 0.5, 0.75, 1.5, 2, 3]);
        h.setClock(id, rate);
        h.note(`nemesis: clock of ${id} runs at ${rate}x`);
        const inc = h.incarnation(id);
        h.after(rng.between(20, 100) * simTickUs, () => {
          if (h.incarnation(id) === inc) h.setClock(id, 1);
        });
        return;
      }
      case "isolateLeader":
        this.#startScript(staleLeader(h));
        return;
      case "transfer":
        h.transferLeadership();
        return;
      case "addLearner":
        h.addLearner();
        return;
      case "promote":
        h.promoteLearner();
        return;
      case "removeFollower":
        h.removeMember(false);
        return;
      case "removeLeader":
        h.removeMember(true);
        return;
      case "figure8":
        this.#startScript(figure8(h));
        return;
      case "voteAmnesia":
        this.#startScript(voteAmnesia(h));
        return;
    }
  }

  #startScript(script: Script): void {
    const h = this.#host;
    this.#script = script;
    this.#step = 0;
    this.#stepDeadline = h.now() + script.steps[0].limitTicks * simTickUs;
    h.note(`nemesis: ${script.name} begins`);
    this.#pollScript();
  }

  #pollScript(): void {
    const h = this.#host;
    const script = this.#script;
    if (script === null) return;
    if (!h.inFaultPhase()) return this.#endScript("the fault phase ended");
    const step = script.steps[this.#step];
    const r = step.poll();
    if (r === "abort") return this.#endScript(`the cluster went another way (${step.what})`);
    if (r === "next") {
      if (++this.#step === script.steps.length) return this.#endScript("done");
      this.#stepDeadline = h.now() + script.steps[this.#step].limitTicks * simTickUs;
    } else if (h.now() > this.#stepDeadline) {
      return this.#endScript(`gave up waiting for ${step.what}`);
    }
    h.after(simTickUs / 2, () => this.#pollScript());
  }

  #endScript(why: string): void {
    const h = this.#host;
    h.note(`nemesis: ${this.#script?.name} ends: ${why}`);
    this.#script?.cleanup?.();
    this.#script = null;
    h.network.heal();
  }

  /** A node just became leader. */
  onLeader(id: NodeId): void {
    const h = this.#host;
    this.#script?.onLeader?.(id);
    if (this.#script !== null || this.#profile.mode !== "flaky-leaders" || !h.inFaultPhase() || !h.rng.chance(0.6)) return;
    // It has appended its noop (and soon clients' entries); cut it short before they spread.
    const inc = h.incarnation(id);
    const cutFirst = h.rng.chance(0.4);
    h.after(h.rng.between(0, 2 * simTickUs), () => {
      if (h.incarnation(id) !== inc || !h.inFaultPhase()) return;
      if (!cutFirst) {
        h.crash(id, "nemesis: crash the new leader");
        return;
      }
      for (const o of h.liveIds()) h.network.cut(id, o);
      h.note(`nemesis: cut every link out of new leader ${id}`);
      h.after(h.rng.between(5, 40) * 1000, () => {
        if (h.incarnation(id) === inc) h.crash(id, "nemesis: crash the cut-off leader");
      });
    });
  }

  /** Leader `id` handed a commit index to storage. */
  onLeaderCommit(id: NodeId, commit: number): void {
    this.#script?.onLeaderCommit?.(id, commit);
  }

  /** `voter` just sent a granted vote to `candidate` (its vote is supposed to be on disk). */
  onVoteSent(voter: NodeId, candidate: NodeId, term: number): void {
    const h = this.#host;
    this.#script?.onVoteSent?.(voter, candidate, term);
    if (this.#script !== null || this.#profile.mode !== "vote-crash" || !h.inFaultPhase() || !h.rng.chance(0.5)) return;
    h.crash(voter, `nemesis: crash ${voter} right after its vote for ${candidate} in term ${term}`);
    this.#restartLater([voter], 0, 15_000);
  }

  #restartLater(ids: readonly NodeId[], minUs: number, maxUs: number): void {
    const h = this.#host;
    const delay = h.rng.between(minUs, maxUs);
    const incs = ids.map((id) => h.incarnation(id));
    h.after(delay, () => {
      ids.forEach((id, i) => {
        if (h.incarnation(id) === incs[i]) h.restart(id, "nemesis: restart after the crash");
      });
    });
  }

  #drawWeather(): Weather {
    const rng = this.#host.rng;
    const base = this.#profile.weather;
    switch (rng.int(4)) {
      case 0:
        return base;
      case 1:
        return { ...base, loss: 0.1 + rng.float() * 0.3 };
      case 2:
        return { ...base, dup: 0.05 + rng.float() * 0.25 };
      default:
        return { ...base, slow: 0.1 + rng.float() * 0.3, slowMaxUs: rng.between(20_000, 100_000) };
    }
  }
}

function pct(p: number): string {
  return `${Math.round(p * 100)}%`;
}
