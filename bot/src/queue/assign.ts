import { ContentKey, FORCE_LABEL } from '@espace-mineurs/protocol';
import type { Context } from '../runtime/context.ts';
import type { Conversation } from '../state/store.ts';
import { serviceMessage } from '../triage/render.ts';
import { YOUTH_ROOM_POWER } from '../conversation/power-levels.ts';
import { say } from '../conversation/messages.ts';
import { refreshPositionsSoon, writeStatus, writeStatusSettled } from '../conversation/status.ts';
import { crashPoint } from '../runtime/fault.ts';

/**
 * What follows a committed assignment (claim, accepted transfer): the agent gets power 50, the young person is
 * told who is coming by pseudonym, then the agent is invited. Idempotent; `previous` loses their power and is removed.
 * The status follows a moment later, with the agent's join when it comes by then.
 */
export async function assignEffects(
  ctx: Context,
  conversation: Conversation,
  cause: string,
  previous?: string,
): Promise<void> {
  const entry = conversation.entry;
  if (!entry?.assignee) return;
  const agent = entry.assignee;
  if (previous && previous !== agent) {
    await ctx.matrix.kick(conversation.roomId, previous, 'Conversation transférée');
    await ctx.matrix.setPower(conversation.roomId, previous, undefined);
  }
  await ctx.matrix.setPower(conversation.roomId, agent, YOUTH_ROOM_POWER.agent);
  const pseudonym = ctx.store.staff.get(agent)?.pseudonym ?? 'Un agent';
  const body = previous
    ? `${pseudonym}, de la ${FORCE_LABEL[entry.force]}, prend le relais et va te répondre. Tu n'as pas besoin de tout répéter.`
    : `${pseudonym}, de la ${FORCE_LABEL[entry.force]}, va te répondre. Tu peux lui écrire ici.`;
  await say(ctx, conversation.roomId, serviceMessage(body, { [ContentKey.ServiceAgentComing]: true }), cause, 'coming');
  // Invited only after the message: the agent's client joins on the invitation, and a bot event written while a
  // force server's join is under way forks the room's graph. The force server then fetches the fork's missing
  // events from before the join with get_missing_events, and Synapse soft-fails (hides from every client) those
  // whose sender is no longer a member: a cold transfer's previous agent. Seen in the federated agent client e2e.
  const membership = await ctx.matrix.ensureInvited(conversation.roomId, agent);
  // A later join arrives through sync and flips this (membership handler).
  conversation.agentJoined = membership === 'join';
  // Held back a moment for the agent's join: one status event for both (conversation/status.ts).
  if (conversation.agentJoined) await writeStatus(ctx, conversation, ctx.now());
  else writeStatusSettled(ctx, conversation);
  crashPoint('assign-status-held');
  refreshPositionsSoon(ctx, entry.force);
}
