// What the node's three threads say to each other over their channels (DESIGN §1):
//
//   main → raft      (commands)   PROPOSE an entry, READ (ask for a read index)
//   raft → main      (events)     committed ENTRIES, proposals ACCEPTED/REJECTED, READ_OK/FAILED,
//                                 ROLE changes, a SNAPSHOT to load, WANT_SNAPSHOT, STORAGE_FAILED
//   raft → storage   (persist)    READY: snapshot, entries, hard state to make durable
//   storage → raft   (persisted)  DONE up to a READY, or FAILED
//
// The hot messages (PROPOSE, ENTRIES, READY) are written straight into ring memory; every
// message starts with its kind byte. Control-plane calls (INFO, CONFIG, admin) use comlink.

import { entryTypes, type Entry, type EntryType, type HardState } from "../raft/types.ts";
import { WireReader, WireWriter } from "./wire.ts";

// ---- main → raft ----
export const Cmd = { propose: 1, read: 2 } as const;

/** PROPOSE: request id, then the entry bytes (entry-codec.ts). */
export function proposeSize(entryBytes: number): number {
  return 1 + 8 + entryBytes;
}

export function writeProposeHeader(view: Uint8Array, requestId: number): Uint8Array {
  view[0] = Cmd.propose;
  new DataView(view.buffer, view.byteOffset, 9).setFloat64(1, requestId, true);
  return view.subarray(9);
}

export function encodeRead(readId: number): Uint8Array {
  return new WireWriter(16).u8(Cmd.read).f64(readId).view();
}

// ---- raft → main ----
export const Ev = { entries: 1, accepted: 2, rejected: 3, readOk: 4, readFailed: 5, role: 6, snapshot: 7, wantSnapshot: 8, storageFailed: 9 } as const;

/** Why a proposal or read was refused (maps to -MOVED / -CLUSTERDOWN / -TRYAGAIN). */
export const Refused = { notLeader: 1, transfer: 2, busy: 3, other: 4 } as const;
export type RefusedCode = (typeof Refused)[keyof typeof Refused];

export const RoleCode = { follower: 0, preCandidate: 1, candidate: 2, leader: 3 } as const;

const entryTypeCodes: Record<EntryType, number> = { normal: 0, noop: 1, conf: 2 };

export function entryTypeCode(t: EntryType): number {
  return entryTypeCodes[t];
}

export function entryTypeOf(code: number): EntryType {
  const t = entryTypes[code];
  if (t === undefined) throw new Error(`unknown entry type code ${code}`);
  return t;
}

/** Bytes of an entries list: u32 count, then per entry f64 index, f64 term, u8 type, u32 len, data. */
export function entriesSize(entries: readonly Entry[]): number {
  let n = 4;
  for (const e of entries) n += 8 + 8 + 1 + 4 + e.data.length;
  return n;
}

/** Writes an entries list at `at`; returns the offset after it. */
export function writeEntries(view: Uint8Array, at: number, entries: readonly Entry[]): number {
  const dv = new DataView(view.buffer, view.byteOffset, view.byteLength);
  dv.setUint32(at, entries.length, true);
  at += 4;
  for (const e of entries) {
    dv.setFloat64(at, e.index, true);
    dv.setFloat64(at + 8, e.term, true);
    dv.setUint8(at + 16, entryTypeCodes[e.type]);
    dv.setUint32(at + 17, e.data.length, true);
    at += 21;
    view.set(e.data, at);
    at += e.data.length;
  }
  return at;
}

/** Reads an entries list; entry data are views into `r`'s message (copy to keep). */
export function readEntries(r: WireReader): Entry[] {
  const n = r.u32();
  const out: Entry[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const index = r.f64();
    const term = r.f64();
    const type = entryTypeOf(r.u8());
    const data = r.bytes();
    out[i] = { index, term, type, data };
  }
  return out;
}

export function encodeAccepted(firstRequest: number, count: number, firstIndex: number, term: number): Uint8Array {
  return new WireWriter(32).u8(Ev.accepted).f64(firstRequest).u32(count).f64(firstIndex).f64(term).view();
}

export function encodeRejected(firstRequest: number, count: number, reason: RefusedCode, leaderId: number): Uint8Array {
  return new WireWriter(32).u8(Ev.rejected).f64(firstRequest).u32(count).u8(reason).u32(leaderId).view();
}

export function encodeReadOk(readId: number, index: number): Uint8Array {
  return new WireWriter(24).u8(Ev.readOk).f64(readId).f64(index).view();
}

export function encodeReadFailed(readId: number, reason: RefusedCode, leaderId: number): Uint8Array {
  return new WireWriter(24).u8(Ev.readFailed).f64(readId).u8(reason).u32(leaderId).view();
}

export function encodeRole(leaderId: number, role: number, term: number): Uint8Array {
  return new WireWriter(24).u8(Ev.role).u32(leaderId).u8(role).f64(term).view();
}

// ---- raft → storage ----
export const Persist = { ready: 1 } as const;

/** What one Ready asks storage to make durable. */
export interface PersistBatch {
  readonly seq: number;
  readonly hardState: HardState | null;
  readonly snapshot: { index: number; term: number; conf: Uint8Array; data: Uint8Array } | null;
  readonly entries: readonly Entry[];
}

export function encodePersist(b: PersistBatch): Uint8Array {
  const w = new WireWriter(64 + entriesSize(b.entries) + (b.snapshot?.data.length ?? 0));
  w.u8(Persist.ready).f64(b.seq).u8((b.hardState ? 1 : 0) | (b.snapshot ? 2 : 0));
  if (b.hardState) w.f64(b.hardState.term).u32(b.hardState.vote).f64(b.hardState.commit);
  if (b.snapshot) w.f64(b.snapshot.index).f64(b.snapshot.term).bytes(b.snapshot.conf).bytes(b.snapshot.data);
  const size = entriesSize(b.entries);
  const tail = new Uint8Array(size);
  writeEntries(tail, 0, b.entries);
  const head = w.view();
  const out = new Uint8Array(head.length + size);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

export function decodePersist(message: Uint8Array): PersistBatch {
  const r = new WireReader(message);
  r.u8();
  const seq = r.f64();
  const flags = r.u8();
  const hardState = flags & 1 ? { term: r.f64(), vote: r.u32(), commit: r.f64() } : null;
  const snapshot = flags & 2 ? { index: r.f64(), term: r.f64(), conf: r.bytes(), data: r.bytes() } : null;
  const entries = readEntries(r);
  r.end();
  return { seq, hardState, snapshot, entries };
}

// ---- storage → raft ----
export const Persisted = { done: 1, failed: 2 } as const;

export function encodePersisted(seq: number): Uint8Array {
  return new WireWriter(16).u8(Persisted.done).f64(seq).view();
}

export function encodePersistFailed(reason: string): Uint8Array {
  return new WireWriter(64).u8(Persisted.failed).text(reason).view();
}
