import { YOUTH_ROOM_POWER } from './power-levels.ts';
import { TERMINAL, stateOf } from '../state/store.ts';
import { UNKNOWN, conversationOf, type CommandOutcome, type Invocation } from '../commands/types.ts';
import { serviceMessage } from '../triage/render.ts';
import { say } from './messages.ts';

/**
 * What the young person reads when a supervisor is about to join: their join shows in the room, so it is said
 * plainly who comes, never their name or role beyond « de l'équipe ».
 */
export const SUPERVISOR_JOINS = "Une personne de l'équipe relit la conversation, pour t'aider au mieux.";

/** A supervisor joins a conversation of their force (audited). */
export async function supervise(invocation: Invocation, roomId: string): Promise<CommandOutcome> {
  const { ctx, staff, eventId, at, force } = invocation;
  const conversation = conversationOf(invocation, roomId);
  if (!conversation) return UNKNOWN;
  await ctx.matrix.setPower(roomId, staff.userId, YOUTH_ROOM_POWER.agent);
  await ctx.matrix.ensureInvited(roomId, staff.userId);
  // Staff leave a conversation when it ends, so joining an ended one is how a supervisor reads it: audited as such.
  const ended = TERMINAL.has(stateOf(conversation));
  if (!ended) await say(ctx, roomId, serviceMessage(SUPERVISOR_JOINS), eventId, 'supervisor');
  await ctx.audit.write([force], eventId, {
    actor: staff.userId,
    action: ended ? 'read_closed' : 'supervise',
    conversation: roomId,
    at,
  });
  return { ok: true, message: `Vous êtes invité dans la conversation n°${conversation.entry.ticket}.` };
}
