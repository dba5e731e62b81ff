// Building messages: every field present, so they encode the same way whatever their type.

import type { Message, MessageType } from "./types.ts";

export const emptyBytes: Uint8Array = new Uint8Array(0);

export function newMessage(fields: Partial<Message> & { type: MessageType; from: number; to: number; term: number }): Message {
  return {
    type: fields.type,
    from: fields.from,
    to: fields.to,
    term: fields.term,
    logTerm: fields.logTerm ?? 0,
    index: fields.index ?? 0,
    entries: fields.entries ?? [],
    commit: fields.commit ?? 0,
    reject: fields.reject ?? false,
    rejectHint: fields.rejectHint ?? 0,
    context: fields.context ?? emptyBytes,
    snapshot: fields.snapshot ?? null,
  };
}

/**
 * Messages that claim something durable: an append acknowledgement, a vote granted (or asked for:
 * the candidate's own vote and term must be on disk before it can win). They wait for the
 * ready's persist (Ready.messagesAfterPersist).
 */
export function mustFollowPersist(type: MessageType): boolean {
  return type === "MsgAppResp" || type === "MsgVoteResp" || type === "MsgVote";
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

