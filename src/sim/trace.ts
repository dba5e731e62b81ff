// The event trace of one run: a digest of every event (same seed, same digest, or the run is not
// deterministic), the last events kept in a ring for violation reports, and, with --verbose,
// every event printed as it happens. Messages are kept as objects and described only when
// printed (src/raft/describe.ts): most are never looked at.

import { describeMessage } from "../raft/describe.ts";
import { messageTypes, type Message, type NodeId } from "../raft/types.ts";
import { simTraceEventsKept } from "../constants.ts";

/** What happened to a message: delivered, or dropped because its link was cut or it was lost. */
export type MessageFate = "deliver" | "cut" | "lost";

interface TraceEvent {
  time: number;
  /** Nodes involved (0: none), to pick the events relevant to a violation. */
  a: NodeId;
  b: NodeId;
  fate: MessageFate | null;
  msg: Message | null;
  text: string | null;
}

const typeCode = new Map(messageTypes.map((t, i) => [t, i + 1]));
const fateCode: Record<MessageFate, number> = { deliver: 1, cut: 2, lost: 3 };

export class Trace {
  readonly #ring: (TraceEvent | undefined)[] = new Array(simTraceEventsKept);
  #next = 0;
  #count = 0;
  #h1 = 0x811c9dc5;
  #h2 = 0x2545f491;
  readonly #verbose: ((line: string) => void) | null;

  constructor(verbose: ((line: string) => void) | null) {
    this.#verbose = verbose;
  }

  /** Events recorded so far. */
  get count(): number {
    return this.#count;
  }

  message(time: number, fate: MessageFate, m: Message): void {
    this.#mix(time);
    this.#mix(fateCode[fate]);
    this.#mix(typeCode.get(m.type) ?? 0);
    this.#mix(m.from);
    this.#mix(m.to);
    this.#mix(m.term);
    this.#mix(m.logTerm);
    this.#mix(m.index);
    this.#mix(m.commit);
    this.#mix(m.reject ? 1 : 0);
    this.#mix(m.rejectHint);
    this.#mix(m.entries.length);
    if (m.entries.length > 0) this.#mix(m.entries[m.entries.length - 1].term);
    this.#mix(m.snapshot?.offset ?? -1);
    this.#push({ time, a: m.from, b: m.to, fate, msg: m, text: null });
  }

  /** A one-line event about node `a` (and `b`); 0 for none. */
  note(time: number, a: NodeId, b: NodeId, text: string): void {
    this.#mix(time);
    this.#mix(a);
    this.#mix(b);
    for (let i = 0; i < text.length; i++) this.#mix(text.charCodeAt(i));
    this.#push({ time, a, b, fate: null, msg: null, text });
  }

  /** Mixes a frequent, uninteresting event (a tick) into the digest without keeping it. */
  hashOnly(time: number, a: NodeId): void {
    this.#mix(time);
    this.#mix(a);
  }

  /** Sixteen hex digits summing up every event so far. */
  digest(): string {
    return (this.#h1 >>> 0).toString(16).padStart(8, "0") + (this.#h2 >>> 0).toString(16).padStart(8, "0");
  }

  /**
   * The last `max` kept events, oldest first, described. With `nodes`, only events involving one
   * of them; heartbeats are left out unless `heartbeats` (they are most of the traffic).
   */
  last(max: number, nodes: readonly NodeId[] | null, heartbeats = false): string[] {
    const out: string[] = [];
    const kept = Math.min(this.#count, this.#ring.length);
    for (let i = 1; i <= kept && out.length < max; i++) {
      const e = this.#ring[(this.#next - i + this.#ring.length) % this.#ring.length] as TraceEvent;
      if (nodes !== null && !nodes.includes(e.a) && !nodes.includes(e.b)) continue;
      if (!heartbeats && e.msg !== null && (e.msg.type === "MsgHeartbeat" || e.msg.type === "MsgHeartbeatResp")) continue;
      out.push(describeEvent(e));
    }
    return out.reverse();
  }

  #push(e: TraceEvent): void {
    this.#ring[this.#next] = e;
    this.#next = (this.#next + 1) % this.#ring.length;
    this.#count++;
    if (this.#verbose !== null) this.#verbose(describeEvent(e));
  }

  #mix(x: number): void {
    const v = x | 0;
    const hi = Math.floor(x / 4294967296) | 0;
    this.#h1 = Math.imul(this.#h1 ^ v, 0x01000193);
    this.#h1 = Math.imul(this.#h1 ^ hi, 0x01000193);
    this.#h2 = Math.imul((this.#h2 << 5) | (this.#h2 >>> 27), 0x9e3779b1) ^ v;
  }
}

/** Simulated µs as milliseconds with one decimal: `1234.5ms`. */
export function formatTime(us: number): string {
  return `${(us / 1000).toFixed(1)}ms`;
}

function describeEvent(e: TraceEvent): string {
  const t = formatTime(e.time).padStart(9);
  if (e.msg !== null) {
    const what = e.fate === "deliver" ? "" : e.fate === "cut" ? "CUT " : "LOST ";
    return `${t} ${what}${describeMessage(e.msg)}`;
  }
  return `${t} ${e.text}`;
}
