import { EventType, type ConversationEntry } from '@espace-mineurs/protocol';
import type { Context } from '../runtime/context.ts';
import type { Conversation } from '../state/store.ts';
import { moveRoomToForceServer } from '../federation/conversation.ts';
import { crashPoint } from '../runtime/fault.ts';

/**
 * Commits a conversation's agents-side record: the state event in the queue room of the force holding it.
 * This write is the commit point of every transition; what follows it is idempotent and redone on replay.
 * When the force changes, the old force keeps an entry saying where the conversation went.
 */
export async function saveEntry(ctx: Context, conversation: Conversation, entry: ConversationEntry): Promise<void> {
  const previous = conversation.entry;
  if (ctx.federation && (!previous || previous.force !== entry.force)) {
    // Federated: the young person's room admits the serving force's server (and the previous force's users
    // leave it) before that force's queue can see the conversation, so no agent is invited into a room its
    // server may not join. Idempotent: a replay writes the same ACL and removes nobody.
    const { publicServer, forceServers } = ctx.federation;
    await moveRoomToForceServer(ctx.matrix, conversation.roomId, {
      publicServer,
      fromServer: previous ? forceServers[previous.force] : publicServer,
      toServer: forceServers[entry.force],
    });
  }
  if (previous && previous.force !== entry.force && !previous.movedTo) {
    const moved: ConversationEntry = { ...previous, movedTo: entry.force };
    await ctx.matrix.putState(
      ctx.store.forces[previous.force].queueRoomId,
      EventType.Conversation,
      conversation.roomId,
      moved,
    );
    crashPoint('move-after-pointer');
  }
  await ctx.matrix.putState(
    ctx.store.forces[entry.force].queueRoomId,
    EventType.Conversation,
    conversation.roomId,
    entry,
  );
  conversation.entry = entry;
  ctx.store.noteTicket(entry.force, entry.ticket);
}

export { cleanEntry } from './machine.ts';
