import type {
  AbandonedEntry,
  AssignedEntry,
  ClosedEntry,
  ConversationEntry,
  Force,
  Outcome,
  QueuedEntry,
} from '@espace-mineurs/protocol';

/**
 * The conversation lifecycle's transitions on the agents-side record, as pure functions (like the triage machine
 * and the claim arbitration): each takes the entry as it is and returns the entry to commit, without undefined
 * keys (`cleanEntry`), with `lastEvent` = its cause, so that a replayed cause finds it committed. The callers
 * commit the result (`saveEntry`) and then redo their idempotent effects. A pending warm transfer is dropped by
 * every transition that changes who holds the conversation or ends it. The entry is a union on `state`, so each
 * transition says which states it leaves and which it reaches.
 */

type PendingTransfer = NonNullable<ConversationEntry['pendingTransfer']>;

/** An entry that is still open: waiting in a queue or held by an agent. */
export type OpenEntry = QueuedEntry | AssignedEntry;

/** Where a move puts the conversation: back in a queue, or with an agent (a transfer to a colleague). */
export type MoveChanges =
  | { state: 'queued'; transferredFrom?: string }
  | { state: 'assigned'; assignee: string; claimedAt: number; transferredFrom?: string };

/** An entry without undefined keys (state content is JSON; undefined would vanish anyway). */
export function cleanEntry<E extends ConversationEntry>(entry: E): E {
  return Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== undefined)) as E;
}

function withoutPendingTransfer<E extends ConversationEntry>(entry: E): Omit<E, 'pendingTransfer'> {
  const { pendingTransfer: _pending, ...rest } = entry;
  return rest;
}

/** queued → assigned: the claim won the arbitration. */
export function claimed(entry: QueuedEntry, claim: { agent: string; at: number; cause: string }): AssignedEntry {
  return cleanEntry({
    ...withoutPendingTransfer(entry),
    state: 'assigned',
    assignee: claim.agent,
    claimedAt: claim.at,
    lastEvent: claim.cause,
  });
}

/** assigned → queued: the agent left, went off duty or was removed; nobody holds it any more. It keeps its place. */
export function requeued(entry: AssignedEntry, cause: string): QueuedEntry {
  const { assignee: _assignee, claimedAt: _claimedAt, ...rest } = withoutPendingTransfer(entry);
  return cleanEntry({ ...rest, state: 'queued', lastEvent: cause });
}

/** → closed, with the orientation given to the young person. */
export function closed(entry: ConversationEntry, close: { at: number; outcome: Outcome; cause: string }): ClosedEntry {
  return cleanEntry({
    ...withoutPendingTransfer(entry),
    state: 'closed',
    closedAt: close.at,
    outcome: close.outcome,
    lastEvent: close.cause,
  });
}

/** → abandoned: the young person left or stayed silent. */
export function abandoned(entry: ConversationEntry, abandon: { at: number; cause: string }): AbandonedEntry {
  return cleanEntry({
    ...withoutPendingTransfer(entry),
    state: 'abandoned',
    closedAt: abandon.at,
    lastEvent: abandon.cause,
  });
}

/** A warm transfer offered: it waits for the receiver's answer. */
export function transferOffered<E extends ConversationEntry>(entry: E, offer: PendingTransfer, cause: string): E {
  return cleanEntry({ ...entry, pendingTransfer: offer, lastEvent: cause });
}

/** A warm transfer declined by its receiver (`cause`: the answer) or withdrawn unanswered (no cause: a timer). */
export function transferDropped<E extends ConversationEntry>(entry: E, cause?: string): E {
  return cleanEntry({ ...withoutPendingTransfer(entry), ...(cause !== undefined ? { lastEvent: cause } : {}) } as E);
}

/** Grave danger flagged by an agent: the conversation goes first in the queue. */
export function flaggedUrgent<E extends ConversationEntry>(entry: E, cause: string): E {
  return cleanEntry({ ...entry, priority: 'urgent', lastEvent: cause });
}

/**
 * A new place for the conversation (overflow, transfer to a force or to an agent): in the same force the entry
 * keeps its ticket and queue message; in the other force it gets that force's `ticket` and remembers where it came
 * from. Whoever held it and any pending offer are dropped; `changes` says the new state (and holder). It keeps its
 * `queuedAt`: the time it has been waiting for the service.
 */
export function movedTo(
  entry: OpenEntry,
  target: { force: Force; ticket: number },
  changes: MoveChanges,
  cause: string,
): OpenEntry {
  const {
    assignee: _assignee,
    claimedAt: _claimedAt,
    queueEventId: _queueEventId,
    transferredFrom: _from,
    state: _state,
    ...rest
  } = withoutPendingTransfer(entry);
  const base =
    target.force === entry.force
      ? { ...rest, queueEventId: entry.queueEventId }
      : { ...rest, ticket: target.ticket, force: target.force, previousForce: entry.force };
  return cleanEntry({ ...base, ...changes, lastEvent: cause });
}

/** The guest account was locked and deactivated after the grace period. */
export function guestEnded<E extends ConversationEntry>(entry: E, at: number): E {
  return cleanEntry({ ...entry, guestEndedAt: at });
}

/** The agent's first message reached the young person (time to first answer). */
export function firstAgentMessage<E extends ConversationEntry>(entry: E, at: number): E {
  return cleanEntry({ ...entry, firstAgentMessageAt: at });
}
