import type { Context } from '../runtime/context.ts';
import { isRouted, type Conversation } from '../state/store.ts';
import { serviceMessage } from '../triage/render.ts';
import { announceQueued } from './enqueue.ts';
import { saveEntry } from '../conversation/entry.ts';
import { requeued } from '../conversation/machine.ts';
import { say } from '../conversation/messages.ts';

/**
 * Puts an assigned conversation back in its queue (its agent left or went off duty). It keeps its original
 * queue time, so it goes before conversations that arrived after it.
 */
export async function requeue(
  ctx: Context,
  conversation: Conversation,
  cause: string,
  at: number,
  agent: string,
  reason: string,
): Promise<void> {
  if (!isRouted(conversation)) return;
  const entry = conversation.entry;
  if (entry.lastEvent !== cause) {
    if (entry.state !== 'assigned' || entry.assignee !== agent) return;
    await saveEntry(ctx, conversation, requeued(entry, cause));
  }
  conversation.agentJoined = false;
  await ctx.matrix.kick(conversation.roomId, agent, 'Conversation remise en file');
  await ctx.matrix.setPower(conversation.roomId, agent, undefined);
  await say(
    ctx,
    conversation.roomId,
    serviceMessage("La personne qui te répondait a dû partir. Quelqu'un d'autre va te répondre très vite."),
    cause,
    'requeued',
  );
  await announceQueued(ctx, conversation, conversation.entry, cause, 'De nouveau en attente : conversation');
  await ctx.audit.write([entry.force], cause, {
    actor: agent,
    action: 'requeue',
    conversation: conversation.roomId,
    at,
    details: { reason },
  });
}
