import { EventType, type ConversationEntry } from '@espace-mineurs/protocol';
import type { Context } from '../runtime/context.ts';
import type { Conversation } from '../state/store.ts';

/**
 * Commits a conversation's agents-side record: the state event in the queue room of the force holding it.
 * This write is the commit point of every transition; what follows it is idempotent and redone on replay.
 * When the force changes, the old force keeps an entry saying where the conversation went.
 */
export async function saveEntry(ctx: Context, conversation: Conversation, entry: ConversationEntry): Promise<void> {
  const previous = conversation.entry;
  if (previous && previous.force !== entry.force && !previous.movedTo) {
    const moved: ConversationEntry = { ...previous, movedTo: entry.force };
    await ctx.matrix.putState(ctx.store.forces[previous.force].queueRoomId, EventType.Conversation, conversation.roomId, moved);
  }
  await ctx.matrix.putState(ctx.store.forces[entry.force].queueRoomId, EventType.Conversation, conversation.roomId, entry);
  conversation.entry = entry;
  ctx.store.noteTicket(entry.force, entry.ticket);
}

export { cleanEntry } from './machine.ts';
