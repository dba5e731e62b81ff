// One-line descriptions of entries, messages and readies, for scenario traces, the simulator's
// minimal traces and logs. Stable on purpose: scenario files compare them verbatim.

import { decodeConfEntry } from "./conf-entry.ts";
import { bytesEqual } from "./message.ts";
import { campaignTransferContext, type ConfState, type Entry, type Message, type Ready } from "./types.ts";

/** Printable ASCII as "text", anything else as hex. */
export function describeBytes(b: Uint8Array): string {
  let text = true;
  for (const c of b) if (c < 0x20 || c > 0x7e || c === 0x22) text = false;
  if (text) return `"${String.fromCharCode(...b)}"`;
  return `0x${[...b].map((c) => c.toString(16).padStart(2, "0")).join("")}`;
}

export function describeIds(ids: readonly number[]): string {
  return `(${ids.join(",")})`;
}

export function describeConf(cs: ConfState): string {
  let s = `voters=${describeIds(cs.voters)}`;
  if (cs.learners.length > 0) s += ` learners=${describeIds(cs.learners)}`;
  if (cs.removed.length > 0) s += ` removed=${describeIds(cs.removed)}`;
  return s;
}

/** term/index type [data]: `2/5 "k=v"`, `2/4 noop`, `2/6 conf add-learner 4 -> voters=(1,2,3) learners=(4)`. */
export function describeEntry(e: Entry): string {
  const head = `${e.term}/${e.index}`;
  switch (e.type) {
    case "normal":
      return `${head} ${describeBytes(e.data)}`;
    case "noop":
      return `${head} noop`;
    case "conf": {
      const c = decodeConfEntry(e.data);
      const change = c.change === null ? "bootstrap" : `${kebab(c.change.type)} ${c.change.nodeId}`;
      return `${head} conf ${change} -> ${describeConf(c.conf)}`;
    }
  }
}

export function describeEntries(es: readonly Entry[]): string {
  return es.map(describeEntry).join(", ");
}

export function describeMessage(m: Message): string {
  let s = `${m.from}->${m.to} ${m.type} term=${m.term}`;
  switch (m.type) {
    case "MsgApp":
      s += ` log=${m.logTerm}/${m.index} commit=${m.commit}`;
      if (m.entries.length > 0) s += ` entries=[${describeEntries(m.entries)}]`;
      break;
    case "MsgAppResp":
      s += ` index=${m.index}`;
      if (m.reject) s += ` rejected hint=${m.logTerm}/${m.rejectHint}`;
      break;
    case "MsgVote":
    case "MsgPreVote":
      s += ` log=${m.logTerm}/${m.index}`;
      if (bytesEqual(m.context, campaignTransferContext)) s += " transfer";
      break;
    case "MsgVoteResp":
    case "MsgPreVoteResp":
      s += m.reject ? " rejected" : " granted";
      break;
    case "MsgHeartbeat":
      s += ` commit=${m.commit}`;
      if (m.index > 0) s += ` round=${m.index}`;
      break;
    case "MsgHeartbeatResp":
      if (m.index > 0) s += ` round=${m.index}`;
      break;
    case "MsgSnap": {
      const c = m.snapshot;
      if (c !== null) {
        s += ` snapshot=${c.meta.term}/${c.meta.index} bytes=${c.offset}+${c.data.length}/${c.totalBytes}`;
      }
      break;
    }
    case "MsgSnapResp":
      s += ` snapshot=${m.logTerm}/${m.index} received=${m.rejectHint}`;
      if (m.reject) s += " rejected";
      break;
    case "MsgReadIndex":
      s += ` ctx=${describeBytes(m.context)}`;
      break;
    case "MsgReadIndexResp":
      s += ` index=${m.index} ctx=${describeBytes(m.context)}`;
      break;
    case "MsgTimeoutNow":
      break;
  }
  return s;
}

/** A ready as indented lines (empty sections left out). */
export function describeReady(rd: Ready): string[] {
  const out: string[] = [];
  if (rd.softState !== null) out.push(`soft-state: role=${rd.softState.role} leader=${rd.softState.leaderId}`);
  if (rd.hardState !== null) out.push(`hard-state: term=${rd.hardState.term} vote=${rd.hardState.vote} commit=${rd.hardState.commit}`);
  if (rd.snapshot !== null) {
    const m = rd.snapshot.meta;
    out.push(`snapshot: ${m.term}/${m.index} ${describeConf(m.conf)} data=${describeBytes(rd.snapshot.data)}`);
  }
  if (rd.entries.length > 0) out.push(`entries: ${describeEntries(rd.entries)}`);
  if (rd.committedEntries.length > 0) out.push(`committed: ${describeEntries(rd.committedEntries)}`);
  for (const r of rd.readStates) out.push(`read-state: index=${r.index} ctx=${describeBytes(r.ctx)}`);
  if (rd.wantSnapshot) out.push("want-snapshot");
  if (rd.messages.length > 0) {
    out.push("messages:");
    for (const m of rd.messages) out.push(`  ${describeMessage(m)}`);
  }
  if (rd.messagesAfterPersist.length > 0) {
    out.push("after-persist:");
    for (const m of rd.messagesAfterPersist) out.push(`  ${describeMessage(m)}`);
  }
  return out;
}

function kebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
