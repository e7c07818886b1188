import type { Outcome } from '@espace-mineurs/protocol';
import { applyCoolDown } from './cool-down.ts';
import { closeConversation } from './end.ts';
import { withConversation } from '../runtime/context.ts';
import { UNKNOWN, answering, refuse, conversationOf, type CommandOutcome, type Invocation } from '../commands/types.ts';

/** Closes with an orientation outcome: the agent holding it, or a supervisor of the force. */
export async function close(
  invocation: Invocation,
  roomId: string,
  outcome: Outcome,
  coolDownMinutes?: number,
): Promise<CommandOutcome> {
  const { ctx, staff, eventId, at } = invocation;
  return withConversation(ctx, roomId, async () => {
    const conversation = conversationOf(invocation, roomId);
    if (!conversation) return UNKNOWN;
    const entry = conversation.entry;
    if (entry.lastEvent !== eventId && entry.assignee !== staff.userId && staff.role !== 'supervisor') {
      return refuse('NOT_ASSIGNEE', "Cette conversation n'est pas la vôtre.");
    }
    // Without a cool-down, the closing line of the queue room is the whole answer; with one, the answer waits
    // for the cool-down and says it.
    const answer = coolDownMinutes === undefined ? answering(invocation) : {};
    const result = await closeConversation(ctx, conversation, eventId, at, staff.userId, outcome, answer);
    if (!result.ok) return refuse(result.code, 'Cette conversation est déjà terminée.');
    if (coolDownMinutes === undefined)
      return { ok: true, message: `Conversation n°${entry.ticket} close.`, logged: true };
    await applyCoolDown(ctx, conversation, {
      force: invocation.force,
      by: staff.userId,
      at,
      minutes: coolDownMinutes,
      cause: eventId,
    });
    return {
      ok: true,
      message: `Conversation n°${entry.ticket} close ; pas de nouvelle conversation de ce jeune ni de cette adresse pendant ${coolDownMinutes} min.`,
    };
  });
}
