import type { ConversationEntry, Force } from '@espace-mineurs/protocol';
import type { Context } from '../runtime/context.ts';
import type { Conversation } from '../state/store.ts';
import { cleanEntry, saveEntry } from '../conversation/entry.ts';

/**
 * Commits a conversation's new place: in the same force, the entry is updated; in the other force, a new entry
 * (with a ticket of that force) is written there and the old one records where it went. Skipped on replay.
 */
export async function commitMove(ctx: Context, conversation: Conversation, cause: string, target: Force, changes: Partial<ConversationEntry>): Promise<void> {
  const entry = conversation.entry;
  if (!entry || entry.lastEvent === cause) return;
  const { pendingTransfer: _pending, assignee: _assignee, claimedAt: _claimedAt, queueEventId: _queueEventId, transferredFrom: _from, ...rest } = entry;
  const base = target === entry.force ? { ...rest, queueEventId: entry.queueEventId } : { ...rest, ticket: ctx.store.takeTicket(target), force: target, previousForce: entry.force };
  await saveEntry(ctx, conversation, cleanEntry({ ...base, ...changes, lastEvent: cause }));
}
