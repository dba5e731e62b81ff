// Every setting a node has, typed, with its default. The parameter table (params.ts) maps
// Redis's and RedisRaft's option names onto these fields for the command line, config files
// and CONFIG GET/SET.

import { clientOutputHardLimitBytesDefault, clientQueryBufferLimitBytesDefault, maxClientsDefault, ringCommandBytes } from "../constants.ts";
import { defaultEngineSettings, type EngineSettings } from "../engine/settings.ts";

export class Settings implements EngineSettings {
  // ---- state machine (EngineSettings) ----
  protoMaxBulkLen: number;
  hashMaxListpackEntries: number;
  hashMaxListpackValue: number;
  listMaxListpackSize: number;
  setMaxIntsetEntries: number;
  zsetMaxListpackEntries: number;
  zsetMaxListpackValue: number;

  // ---- server ----
  port = 6379;
  bind = "127.0.0.1";
  dir = "./data";
  maxclients = maxClientsDefault;
  maxmemory = 0;
  maxmemoryPolicy = "noeviction";
  /** Idle seconds before a client is closed (0 = never). */
  timeout = 0;
  tcpKeepalive = 300;
  hz = 10;
  loglevel = "notice";
  logfile = "";
  databases = 1;
  /** client-output-buffer-limit normal <hard> <soft> <soft-seconds> (0 = no limit). */
  clientOutputHardLimit = clientOutputHardLimitBytesDefault;
  clientOutputSoftLimit = 0;
  clientOutputSoftSeconds = 0;
  /** client-output-buffer-limit for replica and pubsub clients: kept for CONFIG GET only. */
  clientOutputOtherLimits = "slave 268435456 67108864 60 pubsub 33554432 8388608 60";
  /** client-query-buffer-limit: a client with more unparsed input than this is closed. */
  clientQueryBufferLimit = clientQueryBufferLimitBytesDefault;
  /** Accepted for tools that read them; raftis persists through its Raft log instead. */
  save = "";
  appendonly = false;
  appendfsync = "everysec";
  requirepass = "";
  protectedMode = false;
  daemonize = false;
  pidfile = "";
  activeExpire = true;

  // ---- raft (RedisRaft's names and defaults where they exist) ----
  raftId = 0;
  raftAddr = "";
  raftBusAddr = "";
  raftBusPort = 0;
  raftPeriodicInterval = 100;
  raftRequestTimeout = 200;
  raftElectionTimeout = 1000;
  raftConnectionTimeout = 3000;
  raftJoinTimeout = 120000;
  raftResponseTimeout = 1000;
  raftReconnectInterval = 100;
  raftProxyResponseTimeout = 10000;
  raftAppendReqMaxCount = 16;
  raftAppendReqMaxSize = 2097152;
  raftSnapshotReqMaxCount = 32;
  raftSnapshotReqMaxSize = 65536;
  raftLogMaxCacheSize = 64000000;
  raftLogMaxFileSize = 128000000;
  raftLogFsync = true;
  raftLogFilename = "raft.db";
  raftSnapshotFilename = "raft.snapshot";
  raftFollowerProxy = false;
  raftFollowerReads = false;
  raftQuorumReads = true;
  raftStorage = "disk";
  raftClusterPassword = "";
  raftShutdownOnRemove = true;
  raftLoglevel = "notice";
  /** Capacity of each ring between the node's threads (bytes; rounded up to a power of two). */
  raftRingSize = ringCommandBytes;

  constructor() {
    const engine = defaultEngineSettings();
    this.protoMaxBulkLen = engine.protoMaxBulkLen;
    this.hashMaxListpackEntries = engine.hashMaxListpackEntries;
    this.hashMaxListpackValue = engine.hashMaxListpackValue;
    this.listMaxListpackSize = engine.listMaxListpackSize;
    this.setMaxIntsetEntries = engine.setMaxIntsetEntries;
    this.zsetMaxListpackEntries = engine.zsetMaxListpackEntries;
    this.zsetMaxListpackValue = engine.zsetMaxListpackValue;
  }
}

type KeysOfType<T, V> = { [K in keyof T]: T[K] extends V ? K : never }[keyof T];
export type NumberSetting = KeysOfType<Settings, number>;
export type StringSetting = KeysOfType<Settings, string>;
export type BoolSetting = KeysOfType<Settings, boolean>;
