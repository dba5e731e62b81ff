// History checkers for the simulator (src/sim) and the chaos tool: pure functions over recorded
// client histories, no I/O.

export { HistoryRecorder, validateOperation, type Operation, type Outcome, type PendingOp } from "./history.ts";
export { impossible, type Impossible, type Model } from "./model.ts";
export { kvModel, type KvInput, type KvOutput, type KvState } from "./kv-model.ts";
export { searchLinearization, type SearchOptions, type SearchOutcome, type SearchResult } from "./wgl.ts";
export type { Explanation, NumberedOp } from "./explain.ts";
export {
  checkLinearizability,
  formatLinearizabilityResult,
  formatNonLinearizable,
  type KeyStats,
  type LinearizabilityOptions,
  type LinearizabilityResult,
  type NonLinearizable,
} from "./linearizability.ts";
export {
  checkListAppend,
  formatListAppendResult,
  type CycleName,
  type CycleStep,
  type Element,
  type ListAnomaly,
  type ListAppendResult,
  type MicroOp,
  type Txn,
} from "./list-append.ts";
