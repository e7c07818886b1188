import type { Force } from '@espace-mineurs/protocol';
import type { Context } from '../runtime/context.ts';
import type { Conversation } from '../state/store.ts';
import { saveEntry } from '../conversation/entry.ts';
import { movedTo, type MoveChanges } from '../conversation/machine.ts';

/**
 * Commits a conversation's new place: in the same force, the entry is updated; in the other force, a new entry
 * (with a ticket of that force) is written there and the old one records where it went. Skipped on replay, and
 * for a conversation that has ended (only an open one moves).
 */
export async function commitMove(
  ctx: Context,
  conversation: Conversation,
  cause: string,
  target: Force,
  changes: MoveChanges,
): Promise<void> {
  const entry = conversation.entry;
  if (!entry || entry.lastEvent === cause || (entry.state !== 'queued' && entry.state !== 'assigned')) return;
  // An accepted offer to the other force keeps the ticket its agents were offered it under.
  const reserved =
    entry.pendingTransfer?.receiver?.force === target ? entry.pendingTransfer.receiver.ticket : undefined;
  const ticket = target === entry.force ? entry.ticket : (reserved ?? ctx.store.takeTicket(target));
  await saveEntry(ctx, conversation, movedTo(entry, { force: target, ticket }, changes, cause));
}
