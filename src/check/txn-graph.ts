// A transaction dependency graph (Adya's, as Elle builds it) and the search for its cycles.
// Nodes are transactions plus "time" nodes that carry real-time order in O(n) edges: each
// completion gets a node, chained in time order, and each transaction hangs off the latest
// completion before its invocation; so T1 reaches T2 through time nodes exactly when T1
// completed before T2 began.

import { assert } from "../util/assert.ts";

/** ww: T2 overwrote (appended after) T1. wr: T2 read T1's write. rw: T1 read a state T2 then changed. rt: real time. */
export type EdgeKind = "ww" | "wr" | "rw" | "rt";

export interface Edge<D> {
  readonly from: number;
  readonly to: number;
  readonly kind: EdgeKind;
  /** What the edge is made of (key and elements), for explanations; null for real-time edges. */
  readonly detail: D | null;
}

export class TxnGraph<D> {
  /** Transactions are nodes 0 .. txnCount-1; time nodes follow. */
  readonly txnCount: number;
  #nodeCount: number;
  readonly #edges: Edge<D>[] = [];
  #out: number[][] | null = null;

  constructor(txnCount: number) {
    this.txnCount = txnCount;
    this.#nodeCount = txnCount;
  }

  get nodeCount(): number {
    return this.#nodeCount;
  }

  get edges(): readonly Edge<D>[] {
    return this.#edges;
  }

  isTxn(node: number): boolean {
    return node < this.txnCount;
  }

  addEdge(from: number, to: number, kind: EdgeKind, detail: D | null): void {
    assert(this.#out === null, "edges are added before the graph is searched");
    if (from === to) return;
    this.#edges.push({ from, to, kind, detail });
  }

  /**
   * Real-time order among transactions: `complete[t]` null means unknown (no edges out of t);
   * `member[t]` false leaves t out altogether.
   */
  addRealTime(invoke: readonly number[], complete: readonly (number | null)[], member: readonly boolean[]): void {
    const finished = [...Array(this.txnCount).keys()].filter((t) => member[t] && complete[t] !== null);
    finished.sort((a, b) => (complete[a] ?? 0) - (complete[b] ?? 0));
    const timeNode = (i: number) => this.txnCount + i;
    this.#nodeCount = this.txnCount + finished.length;
    finished.forEach((t, i) => {
      this.addEdge(t, timeNode(i), "rt", null);
      if (i > 0) this.addEdge(timeNode(i - 1), timeNode(i), "rt", null);
    });
    const starting = [...Array(this.txnCount).keys()].filter((t) => member[t]);
    starting.sort((a, b) => invoke[a] - invoke[b]);
    // Walk both in time order: the latest completion strictly before each invocation.
    let latest = -1;
    for (const t of starting) {
      while (latest + 1 < finished.length && (complete[finished[latest + 1]] ?? 0) < invoke[t]) latest++;
      if (latest >= 0) this.addEdge(timeNode(latest), t, "rt", null);
    }
  }

  /** Outgoing edge indices per node. */
  #adjacency(): number[][] {
    if (this.#out === null) {
      const out: number[][] = Array.from({ length: this.#nodeCount }, () => []);
      this.#edges.forEach((e, i) => out[e.from].push(i));
      this.#out = out;
    }
    return this.#out;
  }

  /** Strongly connected components (of at least two nodes) using only `allowed` edges within `within`. */
  components(allowed: (kind: EdgeKind) => boolean, within?: ReadonlySet<number>): number[][] {
    const out = this.#adjacency();
    const n = this.#nodeCount;
    const index = new Int32Array(n).fill(-1);
    const low = new Int32Array(n);
    const onStack = new Uint8Array(n);
    const stack: number[] = [];
    const result: number[][] = [];
    let counter = 0;
    const usable = (e: Edge<D>) => allowed(e.kind) && (within === undefined || within.has(e.to));
    const roots = within === undefined ? [...Array(n).keys()] : [...within];
    // Iterative Tarjan: each frame is (node, position in its edge list).
    for (const root of roots) {
      if (index[root] !== -1) continue;
      const frames: [number, number][] = [[root, 0]];
      index[root] = low[root] = counter++;
      stack.push(root);
      onStack[root] = 1;
      while (frames.length > 0) {
        const frame = frames[frames.length - 1];
        const [v, at] = frame;
        if (at < out[v].length) {
          frame[1]++;
          const e = this.#edges[out[v][at]];
          if (!usable(e)) continue;
          const w = e.to;
          if (index[w] === -1) {
            index[w] = low[w] = counter++;
            stack.push(w);
            onStack[w] = 1;
            frames.push([w, 0]);
          } else if (onStack[w] === 1) {
            low[v] = Math.min(low[v], index[w]);
          }
          continue;
        }
        frames.pop();
        if (frames.length > 0) {
          const parent = frames[frames.length - 1][0];
          low[parent] = Math.min(low[parent], low[v]);
        }
        if (low[v] === index[v]) {
          const component: number[] = [];
          let w: number;
          do {
            w = stack.pop() ?? -1;
            onStack[w] = 0;
            component.push(w);
          } while (w !== v);
          if (component.length > 1) result.push(component);
        }
      }
    }
    return result;
  }

  /** A shortest path (as edge indices) from `from` to `to` over `allowed` edges within `within`; null if none. */
  shortestPath(from: number, to: number, allowed: (kind: EdgeKind) => boolean, within: ReadonlySet<number>): number[] | null {
    const out = this.#adjacency();
    const via = new Map<number, number>();
    const queue = [from];
    const seen = new Set([from]);
    for (let head = 0; head < queue.length; head++) {
      const v = queue[head];
      for (const ei of out[v]) {
        const e = this.#edges[ei];
        if (!allowed(e.kind) || !within.has(e.to)) continue;
        if (e.to === to) {
          const path = [ei];
          for (let w = v; w !== from; ) {
            const back = via.get(w);
            assert(back !== undefined, "a visited node has an edge that reached it");
            path.push(back);
            w = this.#edges[back].from;
          }
          return path.reverse();
        }
        if (seen.has(e.to)) continue;
        seen.add(e.to);
        via.set(e.to, ei);
        queue.push(e.to);
      }
    }
    return null;
  }
}
