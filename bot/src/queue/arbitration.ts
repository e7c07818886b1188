import type { ConversationEntry, Force, QueuedEntry } from '@espace-mineurs/protocol';
import type { StaffMember } from '../state/store.ts';

export type ClaimRefusal =
  | 'NOT_STAFF'
  | 'WRONG_FORCE'
  | 'UNKNOWN_CONVERSATION'
  | 'CONVERSATION_ENDED'
  | 'ALREADY_CLAIMED'
  | 'NOT_QUEUED'
  | 'AT_CAPACITY';
/** A claim to apply carries the queued entry it was decided on; a replayed one was applied already. */
export type ClaimVerdict =
  { ok: true; replay: false; entry: QueuedEntry } | { ok: true; replay: true } | { ok: false; code: ClaimRefusal };

export interface ClaimInput {
  /** The claim event; an entry already changed by it means the claim is being replayed after a crash. */
  eventId: string;
  /** The force whose queue room the claim was sent in. */
  force: Force;
  staff: StaffMember | undefined;
  entry: ConversationEntry | undefined;
  /** Conversations the agent holds now. */
  held: number;
  capacity: number;
}

/**
 * Decides one claim against the current entry. Claims of one force are decided one after another in the order
 * Synapse put them in the queue room, so of two simultaneous claims the first wins and the second sees
 * ALREADY_CLAIMED. This function is only the verdict; "the first claim wins" rests on every piece below, and a
 * change to any of them must keep it:
 * - matrix/sync.ts (`SyncLoop.loop`): each room's timeline is handed over in Synapse's order, a limited timeline
 *   completed with /messages before the batch, and batches are started in the order they arrive;
 * - handlers/index.ts (`handleBatch`): every handler is started in timeline order, without awaiting in between;
 * - commands/index.ts (`handleQueueRoomEvent`): a known, active staff member's command reaches its handler with
 *   no await before it, so the conversation's lock is requested in event order;
 * - runtime/context.ts (`withConversation`) over runtime/locks.ts (`KeyedQueue`): tasks of one conversation run
 *   one after another in the order they were requested;
 * - queue/claim.ts (`claim`): arbitrates under that lock, against the entry as the previous claim left it, and
 *   commits with `lastEvent` = the claim, so a replayed claim is recognised (`replay`) and not decided twice.
 */
export function arbitrateClaim(input: ClaimInput): ClaimVerdict {
  const { staff, entry } = input;
  if (!staff || !staff.active) return { ok: false, code: 'NOT_STAFF' };
  if (staff.force !== input.force) return { ok: false, code: 'WRONG_FORCE' };
  if (!entry || entry.force !== input.force || entry.movedTo) return { ok: false, code: 'UNKNOWN_CONVERSATION' };
  if (entry.lastEvent === input.eventId) return { ok: true, replay: true };
  if (entry.state === 'closed' || entry.state === 'abandoned') return { ok: false, code: 'CONVERSATION_ENDED' };
  if (entry.state === 'assigned') return { ok: false, code: 'ALREADY_CLAIMED' };
  if (entry.state !== 'queued') return { ok: false, code: 'NOT_QUEUED' };
  if (input.held >= input.capacity) return { ok: false, code: 'AT_CAPACITY' };
  return { ok: true, replay: false, entry };
}
