// The register / key-value model: one Redis string key seen through GET, SET, INCR(BY), DEL and
// SETNX. The state is the key's value, or null when the key does not exist.

import { impossible, type Impossible, type Model } from "./model.ts";

export type KvInput =
  | { readonly kind: "get" }
  | { readonly kind: "set"; readonly value: string }
  /** INCR / INCRBY: on a missing key starts at 0. An error reply (not an integer) is a failed op. */
  | { readonly kind: "incr"; readonly by?: number }
  | { readonly kind: "del" }
  | { readonly kind: "setnx"; readonly value: string };

/**
 * get: the value or null. set: anything (ignored). incr: the new value. del: keys removed (0|1).
 * setnx: 1 when it set the key, 0 when the key existed.
 */
export type KvOutput = string | number | null;

export type KvState = string | null;

const integerPattern = /^-?(0|[1-9][0-9]*)$/;

function incremented(state: KvState, by: number): string | null {
  if (state === null) return String(BigInt(by));
  if (!integerPattern.test(state)) return null;
  return String(BigInt(state) + BigInt(by));
}

export const kvModel: Model<KvState, KvInput, KvOutput> = {
  name: "kv",
  init: () => null,
  step(state: KvState, input: KvInput, output: KvOutput | undefined): KvState | Impossible {
    switch (input.kind) {
      case "get":
        return output === undefined || output === state ? state : impossible;
      case "set":
        return input.value;
      case "incr": {
        const next = incremented(state, input.by ?? 1);
        // Redis refuses to increment a non-integer and changes nothing; a client records that
        // error as a failed operation, so a known output here is always a number.
        if (next === null) return output === undefined ? state : impossible;
        return output === undefined || String(output) === next ? next : impossible;
      }
      case "del":
        if (output !== undefined && Number(output) !== (state === null ? 0 : 1)) return impossible;
        return null;
      case "setnx":
        if (state !== null) return output === undefined || Number(output) === 0 ? state : impossible;
        return output === undefined || Number(output) === 1 ? input.value : impossible;
    }
  },
  stateKey: (state) => (state === null ? "\u0000nil" : state),
  readOnly: (input) => input.kind === "get",
  blind: (input, output) => input.kind === "set" || (input.kind === "del" && output === undefined),
  sameEffect(a, b) {
    if (a.kind !== b.kind) return false;
    switch (a.kind) {
      case "get":
      case "del":
        return true;
      case "incr":
        return (a.by ?? 1) === ((b as { by?: number }).by ?? 1);
      case "set":
      case "setnx":
        return a.value === (b as { value: string }).value;
    }
  },
  describeOp(input, output) {
    const arg = input.kind === "set" || input.kind === "setnx" ? ` ${JSON.stringify(input.value)}` : input.kind === "incr" && input.by !== undefined ? ` by ${input.by}` : "";
    const result = input.kind === "set" ? "" : output === undefined ? " → ?" : ` → ${output === null ? "nil" : JSON.stringify(output)}`;
    return `${input.kind}${arg}${result}`;
  },
  describeState: (state) => (state === null ? "nil (no key)" : JSON.stringify(state)),
};
