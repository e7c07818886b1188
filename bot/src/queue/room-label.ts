import type { Context } from '../runtime/context.ts';
import type { RoutedConversation } from '../state/store.ts';

/**
 * How staff tell conversation rooms apart in Element: each is a (non-canonical) `m.space.child` of the force
 * space that holds it, and is named « Conversation n° 12 » with that force's ticket. The name is neutral on
 * purpose: the young person's site never shows room names (web/src/lib/chat/room-model.ts reads no
 * m.room.name), and any other client would show a number, not a word about them. No `m.space.parent` is written
 * in the young person's room. When the conversation changes force, it leaves the old space.
 */
const labelled = new Map<string, string>();

export function conversationRoomName(ticket: number): string {
  return `Conversation n° ${ticket}`;
}

/** Idempotent: a label already written by this process is not written again (Synapse deduplicates the rest). */
export async function labelConversationRoom(ctx: Context, conversation: RoutedConversation): Promise<void> {
  const { entry, roomId } = conversation;
  const key = `${entry.force}:${entry.ticket}`;
  if (labelled.get(roomId) === key) return;
  const spaces = ctx.store.forces;
  if (entry.previousForce && entry.previousForce !== entry.force) {
    await ctx.matrix.putState(spaces[entry.previousForce].spaceId, 'm.space.child', roomId, {});
  }
  await ctx.matrix.putState(spaces[entry.force].spaceId, 'm.space.child', roomId, {
    via: [ctx.matrix.userId.split(':').slice(1).join(':')],
  });
  await ctx.matrix.putState(roomId, 'm.room.name', '', { name: conversationRoomName(entry.ticket) });
  labelled.set(roomId, key);
}
