// The storage worker: a thin shell around StorageDriver (src/node/storage-driver.ts). It owns the
// disk; the Raft worker reaches it through the persist channels, the main thread through comlink.

import * as Comlink from "comlink";
import { mkdirSync } from "node:fs";
import { attachRingPair, type RingPairBuffers } from "../src/ring/pair.ts";
import { ChannelReceiver, ChannelSender } from "../src/node/channel.ts";
import { StorageDriver, type NodeIdentity } from "../src/node/storage-driver.ts";
import { FileStorage } from "../src/storage/file-storage.ts";
import { MemoryStorage } from "../src/storage/memory-storage.ts";
import { nodeFileSystem } from "../src/storage/fs.ts";
import { crashingFileSystem, DiskCrashSwitch, type DiskCrashPoint } from "../src/chaos/disk-fault.ts";
import type { RecoveredState } from "../src/storage/types.ts";
import { concatBytes } from "../src/util/bytes.ts";
import { setLogLevel, setLogRole } from "../src/util/log.ts";

export interface StorageWorkerOptions {
  /** The persist ring pair shared with the Raft worker (this side: persist in, persisted out). */
  readonly rings: RingPairBuffers;
  /** Doorbell of the Raft worker, rung with each acknowledgement. */
  readonly raftDoorbell: Int32Array;
  readonly dir: string;
  readonly memory: boolean;
  readonly fsync: boolean;
  readonly loglevel: string;
}

let driver: StorageDriver | null = null;
/** Fault injection (RAFT.DEBUG DISKCRASH): inert until armed. */
const diskCrash = new DiskCrashSwitch();

function need(): StorageDriver {
  if (driver === null) throw new Error("storage worker not started");
  return driver;
}

const api = {
  start(options: StorageWorkerOptions): RecoveredState {
    setLogRole("S");
    setLogLevel(options.loglevel);
    // This side consumes the persist ring and produces the persisted ring (the worker's ends).
    const ends = attachRingPair(options.rings, { doorbell: options.raftDoorbell });
    let storage;
    if (options.memory) {
      storage = new MemoryStorage();
    } else {
      mkdirSync(options.dir, { recursive: true });
      storage = new FileStorage(options.dir, { fsync: options.fsync, fs: crashingFileSystem(nodeFileSystem, diskCrash) });
    }
    driver = new StorageDriver(storage, new ChannelReceiver(ends.consumer), new ChannelSender(ends.producer));
    const state = driver.open();
    void driver.run();
    return state;
  },
  setIdentity(identity: NodeIdentity): void {
    need().setIdentity(identity);
  },
  /**
   * Saves a snapshot given as chunks (joined here, off the main thread) and hands the joined
   * bytes back, transferred, for the Raft worker (which sends them to laggards).
   */
  saveSnapshot(index: number, term: number, conf: Uint8Array, chunks: Uint8Array[]): Uint8Array {
    const data = concatBytes(chunks);
    need().saveSnapshot(index, term, conf, data);
    return Comlink.transfer(data, [data.buffer as ArrayBuffer]);
  },
  /** Test hook: kill the node at `point` of a later write (src/chaos/disk-fault.ts); null disarms. */
  armDiskCrash(point: DiskCrashPoint | null): void {
    diskCrash.armed = point;
  },
  stats() {
    return need().stats();
  },
  stop(): void {
    driver?.stop();
  },
};

export type StorageWorkerApi = typeof api;

Comlink.expose(api);
