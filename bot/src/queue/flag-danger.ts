import { saveEntry } from '../conversation/entry.ts';
import { flaggedUrgent } from '../conversation/machine.ts';
import { withConversation } from '../runtime/context.ts';
import { stableTxnId } from '../matrix/client.ts';
import { UNKNOWN, conversationOf, refuse, type CommandOutcome, type Invocation } from '../commands/types.ts';

/** Grave danger: priority raised, supervisors told at once (no content, only the ticket). */
export async function flagDanger(invocation: Invocation, roomId: string): Promise<CommandOutcome> {
  const { ctx, staff, eventId, at, force } = invocation;
  return withConversation(ctx, roomId, async () => {
    const conversation = conversationOf(invocation, roomId);
    if (!conversation) return UNKNOWN;
    const entry = conversation.entry;
    if (entry.lastEvent !== eventId) {
      if (entry.assignee !== staff.userId && staff.role !== 'supervisor')
        return refuse('NOT_ASSIGNEE', "Cette conversation n'est pas la vôtre.");
      await saveEntry(ctx, conversation, flaggedUrgent(entry, eventId));
    }
    const supervisors = ctx.store.forces[force].supervisorsRoomId;
    await ctx.matrix.send(
      supervisors,
      'm.room.message',
      { msgtype: 'm.notice', body: `Danger grave signalé sur la conversation n°${entry.ticket}.` },
      stableTxnId('danger', eventId),
    );
    await ctx.audit.write([force], eventId, { actor: staff.userId, action: 'flag_danger', conversation: roomId, at });
    return { ok: true, message: `Danger signalé aux superviseurs pour la conversation n°${entry.ticket}.` };
  });
}
