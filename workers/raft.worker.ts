// The Raft worker: a thin shell around RaftDriver (src/node/raft-driver.ts), which drives the pure
// RaftCore. Commands and events cross to the main thread, persists to the storage worker, over
// SharedArrayBuffer rings; this file only wires them and exposes the control plane (comlink).

import * as Comlink from "comlink";
import { ChannelReceiver, ChannelSender } from "../src/node/channel.ts";
import { RaftDriver, type DriverTiming } from "../src/node/raft-driver.ts";
import type { ConfChange, NodeId, RaftConfig } from "../src/raft/types.ts";
import { RingConsumer } from "../src/ring/consumer.ts";
import { Doorbell } from "../src/ring/doorbell.ts";
import { RingProducer } from "../src/ring/producer.ts";
import type { RingPairBuffers } from "../src/ring/pair.ts";
import { log, setLogLevel, setLogRole } from "../src/util/log.ts";
import { Bus } from "../src/bus/bus.ts";

/** The Raft bus: where this node listens for peers, and its credentials. */
export interface BusSettings {
  readonly listenHost: string;
  /** 0: any free port (the bound one is returned by attach). */
  readonly listenPort: number;
  readonly password: string;
  readonly connectionTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly reconnectIntervalMs: number;
  /** Known once the node belongs to a cluster (0 / "" before INIT or JOIN). */
  readonly nodeId: number;
  readonly clusterId: string;
}

export interface RaftWorkerOptions {
  /** Main ↔ raft: toWorker = commands, fromWorker = events. */
  readonly mainRings: RingPairBuffers;
  /** Raft ↔ storage: toWorker = persist, fromWorker = persisted. */
  readonly storageRings: RingPairBuffers;
  /** This worker's doorbell, rung by the command and persisted rings' producers. */
  readonly doorbell: Int32Array;
  readonly loglevel: string;
  readonly bus: BusSettings;
}

let driver: RaftDriver | null = null;
let bus: Bus | null = null;

function need(): RaftDriver {
  if (driver === null) throw new Error("raft worker not attached");
  return driver;
}

const api = {
  /** Wires the rings, starts the bus; resolves to the bus's bound port. */
  async attach(options: RaftWorkerOptions): Promise<number> {
    setLogRole("R");
    setLogLevel(options.loglevel);
    const commands = new RingConsumer(options.mainRings.toWorker);
    const persisted = new RingConsumer(options.storageRings.fromWorker);
    driver = new RaftDriver({
      commands: new ChannelReceiver(commands),
      events: new ChannelSender(new RingProducer(options.mainRings.fromWorker)),
      persist: new ChannelSender(new RingProducer(options.storageRings.toWorker)),
      persisted: new ChannelReceiver(persisted),
      doorbell: new Doorbell(options.doorbell, [commands, persisted]),
    });
    const d = driver;
    const b = options.bus;
    bus = new Bus({
      nodeId: b.nodeId,
      clusterId: b.clusterId,
      password: b.password,
      listenHost: b.listenHost,
      listenPort: b.listenPort,
      connectionTimeoutMs: b.connectionTimeoutMs,
      responseTimeoutMs: b.responseTimeoutMs,
      reconnectIntervalMs: b.reconnectIntervalMs,
      onMessage: (m) => d.receive(m),
      onPeerState: (id, connected) => {
        if (!connected) d.peerUnreachable(id);
      },
      log,
    });
    const port = await bus.start();
    d.setTransport(bus);
    void d.run();
    return port;
  },
  /** The cluster id and node id, once the node has them (INIT, JOIN). */
  setIdentity(nodeId: number, clusterId: string): void {
    bus?.setIdentity(nodeId, clusterId);
  },
  setAddresses(addresses: [NodeId, string][]): void {
    need().setAddresses(addresses);
  },
  peerStats() {
    return bus?.peerStats() ?? [];
  },
  start(config: RaftConfig, timing: DriverTiming): void {
    need().start(config, timing);
  },
  status() {
    return need().status();
  },
  storageFailure(): string | null {
    return need().storageFailure();
  },
  transferLeader(to: NodeId) {
    return need().transferLeader(to);
  },
  campaign() {
    return need().campaign();
  },
  proposeConfChange(change: ConfChange) {
    return need().proposeConfChange(change);
  },
  snapshotTaken(index: number, data: Uint8Array): void {
    need().snapshotTaken(index, data);
  },
  stop(): void {
    driver?.stop();
    bus?.stop();
  },
};

export type RaftWorkerApi = typeof api;

Comlink.expose(api);
