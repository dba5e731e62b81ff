// The keyspace: keys to values, plus absolute expiry times (ms). Nothing here reads a clock:
// every lookup is given `now`, which on the write path is the log entry's timestamp, so all
// replicas expire the same keys at the same point in the log.
//
// Reads (lookupRead) never change anything: an expired key just looks absent. Only the apply
// path (lookupWrite, active expiry) deletes, so replicas stay identical whatever their clocks.

import { Dict } from "./dict.ts";
import { assert } from "../util/assert.ts";
import type { Rng } from "./rng.ts";
import type { Value } from "./value.ts";

/** Someone (a client's WATCH) interested in modifications of one key. */
export interface KeyWatcher {
  /** Called when the key is modified (Redis's touchWatchedKey). */
  touched(key: string, exists: boolean): void;
}

/**
 * A snapshot being written while writes go on (src/node/snapshot-writer.ts). The keyspace tells
 * it before any key's value or expiry changes, so it can first serialize what the key held when
 * the snapshot started: copy-on-write, one key at a time.
 */
export interface KeyspaceCopyOnWrite {
  /** `key` is about to be created, replaced, deleted, changed in place, or get or lose a TTL. */
  beforeWrite(key: string): void;
  /**
   * FLUSHALL/FLUSHDB ran. Instead of clearing, the keyspace left the dictionary and expiry table
   * it handed out in attachCopyOnWrite untouched (they are the writer's now, frozen), started
   * empty ones, and detached the writer: nothing it does later concerns the snapshot.
   */
  flushed(): void;
}

export class Keyspace {
  /** Replaced (not cleared) by flush() while a snapshot is being written; see KeyspaceCopyOnWrite. */
  #dict = new Dict<Value>();
  /** Absolute expiry (ms since epoch) of keys that have one. Every key here is in #dict. */
  #expires = new Map<string, number>();
  /** The snapshot being written, if any: told before every change. Null otherwise (the hot path's one branch). */
  #cow: KeyspaceCopyOnWrite | null = null;
  /** Persistent iterator for active expiry: resumes where the last cycle stopped. */
  #expireCursor: IterableIterator<[string, number]> | null = null;
  /** WATCHed keys on this node. Not replicated state: only feeds EXEC's abort decision. */
  readonly #watchers = new Map<string, Set<KeyWatcher>>();
  /**
   * OBJECT ENCODING of string keys whose encoding their bytes do not imply: Redis keeps a
   * string "raw" once APPEND/SETRANGE/SETBIT changed it in place, and INCRBYFLOAT stores
   * "embstr" even for integer-looking results. Set by the string commands; cleared whenever
   * the key is set or deleted, so it can never outlive the value it describes.
   */
  readonly #stringEncodings = new Map<string, string>();

  /** Number of keys, including expired ones not yet removed (as Redis's DBSIZE). */
  get size(): number {
    return this.#dict.size;
  }

  get expiresCount(): number {
    return this.#expires.size;
  }

  /** The value of a live key; expired keys read as absent but are not removed. */
  lookupRead(key: string, now: number): Value | undefined {
    const value = this.#dict.get(key);
    if (value === undefined) return undefined;
    if (this.#expires.size > 0 && this.isExpired(key, now)) return undefined;
    return value;
  }

  /** The value of a live key, for a command that will modify it; removes it if expired. */
  lookupWrite(key: string, now: number): Value | undefined {
    const value = this.#dict.get(key);
    if (value === undefined) return undefined;
    // The caller may change the value in place: a running snapshot copies it out first.
    if (this.#cow !== null) this.#cow.beforeWrite(key);
    if (this.#expires.size > 0 && this.isExpired(key, now)) {
      this.delete(key);
      return undefined;
    }
    return value;
  }

  /** True when the key exists and is live at `now`. */
  exists(key: string, now: number): boolean {
    return this.lookupRead(key, now) !== undefined;
  }

  isExpired(key: string, now: number): boolean {
    const at = this.#expires.get(key);
    return at !== undefined && at <= now;
  }

  /**
   * Stores `value` under `key` (Redis's setKey): a new or replaced key loses its TTL unless
   * `keepTtl`. Signals the modification.
   */
  set(key: string, value: Value, keepTtl = false): void {
    if (this.#cow !== null) this.#cow.beforeWrite(key);
    this.#dict.set(key, value);
    if (!keepTtl && this.#expires.size > 0) this.#expires.delete(key);
    if (this.#stringEncodings.size > 0) this.#stringEncodings.delete(key);
    this.signalModified(key);
  }

  /** Removes a key and its TTL; returns true when it existed. Signals the modification. */
  delete(key: string): boolean {
    if (this.#cow !== null) this.#cow.beforeWrite(key);
    if (!this.#dict.delete(key)) return false;
    if (this.#expires.size > 0) this.#expires.delete(key);
    if (this.#stringEncodings.size > 0) this.#stringEncodings.delete(key);
    this.signalModified(key);
    return true;
  }

  /** Absolute expiry in ms, or undefined when the key has none. */
  getExpire(key: string): number | undefined {
    return this.#expires.get(key);
  }

  /** Sets an absolute expiry on an existing key. */
  setExpire(key: string, at: number): void {
    if (!this.#dict.has(key)) return;
    if (this.#cow !== null) this.#cow.beforeWrite(key);
    this.#expires.set(key, at);
  }

  /** The encoding recorded for a string key by setStringEncoding, if any. */
  stringEncoding(key: string): string | undefined {
    return this.#stringEncodings.get(key);
  }

  /** Records a string key's OBJECT ENCODING (call after set(), which clears it). */
  setStringEncoding(key: string, encoding: string): void {
    if (!this.#dict.has(key)) return;
    this.#stringEncodings.set(key, encoding);
  }

  /** Removes the TTL; returns true when there was one. */
  persist(key: string): boolean {
    if (this.#cow !== null) this.#cow.beforeWrite(key);
    return this.#expires.delete(key);
  }

  /**
   * Marks `key` as modified for WATCH (Redis's signalModifiedKey). Commands that change a
   * value in place (HSET on an existing hash, ...) must call it themselves; set() and
   * delete() already do.
   */
  signalModified(key: string): void {
    if (this.#watchers.size === 0) return;
    const set = this.#watchers.get(key);
    if (set === undefined) return;
    const exists = this.#dict.has(key);
    for (const w of set) w.touched(key, exists);
  }

  watch(key: string, watcher: KeyWatcher): void {
    let set = this.#watchers.get(key);
    if (set === undefined) {
      set = new Set();
      this.#watchers.set(key, set);
    }
    set.add(watcher);
  }

  unwatch(key: string, watcher: KeyWatcher): void {
    const set = this.#watchers.get(key);
    if (set === undefined) return;
    set.delete(watcher);
    if (set.size === 0) this.#watchers.delete(key);
  }

  /** Removes every key (FLUSHALL/FLUSHDB); watched keys that existed are signalled. */
  flush(): void {
    const touched: string[] = [];
    for (const key of this.#watchers.keys()) if (this.#dict.has(key)) touched.push(key);
    if (this.#cow !== null) {
      // A snapshot is being written: give it the old tables whole (no pause to copy them out).
      const cow = this.#cow;
      this.#cow = null;
      this.#dict = new Dict<Value>();
      this.#expires = new Map<string, number>();
      cow.flushed();
    } else {
      this.#dict.clear();
      this.#expires.clear();
    }
    this.#stringEncodings.clear();
    this.#expireCursor = null;
    for (const key of touched) this.signalModified(key);
  }

  /**
   * Starts telling `cow` about every change (one snapshot at a time) and hands it the live
   * tables to read: it must never modify them. They stay live until detach or flush().
   */
  attachCopyOnWrite(cow: KeyspaceCopyOnWrite): { dict: Dict<Value>; expires: ReadonlyMap<string, number> } {
    assert(this.#cow === null, "one snapshot writer at a time");
    this.#cow = cow;
    return { dict: this.#dict, expires: this.#expires };
  }

  /** Stops telling `cow` about changes; a no-op when it is no longer attached (after flush). */
  detachCopyOnWrite(cow: KeyspaceCopyOnWrite): void {
    if (this.#cow === cow) this.#cow = null;
  }

  /** True while a snapshot writer is attached. */
  get copyOnWriteAttached(): boolean {
    return this.#cow !== null;
  }

  keys(): IterableIterator<string> {
    return this.#dict.keys();
  }

  entries(): IterableIterator<[string, Value]> {
    return this.#dict.entries();
  }

  /** Raw value, ignoring expiry (snapshots, debugging). */
  peek(key: string): Value | undefined {
    return this.#dict.get(key);
  }

  /** SCAN over keys; see Dict.scan. Expired keys are skipped by the caller's filter. */
  scan(cursor: number, count: number, visit: (key: string, value: Value) => void): number {
    return this.#dict.scan(cursor, count, visit);
  }

  /** A random live key (RANDOMKEY), or undefined when there is none. */
  randomKey(rng: Rng, now: number): string | undefined {
    // Like Redis, give up on a keyspace made only of expired keys after a bounded number of tries.
    for (let tries = 0; tries < 100; tries++) {
      const key = this.#dict.randomKey(rng);
      if (key === undefined) return undefined;
      if (!this.isExpired(key, now)) return key;
    }
    return undefined;
  }

  /**
   * Up to `max` keys whose expiry is due at `now`, found by walking the expiry table from
   * where the previous call stopped. Does not delete them: the caller decides how (direct
   * delete when single, a replicated expiry entry under Raft).
   */
  dueKeys(now: number, max: number): string[] {
    const due: string[] = [];
    if (this.#expires.size === 0) return due;
    const limit = Math.min(max, this.#expires.size);
    let examined = 0;
    let restarted = false;
    while (examined < limit) {
      if (this.#expireCursor === null) this.#expireCursor = this.#expires.entries();
      const step = this.#expireCursor.next();
      if (step.done) {
        this.#expireCursor = null;
        if (restarted) break;
        restarted = true;
        continue;
      }
      examined++;
      const [key, at] = step.value;
      if (at <= now) due.push(key);
    }
    return due;
  }
}
