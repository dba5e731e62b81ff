// Scripted fault schedules: short sequences of ordinary faults (cuts, crashes, restarts, an
// operator's election) that wait on what the cluster does in between. Each reproduces the setting
// of a classic Raft trap; run for clean seeds too, they must then find nothing.
// - figure8: the Raft paper's Figure 8. A leader appends alone and crashes; the next leader does
//   the same; the first comes back, leads again for a moment (long enough to copy its old entry
//   to some followers) and crashes; the second comes back. Counting replicas of an old-term
//   entry would commit it here, and the second leader would then overwrite it.
// - voteAmnesia: a follower is cut off (its term stays behind); the leader crashes and restarts;
//   every node that grants a vote in the election crashes right after sending it and restarts at
//   once; the winner is cut off as it wins, and the follower comes back and campaigns for the
//   same term.
//   Each restarted voter must remember its vote.
// - staleLeader: the leader is cut off from its peers (clients still reach it) and its clock
//   slowed, so it goes on believing it leads while the others elect a new leader that commits
//   writes. Its reads must not be served from its stale state.

import type { NodeId } from "../raft/types.ts";
import { simElectionTicks, simTickUs } from "../constants.ts";
import type { NemesisHost } from "./nemesis.ts";

/** next: this step is done; wait: poll again later; abort: the cluster went another way. */
export type StepResult = "next" | "wait" | "abort";

export interface Step {
  readonly what: string;
  /** Ticks to wait for the step before giving up. */
  readonly limitTicks: number;
  readonly poll: () => StepResult;
}

export interface Script {
  readonly name: string;
  readonly steps: readonly Step[];
  /** Undoes what the script changed besides links (healed anyway) when it ends, however it ends. */
  cleanup?(): void;
  onLeader?(id: NodeId): void;
  /** Leader `id` handed its commit index to storage (it may have advanced). */
  onLeaderCommit?(id: NodeId, commit: number): void;
  onVoteSent?(voter: NodeId, candidate: NodeId, term: number): void;
}

/** A step that waits `ticks` ticks from its first poll, then runs `then`. */
function pause(h: NemesisHost, what: string, ticks: number, then: () => void): Step {
  let until = -1;
  return {
    what,
    limitTicks: ticks + 2,
    poll: () => {
      if (until < 0) until = h.now() + ticks * simTickUs;
      if (h.now() < until) return "wait";
      then();
      return "next";
    },
  };
}

function cutOutbound(h: NemesisHost, id: NodeId): void {
  for (const o of h.liveIds()) h.network.cut(id, o);
}

export function figure8(h: NemesisHost): Script {
  let a: NodeId = 0;
  let b: NodeId = 0;
  /** Which election the script waits for; its winner is cut off before its first messages leave. */
  let awaiting: "A" | "B" | "A again" | null = null;
  let tries = 0;
  let crashOnCommit = false;
  /** Keeps asking `id` to campaign (an operator repeating RAFT.TIMEOUT_NOW) until it leads. */
  const leads = (who: () => NodeId, what: string): Step => ({
    what,
    limitTicks: 60,
    poll: () => {
      const id = who();
      const l = h.leaderId();
      if (l === id) return "next";
      if (l !== null) return "abort";
      const role = h.roleOf(id);
      // Voters still in a leader's lease ignore pre-votes: ask again until it works.
      if ((role === "follower" || role === "preCandidate") && ++tries % 2 === 0) h.campaign(id, `nemesis figure8: ${id} campaigns`);
      return "wait";
    },
  });
  const steps: Step[] = [
    {
      what: "a leader to depose",
      limitTicks: 40,
      poll: () => {
        h.network.heal();
        for (const id of h.downIds()) h.restart(id, "nemesis figure8: every node up first");
        const l = h.leaderId();
        if (l === null) return "wait";
        awaiting = "A";
        // Depose it without losing a node: every election of the script needs the others.
        h.crash(l, "nemesis figure8: crash the leader");
        h.restart(l, "nemesis figure8: it comes back a follower");
        return "next";
      },
    },
    { what: "a new leader A", limitTicks: 60, poll: () => (a === 0 ? "wait" : "next") },
    pause(h, "A appends alone", h.rng.between(1, 3), () => {
      h.crash(a, "nemesis figure8: crash A");
      h.network.heal();
      awaiting = "B";
    }),
    { what: "a new leader B", limitTicks: 60, poll: () => (b === 0 ? "wait" : "next") },
    pause(h, "B appends alone", h.rng.between(1, 3), () => {
      h.crash(b, "nemesis figure8: crash B");
      h.network.heal();
      h.restart(a, "nemesis figure8: A comes back");
      awaiting = "A again";
      tries = 0;
    }),
    leads(() => a, "A leads again"),
    {
      what: "A crashed",
      limitTicks: 5,
      poll: () => {
        if (h.roleOf(a) !== null) return "wait";
        h.restart(b, "nemesis figure8: B comes back");
        tries = 0;
        return "next";
      },
    },
    leads(() => b, "B leads"),
  ];
  return {
    name: "figure8",
    steps,
    onLeader(id) {
      if (awaiting === "A" && id !== 0) {
        a = id;
        cutOutbound(h, a);
        h.note(`nemesis figure8: new leader ${a} appends alone (links out of it cut)`);
      } else if (awaiting === "B" && id !== a) {
        b = id;
        cutOutbound(h, b);
        h.note(`nemesis figure8: new leader ${b} appends alone (links out of it cut)`);
      } else if (awaiting === "A again" && id === a) {
        // Leading for a moment, over a failing link: some followers get its old entries, maybe
        // not its new ones. It dies after a while, or right after it commits something.
        const inc = h.incarnation(a);
        h.network.setSendLoss(a, 0.3);
        crashOnCommit = h.rng.chance(0.8);
        h.after(h.rng.between(0, 40_000), () => {
          if (h.incarnation(a) === inc) h.crash(a, "nemesis figure8: A's second term ends");
        });
      } else {
        return;
      }
      awaiting = null;
    },
    onLeaderCommit(id, commit) {
      if (!crashOnCommit || id !== a) return;
      crashOnCommit = false;
      const inc = h.incarnation(a);
      h.after(0, () => {
        if (h.incarnation(a) === inc) h.crash(a, `nemesis figure8: A dies right after committing ${commit}`);
      });
    },
  };
}

export function voteAmnesia(h: NemesisHost): Script {
  let l0: NodeId = 0;
  let y: NodeId = 0;
  let x: NodeId = 0;
  let crashVoters = false;
  let started = false;
  const script: Script = {
    name: "voteAmnesia",
    steps: [
      {
        what: "a leader with a follower that has its whole log",
        limitTicks: 40,
        poll: () => {
          if (!started) {
            started = true;
            h.network.heal();
            for (const id of h.downIds()) h.restart(id, "nemesis voteAmnesia: every node up first");
          }
          const l = h.leaderId();
          if (l === null) return "wait";
          const end = h.logEnd(l);
          const followers = h.upIds().filter((id) => id !== l && h.logEnd(id) === end);
          if (followers.length === 0) return "wait";
          l0 = l;
          y = h.rng.pick(followers);
          // Cut off the follower and depose the leader at once, before the others' logs move on
          // (the follower must stay as up to date as the voters). The leader comes straight back:
          // the election needs everyone but the cut-off follower.
          h.network.isolate(y, h.liveIds());
          h.note(`nemesis voteAmnesia: isolate follower ${y} (its term stays behind)`);
          crashVoters = true;
          h.crash(l0, "nemesis voteAmnesia: crash the leader");
          h.restart(l0, "nemesis voteAmnesia: it comes back a follower");
          return "next";
        },
      },
      {
        what: "a new leader X",
        limitTicks: 60,
        poll: () => {
          if (x === 0) return "wait";
          crashVoters = false;
          h.network.heal();
          h.network.isolate(x, h.liveIds());
          h.note(`nemesis voteAmnesia: ${y} reconnects to the voters of ${x}`);
          return "next";
        },
      },
      pause(h, "the follower campaigns", 4 * simElectionTicks, () => h.network.heal()),
    ],
    onLeader(id) {
      if (!crashVoters || x !== 0 || id === y) return;
      x = id;
      // Cut before its first messages leave: the voters must not learn that it won.
      h.network.isolate(x, h.liveIds());
      h.note(`nemesis voteAmnesia: isolate the new leader ${x}`);
    },
    onVoteSent(voter, candidate, term) {
      if (!crashVoters) return;
      const inc = h.incarnation(voter);
      h.after(0, () => {
        if (h.incarnation(voter) !== inc) return;
        h.crash(voter, `nemesis voteAmnesia: crash ${voter} right after its vote for ${candidate} in term ${term}`);
        h.after(h.rng.between(0, 3_000), () => h.restart(voter, "nemesis voteAmnesia: restart at once"));
      });
    },
  };
  return script;
}

export function staleLeader(h: NemesisHost): Script {
  let old: NodeId = 0;
  let inc = 0;
  const restore = (): void => {
    if (old !== 0 && h.incarnation(old) === inc) h.setClock(old, 1);
  };
  return {
    name: "staleLeader",
    steps: [
      {
        what: "a leader",
        limitTicks: 40,
        poll: () => {
          const l = h.leaderId();
          if (l === null) return "wait";
          old = l;
          inc = h.incarnation(l);
          const rate = 0.1 + h.rng.float() * 0.3;
          h.network.isolate(old, h.liveIds());
          h.setClock(old, rate);
          h.note(`nemesis staleLeader: isolate leader ${old} from its peers, its clock at ${rate.toFixed(2)}x`);
          return "next";
        },
      },
      {
        what: "a new leader",
        limitTicks: 60,
        poll: () => {
          const l = h.leaderId();
          return l !== null && l !== old ? "next" : "wait";
        },
      },
      pause(h, "both lead", h.rng.between(20, 60), () => h.note(`nemesis staleLeader: ${old} reconnects`)),
    ],
    cleanup: restore,
  };
}
