// The parameter table: each row names an option (as Redis or RedisRaft spells it), its kind,
// limits, the Settings field it lives in and whether it may change at run time. The command
// line, config files and CONFIG GET/SET all go through it, so they accept the same values
// and print the same errors.

import { globMatch } from "../util/glob.ts";
import { parseInt64 } from "../util/number.ts";
import type { BoolSetting, NumberSetting, Settings, StringSetting } from "./settings.ts";

type ParamKind =
  | { kind: "int"; field: NumberSetting; min: number; max: number }
  | { kind: "memory"; field: NumberSetting; min: number; max: number }
  | { kind: "bool"; field: BoolSetting }
  | { kind: "enum"; field: StringSetting; values: readonly string[] }
  | { kind: "string"; field: StringSetting; validate?: (v: string) => string | null }
  | { kind: "custom"; get: (s: Settings) => string; set: (s: Settings, v: string) => string | null };

export type Param = ParamKind & {
  readonly name: string;
  readonly aliases?: readonly string[];
  /** Changeable only at start (command line / config file), not by CONFIG SET. */
  readonly immutable?: boolean;
};

/** Parses text the way the parameter's kind does; returns an error text or null. */
type Setter = (s: Settings, v: string) => string | null;

const intMax = 2147483647;
const llMax = Number.MAX_SAFE_INTEGER;

function hostPort(v: string): string | null {
  if (v === "") return null;
  const i = v.lastIndexOf(":");
  const port = Number(v.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    return "Address is invalid. It must be in the form of 10.0.0.3:8000";
  }
  return null;
}

const yesNo = (b: boolean): string => (b ? "yes" : "no");

/** Redis's `save` syntax: empty, or pairs of <seconds> <changes>. */
function saveParams(v: string): string | null {
  const words = v.split(" ").filter((w) => w !== "");
  if (words.length % 2 !== 0) return "Invalid save parameters";
  for (const w of words) if (parseInt64(w) === null || (parseInt64(w) ?? 0n) < 0n) return "Invalid save parameters";
  return null;
}

/** hz accepts any non-negative int and clamps it to 1..500, as Redis's updateHZ does. */
const setHz: Setter = (s, v) => {
  const n = parseInt64(v);
  if (n === null) return "argument couldn't be parsed into an integer";
  if (n < 0n || n > 2147483647n) return "argument must be between 0 and 2147483647 inclusive";
  s.hz = Math.min(500, Math.max(1, Number(n)));
  return null;
};

/** client-output-buffer-limit: `<class> <hard> <soft> <soft-seconds>` groups; only normal applies. */
const setOutputLimits: Setter = (s, v) => {
  const words = v.split(" ").filter((w) => w !== "");
  if (words.length === 0 || words.length % 4 !== 0) return "Wrong number of arguments in buffer limit configuration.";
  const others = new Map<string, string>();
  const current = s.clientOutputOtherLimits.split(" ");
  for (let i = 0; i + 3 < current.length; i += 4) others.set(current[i], current.slice(i + 1, i + 4).join(" "));
  let normal: [number, number, number] | null = null;
  for (let i = 0; i < words.length; i += 4) {
    let cls = words[i].toLowerCase();
    if (cls === "replica") cls = "slave";
    if (cls !== "normal" && cls !== "slave" && cls !== "pubsub") {
      return "Invalid client class specified in buffer limit configuration.";
    }
    const hard = parseMemory(words[i + 1]);
    const soft = parseMemory(words[i + 2]);
    const secs = parseInt64(words[i + 3]);
    if (hard === null || soft === null || secs === null || secs < 0n || secs > 2147483647n) {
      return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
    }
    if (cls === "normal") normal = [hard, soft, Number(secs)];
    else others.set(cls, `${hard} ${soft} ${secs}`);
  }
  if (normal !== null) [s.clientOutputHardLimit, s.clientOutputSoftLimit, s.clientOutputSoftSeconds] = normal;
  s.clientOutputOtherLimits = ["slave", "pubsub"].map((c) => `${c} ${others.get(c) ?? "0 0 0"}`).join(" ");
  return null;
};

export const params: readonly Param[] = [
  // ---- network and server ----
  { name: "port", kind: "int", field: "port", min: 0, max: 65535, immutable: true },
  { name: "bind", kind: "string", field: "bind", immutable: true },
  { name: "dir", kind: "string", field: "dir", immutable: true },
  { name: "maxclients", kind: "int", field: "maxclients", min: 1, max: 4294967295 },
  { name: "timeout", kind: "int", field: "timeout", min: 0, max: intMax },
  { name: "tcp-keepalive", kind: "int", field: "tcpKeepalive", min: 0, max: intMax },
  { name: "hz", kind: "custom", get: (s) => String(s.hz), set: setHz },
  { name: "loglevel", kind: "enum", field: "loglevel", values: ["debug", "verbose", "notice", "warning"] },
  { name: "logfile", kind: "string", field: "logfile", immutable: true },
  { name: "databases", kind: "int", field: "databases", min: 1, max: 1, immutable: true },
  { name: "daemonize", kind: "bool", field: "daemonize", immutable: true },
  { name: "pidfile", kind: "string", field: "pidfile", immutable: true },
  { name: "protected-mode", kind: "bool", field: "protectedMode" },
  { name: "requirepass", kind: "string", field: "requirepass" },
  // ---- memory ----
  { name: "maxmemory", kind: "memory", field: "maxmemory", min: 0, max: llMax },
  { name: "maxmemory-policy", kind: "enum", field: "maxmemoryPolicy", values: ["noeviction"] },
  { name: "proto-max-bulk-len", kind: "memory", field: "protoMaxBulkLen", min: 1024 * 1024, max: llMax },
  {
    name: "client-output-buffer-limit",
    kind: "custom",
    get: (s) => `normal ${s.clientOutputHardLimit} ${s.clientOutputSoftLimit} ${s.clientOutputSoftSeconds} ${s.clientOutputOtherLimits}`,
    set: setOutputLimits,
  },
  { name: "client-query-buffer-limit", kind: "memory", field: "clientQueryBufferLimit", min: 1024 * 1024, max: llMax },
  // ---- encodings (OBJECT ENCODING follows Redis's thresholds) ----
  { name: "hash-max-listpack-entries", aliases: ["hash-max-ziplist-entries"], kind: "int", field: "hashMaxListpackEntries", min: 0, max: llMax },
  { name: "hash-max-listpack-value", aliases: ["hash-max-ziplist-value"], kind: "int", field: "hashMaxListpackValue", min: 0, max: llMax },
  { name: "list-max-listpack-size", aliases: ["list-max-ziplist-size"], kind: "int", field: "listMaxListpackSize", min: -5, max: intMax },
  { name: "set-max-intset-entries", kind: "int", field: "setMaxIntsetEntries", min: 0, max: llMax },
  { name: "zset-max-listpack-entries", aliases: ["zset-max-ziplist-entries"], kind: "int", field: "zsetMaxListpackEntries", min: 0, max: llMax },
  { name: "zset-max-listpack-value", aliases: ["zset-max-ziplist-value"], kind: "int", field: "zsetMaxListpackValue", min: 0, max: llMax },
  // ---- persistence: accepted so tools and configs work; raftis persists through Raft ----
  { name: "save", kind: "string", field: "save", validate: saveParams },
  { name: "appendonly", kind: "bool", field: "appendonly" },
  { name: "appendfsync", kind: "enum", field: "appendfsync", values: ["always", "everysec", "no"] },
  // ---- raft (RedisRaft's names, under raft.) ----
  { name: "raft.id", kind: "int", field: "raftId", min: 0, max: intMax, immutable: true },
  { name: "raft.addr", kind: "string", field: "raftAddr", validate: hostPort, immutable: true },
  { name: "raft.bus-addr", kind: "string", field: "raftBusAddr", validate: hostPort, immutable: true },
  { name: "raft.bus-port", kind: "int", field: "raftBusPort", min: 0, max: 65535, immutable: true },
  { name: "raft.periodic-interval", kind: "int", field: "raftPeriodicInterval", min: 1, max: intMax },
  { name: "raft.request-timeout", kind: "int", field: "raftRequestTimeout", min: 1, max: intMax },
  { name: "raft.election-timeout", kind: "int", field: "raftElectionTimeout", min: 1, max: intMax },
  { name: "raft.connection-timeout", kind: "int", field: "raftConnectionTimeout", min: 1, max: intMax },
  { name: "raft.join-timeout", kind: "int", field: "raftJoinTimeout", min: 1, max: intMax },
  { name: "raft.response-timeout", kind: "int", field: "raftResponseTimeout", min: 1, max: intMax },
  { name: "raft.reconnect-interval", kind: "int", field: "raftReconnectInterval", min: 1, max: intMax },
  { name: "raft.proxy-response-timeout", kind: "int", field: "raftProxyResponseTimeout", min: 1, max: intMax },
  { name: "raft.append-req-max-count", kind: "int", field: "raftAppendReqMaxCount", min: 1, max: intMax },
  { name: "raft.append-req-max-size", kind: "memory", field: "raftAppendReqMaxSize", min: 1, max: intMax },
  { name: "raft.snapshot-req-max-count", kind: "int", field: "raftSnapshotReqMaxCount", min: 1, max: intMax },
  { name: "raft.snapshot-req-max-size", kind: "memory", field: "raftSnapshotReqMaxSize", min: 1, max: intMax },
  { name: "raft.log-max-cache-size", kind: "memory", field: "raftLogMaxCacheSize", min: 0, max: llMax },
  { name: "raft.log-max-file-size", kind: "memory", field: "raftLogMaxFileSize", min: 0, max: llMax },
  { name: "raft.log-fsync", kind: "bool", field: "raftLogFsync" },
  { name: "raft.log-filename", kind: "string", field: "raftLogFilename", immutable: true },
  { name: "raft.snapshot-filename", kind: "string", field: "raftSnapshotFilename", immutable: true },
  { name: "raft.follower-proxy", kind: "bool", field: "raftFollowerProxy" },
  { name: "raft.follower-reads", kind: "bool", field: "raftFollowerReads" },
  { name: "raft.quorum-reads", kind: "bool", field: "raftQuorumReads" },
  { name: "raft.storage", kind: "enum", field: "raftStorage", values: ["disk", "memory"], immutable: true },
  { name: "raft.cluster-password", kind: "string", field: "raftClusterPassword", immutable: true },
  { name: "raft.shutdown-on-remove", kind: "bool", field: "raftShutdownOnRemove" },
  { name: "raft.ring-size", kind: "memory", field: "raftRingSize", min: 64 * 1024, max: 1024 * 1024 * 1024, immutable: true },
  { name: "raft.loglevel", kind: "enum", field: "raftLoglevel", values: ["debug", "verbose", "notice", "warning"] },
];

const byName = new Map<string, Param>();
for (const p of params) {
  byName.set(p.name, p);
  for (const alias of p.aliases ?? []) byName.set(alias, p);
}

export function findParam(name: string): Param | undefined {
  return byName.get(name.toLowerCase());
}

const memoryUnits: Readonly<Record<string, bigint>> = { "": 1n, b: 1n, k: 1000n, kb: 1024n, m: 1000000n, mb: 1048576n, g: 1000000000n, gb: 1073741824n };

/** Redis's memtoull: digits with an optional k/kb/m/mb/g/gb suffix (case-insensitive), as a bigint. */
function parseMemoryBig(text: string): bigint | null {
  const m = /^(\d+)(k|kb|m|mb|g|gb|b)?$/i.exec(text);
  if (m === null) return null;
  const value = BigInt(m[1]) * memoryUnits[(m[2] ?? "").toLowerCase()];
  return value <= 18446744073709551615n ? value : null;
}

/** parseMemoryBig for values that must fit a JS number (client output limits). */
export function parseMemory(text: string): number | null {
  const n = parseMemoryBig(text);
  return n !== null && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : null;
}

/** Limits print as Redis prints them: llMax stands for LLONG_MAX. */
function bound(n: number): bigint {
  return n === llMax ? 9223372036854775807n : BigInt(n);
}

function outOfBounds(p: { min: number; max: number }, n: bigint): string | null {
  if (n >= bound(p.min) && n <= bound(p.max)) return null;
  return `argument must be between ${bound(p.min)} and ${bound(p.max)} inclusive`;
}

/** The value as CONFIG GET prints it. */
export function formatParam(p: Param, s: Settings): string {
  switch (p.kind) {
    case "int":
    case "memory":
      return String(s[p.field]);
    case "bool":
      return yesNo(s[p.field]);
    case "enum":
    case "string":
      return s[p.field];
    case "custom":
      return p.get(s);
  }
}

/** Sets one parameter from text; returns an error message (Redis's wording) or null. */
export function setParam(p: Param, s: Settings, value: string): string | null {
  switch (p.kind) {
    case "int": {
      // Redis's string2ll: no spaces, no '+', no leading zeros.
      const n = parseInt64(value);
      if (n === null) return "argument couldn't be parsed into an integer";
      const err = outOfBounds(p, n);
      if (err !== null) return err;
      s[p.field] = Number(n);
      return null;
    }
    case "memory": {
      const n = parseMemoryBig(value);
      if (n === null) return "argument must be a memory value";
      const err = outOfBounds(p, n);
      if (err !== null) return err;
      s[p.field] = Number(n);
      return null;
    }
    case "bool": {
      const v = value.toLowerCase();
      if (v !== "yes" && v !== "no") return "argument must be 'yes' or 'no'";
      s[p.field] = v === "yes";
      return null;
    }
    case "enum": {
      const v = value.toLowerCase();
      if (!p.values.includes(v)) return `argument(s) must be one of the following: ${p.values.join(", ")}`;
      s[p.field] = v;
      return null;
    }
    case "string": {
      const err = p.validate?.(value) ?? null;
      if (err !== null) return err;
      s[p.field] = value;
      return null;
    }
    case "custom":
      return p.set(s, value);
  }
}

/**
 * CONFIG GET, as Redis 7.0: a pattern without glob characters names one parameter (printed
 * as typed); a glob matches every name and alias. Each printed name appears once.
 */
export function getParams(s: Settings, patterns: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  const seen = new Set<string>();
  for (const pattern of patterns) {
    if (!/[*?[]/.test(pattern)) {
      const p = byName.get(pattern.toLowerCase());
      if (p === undefined || seen.has(pattern)) continue;
      seen.add(pattern);
      out.push([pattern, formatParam(p, s)]);
      continue;
    }
    for (const [name, p] of byName) {
      if (seen.has(name) || !globMatch(pattern, name, true)) continue;
      seen.add(name);
      out.push([name, formatParam(p, s)]);
    }
  }
  return out;
}

export type SetResult = { readonly ok: true; readonly changed: readonly Param[] } | { readonly ok: false; readonly error: string };

/**
 * CONFIG SET with one or more (name, value) pairs, all or nothing as in Redis 7.0: names are
 * checked first (unknown, immutable, given twice), then values are applied in order; if one
 * fails, every parameter set so far gets its old value back.
 */
export function setParamsAtomic(s: Settings, pairs: readonly (readonly [string, string])[]): SetResult {
  const chosen: Param[] = [];
  for (const [name] of pairs) {
    const p = findParam(name);
    if (p === undefined) return { ok: false, error: `ERR Unknown option or number of arguments for CONFIG SET - '${name}'` };
    if (p.immutable === true) return { ok: false, error: setFailed(name, "can't set immutable config") };
    if (chosen.includes(p)) return { ok: false, error: setFailed(name, "duplicate parameter") };
    chosen.push(p);
  }
  const old = chosen.map((p) => formatParam(p, s));
  for (let i = 0; i < chosen.length; i++) {
    const err = setParam(chosen[i], s, pairs[i][1]);
    if (err !== null) {
      for (let j = 0; j <= i; j++) {
        const restored = setParam(chosen[j], s, old[j]);
        if (restored !== null) throw new Error(`Cannot restore ${chosen[j].name} to '${old[j]}': ${restored}`);
      }
      return { ok: false, error: setFailed(pairs[i][0], err) };
    }
  }
  return { ok: true, changed: chosen };
}

function setFailed(name: string, reason: string): string {
  return `ERR CONFIG SET failed (possibly related to argument '${name}') - ${reason}`;
}
