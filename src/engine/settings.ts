// Settings the state machine reads while applying commands. They are CONFIG SET-able and
// node-local, so a cluster must keep them equal on every node (as Redis replicas must): they
// change how values are encoded and which limits apply, never which keys exist.

export interface EngineSettings {
  /** proto-max-bulk-len: the largest string SETRANGE/APPEND/SETBIT may build. */
  protoMaxBulkLen: number;
  hashMaxListpackEntries: number;
  hashMaxListpackValue: number;
  listMaxListpackSize: number;
  setMaxIntsetEntries: number;
  zsetMaxListpackEntries: number;
  zsetMaxListpackValue: number;
}

export function defaultEngineSettings(): EngineSettings {
  return {
    protoMaxBulkLen: 512 * 1024 * 1024,
    hashMaxListpackEntries: 512,
    hashMaxListpackValue: 64,
    listMaxListpackSize: -2,
    setMaxIntsetEntries: 512,
    zsetMaxListpackEntries: 128,
    zsetMaxListpackValue: 64,
  };
}
