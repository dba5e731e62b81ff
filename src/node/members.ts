// The cluster's members as the state machine knows them: ids, roles and the addresses they
// announce (client address for -MOVED and CLUSTER SLOTS, bus address for peers). Replicated
// state: it changes only by applying log entries (conf changes carry a joining node's
// addresses; a `meta` entry records the first node's), and it is part of every snapshot.

import { decode, encode } from "@msgpack/msgpack";
import type { ConfState, NodeId } from "../raft/types.ts";

export interface MemberAddress {
  /** host:port clients use (RedisRaft's `addr`). */
  readonly addr: string;
  /** host:port of the Raft bus. */
  readonly busAddr: string;
}

export class Members {
  #conf: ConfState = { voters: [], learners: [], removed: [] };
  readonly #addresses = new Map<NodeId, MemberAddress>();

  get conf(): ConfState {
    return this.#conf;
  }

  /** The configuration after a conf entry (voters, learners, removed). */
  setConf(conf: ConfState): void {
    this.#conf = { voters: [...conf.voters], learners: [...conf.learners], removed: [...conf.removed] };
    for (const id of conf.removed) this.#addresses.delete(id);
  }

  setAddress(id: NodeId, address: MemberAddress): void {
    this.#addresses.set(id, address);
  }

  address(id: NodeId): MemberAddress | undefined {
    return this.#addresses.get(id);
  }

  /** Every id in the configuration. */
  ids(): NodeId[] {
    return [...this.#conf.voters, ...this.#conf.learners].sort((a, b) => a - b);
  }

  isVoter(id: NodeId): boolean {
    return this.#conf.voters.includes(id);
  }

  wasRemoved(id: NodeId): boolean {
    return this.#conf.removed.includes(id);
  }

  /** True when `id` was ever a member (ids are never reused). */
  known(id: NodeId): boolean {
    return this.#conf.voters.includes(id) || this.#conf.learners.includes(id) || this.#conf.removed.includes(id);
  }

  toBytes(): Uint8Array {
    return encode({ conf: this.#conf, addresses: [...this.#addresses].map(([id, a]) => [id, a.addr, a.busAddr]) });
  }

  static fromBytes(bytes: Uint8Array): Members {
    const o = decode(bytes) as { conf: ConfState; addresses: [number, string, string][] };
    const m = new Members();
    m.setConf(o.conf);
    for (const [id, addr, busAddr] of o.addresses) m.setAddress(id, { addr, busAddr });
    return m;
  }
}

/** A member's addresses as a conf-change context or meta entry argument. */
export function encodeAddress(a: MemberAddress): Uint8Array {
  return encode([a.addr, a.busAddr]);
}

export function decodeAddress(bytes: Uint8Array): MemberAddress | null {
  if (bytes.length === 0) return null;
  const v = decode(bytes);
  if (!Array.isArray(v) || typeof v[0] !== "string" || typeof v[1] !== "string") return null;
  return { addr: v[0], busAddr: v[1] };
}
