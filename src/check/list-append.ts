// Strict serializability of list-append histories, in the manner of Elle (Kingsbury & Alvaro,
// 2020). Transactions append unique elements to lists (RPUSH) and read whole lists (LRANGE),
// several keys per transaction (MULTI/EXEC). Because every element is unique and lists only
// grow, the longest read of a key reveals the order of its appends, and every read reveals
// exactly which appends it saw. From that we check:
//   - every read is a prefix of the key's order, without duplicates, of elements that were
//     appended (by a transaction that did not fail), never stopping inside another
//     transaction's appends (G1b), consistent with the transaction's own earlier operations;
//   - no acknowledged append is missing from a read that began after it was acknowledged;
//   - the dependency graph (ww, wr, rw and real-time edges) has no cycle; a cycle is named by
//     its edges, as Adya and Elle do: G0 (ww only), G1c (ww+wr), G-single (one rw), G2 (more
//     rw), with "-realtime" when it needs real-time edges (a stale read is G-single-realtime).

import { checkAnomaliesReportedMax, checkCyclesReportedMax } from "../constants.ts";
import { assert } from "../util/assert.ts";
import type { Outcome } from "./history.ts";
import { TxnGraph, type Edge, type EdgeKind } from "./txn-graph.ts";

export type Element = string | number;

export type MicroOp =
  | { readonly f: "append"; readonly key: string; readonly value: Element }
  /** `value`: the list read; null when not known (the transaction's outcome is not ok). */
  | { readonly f: "r"; readonly key: string; readonly value: readonly Element[] | null };

export interface Txn {
  readonly client: number | string;
  readonly ops: readonly MicroOp[];
  readonly invoke: number;
  /** null when the outcome is unknown. */
  readonly complete: number | null;
  readonly outcome: Outcome;
}

export type CycleName = "G0" | "G1c" | "G-single" | "G2" | "G0-realtime" | "G1c-realtime" | "G-single-realtime" | "G2-realtime";

/** One step of a cycle; `key` and the elements say what the dependency is made of. */
export interface CycleStep {
  readonly from: number;
  readonly to: number;
  readonly kind: EdgeKind;
  readonly key: string | null;
  /** ww: from's element; wr: the last element read (from's); rw: the last element `from` read (null: empty). */
  readonly before: string | null;
  /** ww: to's element, right after; rw: to's element, the next one `from` did not see. */
  readonly after: string | null;
}

export type ListAnomaly =
  | { readonly kind: "duplicate-elements"; readonly key: string; readonly txn: number; readonly read: readonly string[]; readonly duplicates: readonly string[] }
  | { readonly kind: "incompatible-order"; readonly key: string; readonly txns: readonly [number, number]; readonly reads: readonly [readonly string[], readonly string[]] }
  | { readonly kind: "garbage-read"; readonly key: string; readonly txn: number; readonly element: string }
  | { readonly kind: "G1a"; readonly key: string; readonly txn: number; readonly element: string; readonly writer: number }
  | { readonly kind: "G1b"; readonly key: string; readonly txn: number; readonly element: string; readonly writer: number }
  | { readonly kind: "internal"; readonly key: string; readonly txn: number; readonly expected: readonly string[]; readonly read: readonly string[] }
  | { readonly kind: "lost-append"; readonly key: string; readonly element: string; readonly writer: number; readonly reader: number }
  | { readonly kind: "cycle"; readonly name: CycleName; readonly steps: readonly CycleStep[] };

export interface ListAppendStats {
  readonly txns: number;
  readonly ok: number;
  readonly unknown: number;
  readonly failed: number;
  readonly keys: number;
  readonly appends: number;
  readonly reads: number;
  /** Dependency edges between transactions (not counting real-time ones). */
  readonly edges: number;
  readonly components: number;
}

export interface ListAppendResult {
  readonly ok: boolean;
  /** Reported anomalies (capped per kind; `counts` has the totals). */
  readonly anomalies: readonly ListAnomaly[];
  readonly counts: Readonly<Record<string, number>>;
  readonly stats: ListAppendStats;
  readonly txns: readonly Txn[];
}

interface Appended {
  readonly txn: number;
  /** Whether a later append by the same transaction to the same key follows it. */
  readonly followedByOwn: boolean;
}

interface ExternalRead {
  readonly txn: number;
  readonly key: string;
  /** What the transaction saw of others' appends (its own appends before the read removed). */
  readonly seen: readonly string[];
}

const cycleClasses: readonly { name: CycleName; kinds: readonly EdgeKind[]; singleRw: boolean }[] = [
  { name: "G0", kinds: ["ww"], singleRw: false },
  { name: "G1c", kinds: ["ww", "wr"], singleRw: false },
  { name: "G-single", kinds: ["ww", "wr"], singleRw: true },
  { name: "G2", kinds: ["ww", "wr", "rw"], singleRw: false },
  { name: "G0-realtime", kinds: ["ww", "rt"], singleRw: false },
  { name: "G1c-realtime", kinds: ["ww", "wr", "rt"], singleRw: false },
  { name: "G-single-realtime", kinds: ["ww", "wr", "rt"], singleRw: true },
  { name: "G2-realtime", kinds: ["ww", "wr", "rw", "rt"], singleRw: false },
];

/** rw edges tried per component when looking for a cycle with exactly one of them. */
const singleRwTriesMax = 256;

export function checkListAppend(txns: readonly Txn[]): ListAppendResult {
  const anomalies: ListAnomaly[] = [];
  const counts: Record<string, number> = {};
  const report = (a: ListAnomaly) => {
    const name = a.kind === "cycle" ? a.name : a.kind;
    counts[name] = (counts[name] ?? 0) + 1;
    const cap = a.kind === "cycle" ? checkCyclesReportedMax : checkAnomaliesReportedMax;
    if (counts[name] <= cap) anomalies.push(a);
  };

  // Who appended what.
  const appenders = new Map<string, Map<string, Appended>>();
  let appendCount = 0;
  txns.forEach((txn, t) => {
    assert(txn.outcome === "unknown" ? txn.complete === null : txn.complete !== null && txn.invoke <= txn.complete, `transaction ${t} has consistent times`);
    txn.ops.forEach((op, i) => {
      if (op.f !== "append") return;
      appendCount++;
      const element = String(op.value);
      let byElement = appenders.get(op.key);
      if (byElement === undefined) appenders.set(op.key, (byElement = new Map()));
      assert(!byElement.has(element), `element ${element} is appended to ${op.key} once (transactions ${byElement.get(element)?.txn} and ${t})`);
      const followedByOwn = txn.ops.slice(i + 1).some((o) => o.f === "append" && o.key === op.key);
      byElement.set(element, { txn: t, followedByOwn });
    });
  });

  // Reads: internal consistency, and what each ok transaction saw of others.
  const fullReads = new Map<string, { txn: number; read: string[] }[]>();
  const texts: string[] = [];
  const externalReads: ExternalRead[] = [];
  let readCount = 0;
  txns.forEach((txn, t) => {
    if (txn.outcome !== "ok") return;
    const own = new Map<string, string[]>();
    const known = new Map<string, string[]>();
    for (const op of txn.ops) {
      if (op.f === "append") {
        const element = String(op.value);
        own.set(op.key, [...(own.get(op.key) ?? []), element]);
        const k = known.get(op.key);
        if (k !== undefined) known.set(op.key, [...k, element]);
        continue;
      }
      assert(op.value !== null, `transaction ${t} is ok, so its reads have values`);
      readCount++;
      const read = asStrings(op.value, texts);
      let list = fullReads.get(op.key);
      if (list === undefined) fullReads.set(op.key, (list = []));
      list.push({ txn: t, read });
      const expected = known.get(op.key);
      if (expected !== undefined) {
        if (!sameList(expected, read)) report({ kind: "internal", key: op.key, txn: t, expected, read });
      } else {
        const mine = own.get(op.key) ?? [];
        const tail = read.slice(read.length - mine.length);
        if (mine.length > 0 && (read.length < mine.length || !sameList(tail, mine))) {
          report({ kind: "internal", key: op.key, txn: t, expected: [...read.slice(0, Math.max(0, read.length - mine.length)), ...mine], read });
        } else {
          externalReads.push({ txn: t, key: op.key, seen: read.slice(0, read.length - mine.length) });
        }
      }
      known.set(op.key, read);
    }
  });

  // Each key's order: its longest read. Every read must be a prefix of it; the elements of a
  // prefix are checked once, with the longest read, and other reads on their own.
  const order = new Map<string, string[]>();
  const compatible = new Set<string>();
  const everRead = new Map<string, Set<string>>();
  for (const [key, reads] of fullReads) {
    let longest = reads[0];
    for (const r of reads) if (r.read.length > longest.read.length) longest = r;
    order.set(key, longest.read);
    const elements = new Set<string>();
    everRead.set(key, elements);
    for (const r of reads) {
      if (isPrefix(r.read, longest.read)) {
        compatible.add(`${r.txn}\u0000${key}`);
        if (r !== longest) continue;
      } else {
        report({ kind: "incompatible-order", key, txns: [r.txn, longest.txn], reads: [r.read, longest.read] });
      }
      const duplicates = repeated(r.read);
      if (duplicates.length > 0) report({ kind: "duplicate-elements", key, txn: r.txn, read: r.read, duplicates });
      for (const element of r.read) {
        if (elements.has(element)) continue;
        elements.add(element);
        const writer = appenders.get(key)?.get(element);
        if (writer === undefined) report({ kind: "garbage-read", key, txn: r.txn, element });
        else if (txns[writer.txn].outcome === "fail") report({ kind: "G1a", key, txn: r.txn, element, writer: writer.txn });
      }
    }
  }

  // Committed transactions: ok ones, and unknown ones whose appends somebody saw.
  const committed = txns.map((txn) => txn.outcome === "ok");
  for (const [key, elements] of order) {
    for (const e of elements) {
      const writer = appenders.get(key)?.get(e);
      if (writer !== undefined && txns[writer.txn].outcome === "unknown") committed[writer.txn] = true;
    }
  }

  // Acknowledged appends that a later read does not have, and that no read has at all.
  const earliestReadAfter = (key: string, time: number): number | null => {
    let best: number | null = null;
    for (const r of fullReads.get(key) ?? []) {
      if (txns[r.txn].invoke > time && (best === null || txns[r.txn].invoke < txns[best].invoke)) best = r.txn;
    }
    return best;
  };
  for (const [key, byElement] of appenders) {
    const seen = everRead.get(key);
    for (const [element, writer] of byElement) {
      const txn = txns[writer.txn];
      if (txn.outcome !== "ok" || seen?.has(element) === true || txn.complete === null) continue;
      const reader = earliestReadAfter(key, txn.complete);
      if (reader !== null) report({ kind: "lost-append", key, element, writer: writer.txn, reader });
    }
  }

  // The dependency graph.
  const graph = new TxnGraph<{ key: string; before: string | null; after: string | null }>(txns.length);
  for (const [key, elements] of order) {
    const byElement = appenders.get(key);
    for (let i = 0; i + 1 < elements.length; i++) {
      const a = byElement?.get(elements[i]);
      const b = byElement?.get(elements[i + 1]);
      if (a === undefined || b === undefined || !committed[a.txn] || !committed[b.txn]) continue;
      graph.addEdge(a.txn, b.txn, "ww", { key, before: elements[i], after: elements[i + 1] });
    }
  }
  for (const r of externalReads) {
    if (!compatible.has(`${r.txn}\u0000${r.key}`)) continue;
    const elements = order.get(r.key) ?? [];
    const byElement = appenders.get(r.key);
    const last = r.seen.length > 0 ? r.seen[r.seen.length - 1] : null;
    if (last !== null) {
      const writer = byElement?.get(last);
      if (writer !== undefined && committed[writer.txn]) {
        graph.addEdge(writer.txn, r.txn, "wr", { key: r.key, before: last, after: null });
        if (writer.followedByOwn && writer.txn !== r.txn) report({ kind: "G1b", key: r.key, txn: r.txn, element: last, writer: writer.txn });
      }
    }
    const nextElement = elements[r.seen.length];
    if (nextElement !== undefined) {
      const writer = byElement?.get(nextElement);
      if (writer !== undefined && committed[writer.txn]) graph.addEdge(r.txn, writer.txn, "rw", { key: r.key, before: last, after: nextElement });
    }
  }
  const edges = graph.edges.length;
  graph.addRealTime(
    txns.map((t) => t.invoke),
    txns.map((t) => t.complete),
    committed,
  );

  // Cycles: for each strongly connected component, its most serious kind of cycle.
  const components = graph.components(() => true);
  const rwEdges = components.length === 0 ? [] : graph.edges.flatMap((e, i) => (e.kind === "rw" ? [i] : []));
  for (const component of components) {
    const cycle = worstCycle(graph, rwEdges, new Set(component));
    if (cycle !== null) report({ kind: "cycle", name: cycle.name, steps: collapseTime(graph, cycle.path) });
  }

  const stats: ListAppendStats = {
    txns: txns.length,
    ok: txns.filter((t) => t.outcome === "ok").length,
    unknown: txns.filter((t) => t.outcome === "unknown").length,
    failed: txns.filter((t) => t.outcome === "fail").length,
    keys: new Set([...appenders.keys(), ...fullReads.keys()]).size,
    appends: appendCount,
    reads: readCount,
    edges,
    components: components.length,
  };
  return { ok: anomalies.length === 0, anomalies, counts, stats, txns };
}

function worstCycle<D>(
  graph: TxnGraph<D>,
  rwEdges: readonly number[],
  within: ReadonlySet<number>,
): { name: CycleName; path: readonly Edge<D>[] } | null {
  for (const c of cycleClasses) {
    const allowed = (kind: EdgeKind) => c.kinds.includes(kind);
    if (c.singleRw) {
      let best: number[] | null = null;
      let tries = 0;
      for (const ei of rwEdges) {
        if (tries >= singleRwTriesMax) break;
        const e = graph.edges[ei];
        if (!within.has(e.from) || !within.has(e.to)) continue;
        tries++;
        const back = graph.shortestPath(e.to, e.from, allowed, within);
        if (back !== null && (best === null || back.length + 1 < best.length)) best = [ei, ...back];
      }
      if (best !== null) return { name: c.name, path: best.map((ei) => graph.edges[ei]) };
      continue;
    }
    const sub = graph.components(allowed, within);
    if (sub.length === 0) continue;
    const nodes = new Set(sub[0]);
    const start = sub[0].find((v) => graph.isTxn(v));
    assert(start !== undefined, "a cycle goes through a transaction");
    const path = graph.shortestPath(start, start, allowed, nodes);
    assert(path !== null, "a strongly connected component has a cycle through each node");
    return { name: c.name, path: path.map((ei) => graph.edges[ei]) };
  }
  return null;
}

/** Turns runs of real-time edges through time nodes into one transaction-to-transaction step. */
function collapseTime<D extends { key: string; before: string | null; after: string | null }>(graph: TxnGraph<D>, path: readonly Edge<D>[]): CycleStep[] {
  // Rotate so the cycle starts at a transaction.
  const start = path.findIndex((e) => graph.isTxn(e.from));
  const rotated = [...path.slice(start), ...path.slice(0, start)];
  const steps: CycleStep[] = [];
  for (let i = 0; i < rotated.length; i++) {
    const e = rotated[i];
    if (e.kind !== "rt") {
      steps.push({ from: e.from, to: e.to, kind: e.kind, key: e.detail?.key ?? null, before: e.detail?.before ?? null, after: e.detail?.after ?? null });
      continue;
    }
    let to = e.to;
    while (!graph.isTxn(to)) to = rotated[++i].to;
    steps.push({ from: e.from, to, kind: "rt", key: null, before: null, after: null });
  }
  return steps;
}

function repeated(list: readonly string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const e of list) {
    if (seen.has(e)) twice.add(e);
    seen.add(e);
  }
  return [...twice];
}

/**
 * Elements compare as strings: a client may append numbers and read back LRANGE's strings.
 * Reads repeat the same elements over and over, so small integers keep their text.
 */
function asStrings(values: readonly Element[], texts: string[]): string[] {
  const result = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === "string") result[i] = v;
    else if (Number.isInteger(v) && v >= 0 && v < smallIntegerTextsMax) result[i] = texts[v] ??= String(v);
    else result[i] = String(v);
  }
  return result;
}

/** Integer elements below this keep a cached decimal text. */
const smallIntegerTextsMax = 1 << 24;

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && isPrefix(a, b);
}

function isPrefix(a: readonly string[], b: readonly string[]): boolean {
  if (a.length > b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A report for people: totals, then each anomaly with the transactions involved. */
export function formatListAppendResult(result: ListAppendResult): string {
  const s = result.stats;
  const lines = [
    `list-append: ${plural(s.txns, "transaction")} (${s.ok} ok, ${s.unknown} unknown, ${s.failed} failed), ${plural(s.keys, "key")}, ` +
      `${plural(s.appends, "append")}, ${plural(s.reads, "read")}, ${plural(s.edges, "dependency", "dependencies")}: ` +
      (result.ok ? "strict serializable" : `NOT strict serializable (${Object.entries(result.counts).map(([k, n]) => `${k} ×${n}`).join(", ")})`),
  ];
  const txn = (t: number) => describeTxn(result.txns, t);
  const list = (l: readonly string[]) => `[${l.join(" ")}]`;
  for (const a of result.anomalies) {
    switch (a.kind) {
      case "duplicate-elements":
        lines.push(`duplicate elements: ${txn(a.txn)} read ${JSON.stringify(a.key)} = ${list(a.read)}, which holds ${a.duplicates.join(", ")} more than once`);
        break;
      case "incompatible-order":
        lines.push(`incompatible order on ${JSON.stringify(a.key)}: neither read is a prefix of the other:`, `  ${txn(a.txns[0])} read ${list(a.reads[0])}`, `  ${txn(a.txns[1])} read ${list(a.reads[1])}`);
        break;
      case "garbage-read":
        lines.push(`garbage read: ${txn(a.txn)} read ${a.element} in ${JSON.stringify(a.key)}, which nobody appended`);
        break;
      case "G1a":
        lines.push(`G1a (aborted read): ${txn(a.txn)} read ${a.element} in ${JSON.stringify(a.key)}, appended by failed ${txn(a.writer)}`);
        break;
      case "G1b":
        lines.push(`G1b (intermediate read): ${txn(a.txn)} read ${JSON.stringify(a.key)} up to ${a.element}, in the middle of ${txn(a.writer)}'s appends`);
        break;
      case "internal":
        lines.push(`internal inconsistency: ${txn(a.txn)} read ${JSON.stringify(a.key)} = ${list(a.read)} but its own operations imply ${list(a.expected)}`);
        break;
      case "lost-append":
        lines.push(
          `lost append: ${txn(a.writer)} appended ${a.element} to ${JSON.stringify(a.key)} and was acknowledged, ` +
            `but no read has it, not even ${txn(a.reader)}, which began later`,
        );
        break;
      case "cycle":
        lines.push(`${a.name} cycle of ${a.steps.length} transactions:`);
        for (const step of a.steps) lines.push(`  ${describeStep(result.txns, step)}`);
        break;
    }
  }
  return lines.join("\n");
}

function describeTxn(txns: readonly Txn[], t: number): string {
  const x = txns[t];
  return `T${t} (client ${x.client}, [${x.invoke}, ${x.complete ?? "?"}]${x.outcome === "ok" ? "" : `, ${x.outcome}`})`;
}

function describeStep(txns: readonly Txn[], s: CycleStep): string {
  const from = `T${s.from}`;
  const to = `T${s.to}`;
  const key = JSON.stringify(s.key);
  switch (s.kind) {
    case "ww":
      return `${describeTxn(txns, s.from)} -ww-> ${to}: on ${key}, ${to} appended ${s.after} right after ${from}'s ${s.before}`;
    case "wr":
      return `${describeTxn(txns, s.from)} -wr-> ${to}: ${to} read ${key} up to ${from}'s ${s.before}`;
    case "rw":
      return (
        `${describeTxn(txns, s.from)} -rw-> ${to}: ${from} read ${key} ${s.before === null ? "empty" : `up to ${s.before}`}, ` +
        `without ${to}'s ${s.after}, which comes next`
      );
    case "rt":
      return `${describeTxn(txns, s.from)} -rt-> ${to}: ${from} completed at ${txns[s.from].complete}, before ${to} began at ${txns[s.to].invoke}`;
  }
}

function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}
