// One simulated node: its RaftCore (absent while crashed), disk, clock, reference state machine
// and the client requests it is serving. The simulation (src/sim/simulation.ts) is its shell.

import type { RaftCore } from "../raft/raft.ts";
import type { NodeId, RaftConfig } from "../raft/types.ts";
import type { Operation } from "../check/index.ts";
import type { KvInput } from "../check/kv-model.ts";
import { Disk } from "./disk.ts";
import { KvMachine } from "./kv-machine.ts";

/** up: running; down: crashed (restarts from its disk); stopped: applied its own removal, gone for good. */
export type NodeState = "up" | "down" | "stopped";

/** A client request in flight, from the client's send to its reply (or the client giving up). */
export interface ClientRequest {
  readonly client: number;
  /** The recorder's handle. */
  readonly op: number;
  readonly key: string;
  readonly input: KvInput;
  readonly node: NodeId;
  /** The client has its answer (or gave up): later replies are ignored. */
  done: boolean;
}

export interface PendingWrite {
  readonly req: ClientRequest;
  /** The entry's term: it is this command iff the entry at its index commits with this term. */
  readonly term: number;
}

export interface PendingRead {
  readonly req: ClientRequest;
  /** Set by the ReadState: the read runs once the state machine has applied this far. */
  index: number | null;
}

export class SimNode {
  core: RaftCore | null = null;
  state: NodeState = "down";
  readonly disk = new Disk();
  kv = new KvMachine();
  /** Bumped by every crash and restart: events scheduled for an earlier run are void. */
  incarnation = 0;
  /** Tick rate factor set by clock faults (1: the node's own pace). */
  clockRate = 1;
  /** The core asked for a snapshot; taken once no write is pending. */
  wantSnapshot = false;
  readonly writes = new Map<number, PendingWrite>();
  readonly reads = new Map<string, PendingRead>();
  readSeq = 0;
  /** Every request this node is serving, to fail them when it crashes. */
  readonly requests = new Set<ClientRequest>();

  constructor(
    readonly id: NodeId,
    /** The config every (re)start uses, without `initial`. */
    readonly config: RaftConfig,
    /** Its own tick interval (clock skew between nodes). */
    readonly tickUs: number,
  ) {}
}

/** Operations as the linearizability checker sees them. */
export type KvOperation = Operation<KvInput, string | number | null>;
