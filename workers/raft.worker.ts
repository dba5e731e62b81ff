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
import { setLogLevel, setLogRole } from "../src/util/log.ts";

export interface RaftWorkerOptions {
  /** Main ↔ raft: toWorker = commands, fromWorker = events. */
  readonly mainRings: RingPairBuffers;
  /** Raft ↔ storage: toWorker = persist, fromWorker = persisted. */
  readonly storageRings: RingPairBuffers;
  /** This worker's doorbell, rung by the command and persisted rings' producers. */
  readonly doorbell: Int32Array;
  readonly loglevel: string;
}

let driver: RaftDriver | null = null;

function need(): RaftDriver {
  if (driver === null) throw new Error("raft worker not attached");
  return driver;
}

const api = {
  attach(options: RaftWorkerOptions): void {
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
    void driver.run();
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
  },
};

export type RaftWorkerApi = typeof api;

Comlink.expose(api);
