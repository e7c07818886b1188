import type { ConversationEntry, Force, Outcome } from '@espace-mineurs/protocol';

/**
 * The conversation lifecycle's transitions on the agents-side record, as pure functions (like the triage machine
 * and the claim arbitration): each takes the entry as it is and returns the entry to commit, without undefined
 * keys (`cleanEntry`), with `lastEvent` = its cause, so that a replayed cause finds it committed. The callers
 * commit the result (`saveEntry`) and then redo their idempotent effects. A pending warm transfer is dropped by
 * every transition that changes who holds the conversation or ends it.
 */

type PendingTransfer = NonNullable<ConversationEntry['pendingTransfer']>;

/** An entry without undefined keys (state content is JSON; undefined would vanish anyway). */
export function cleanEntry(entry: ConversationEntry): ConversationEntry {
  return Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== undefined)) as ConversationEntry;
}

function withoutPendingTransfer(entry: ConversationEntry): ConversationEntry {
  const { pendingTransfer: _pending, ...rest } = entry;
  return rest;
}

/** queued → assigned: the claim won the arbitration. */
export function claimed(entry: ConversationEntry, claim: { agent: string; at: number; cause: string }): ConversationEntry {
  return cleanEntry({ ...withoutPendingTransfer(entry), state: 'assigned', assignee: claim.agent, claimedAt: claim.at, lastEvent: claim.cause });
}

/** assigned → queued: the agent left, went off duty or was removed; nobody holds it any more. */
export function requeued(entry: ConversationEntry, cause: string): ConversationEntry {
  const { assignee: _assignee, claimedAt: _claimedAt, ...rest } = withoutPendingTransfer(entry);
  return cleanEntry({ ...rest, state: 'queued', lastEvent: cause });
}

/** → closed, with the orientation given to the young person. */
export function closed(entry: ConversationEntry, close: { at: number; outcome: Outcome; cause: string }): ConversationEntry {
  return cleanEntry({ ...withoutPendingTransfer(entry), state: 'closed', closedAt: close.at, outcome: close.outcome, lastEvent: close.cause });
}

/** → abandoned: the young person left or stayed silent. */
export function abandoned(entry: ConversationEntry, abandon: { at: number; cause: string }): ConversationEntry {
  return cleanEntry({ ...withoutPendingTransfer(entry), state: 'abandoned', closedAt: abandon.at, lastEvent: abandon.cause });
}

/** A warm transfer offered: it waits for the receiver's answer. */
export function transferOffered(entry: ConversationEntry, offer: PendingTransfer, cause: string): ConversationEntry {
  return cleanEntry({ ...entry, pendingTransfer: offer, lastEvent: cause });
}

/** A warm transfer declined by its receiver (`cause`: the answer) or withdrawn unanswered (no cause: a timer). */
export function transferDropped(entry: ConversationEntry, cause?: string): ConversationEntry {
  return cleanEntry({ ...withoutPendingTransfer(entry), ...(cause !== undefined ? { lastEvent: cause } : {}) });
}

/** Grave danger flagged by an agent: the conversation goes first in the queue. */
export function flaggedUrgent(entry: ConversationEntry, cause: string): ConversationEntry {
  return cleanEntry({ ...entry, priority: 'urgent', lastEvent: cause });
}

/**
 * A new place for the conversation (overflow, transfer to a force or to an agent): in the same force the entry
 * keeps its ticket and queue message; in the other force it gets that force's `ticket` and remembers where it came
 * from. Whoever held it and any pending offer are dropped; `changes` says the new state (and holder).
 */
export function movedTo(entry: ConversationEntry, target: { force: Force; ticket: number }, changes: Partial<ConversationEntry>, cause: string): ConversationEntry {
  const { assignee: _assignee, claimedAt: _claimedAt, queueEventId: _queueEventId, transferredFrom: _from, ...rest } = withoutPendingTransfer(entry);
  const base = target.force === entry.force ? { ...rest, queueEventId: entry.queueEventId } : { ...rest, ticket: target.ticket, force: target.force, previousForce: entry.force };
  return cleanEntry({ ...base, ...changes, lastEvent: cause });
}

/** The guest account was locked and deactivated after the grace period. */
export function guestEnded(entry: ConversationEntry, at: number): ConversationEntry {
  return cleanEntry({ ...entry, guestEndedAt: at });
}

/** The agent's first message reached the young person (time to first answer). */
export function firstAgentMessage(entry: ConversationEntry, at: number): ConversationEntry {
  return cleanEntry({ ...entry, firstAgentMessageAt: at });
}
