import { FORCE_LABEL, type Command, type Force } from '@espace-mineurs/protocol';
import { assignEffects } from './assign.ts';
import { announceQueued } from './enqueue.ts';
import { saveEntry } from '../conversation/entry.ts';
import { transferOffered } from '../conversation/machine.ts';
import { notifyQueue, say } from '../conversation/messages.ts';
import { commitMove } from './move.ts';
import { crashPoint } from '../runtime/fault.ts';
import type { Context } from '../runtime/context.ts';
import { withConversation } from '../runtime/context.ts';
import type { RoutedConversation } from '../state/store.ts';
import { serviceMessage } from '../triage/render.ts';
import { UNKNOWN, conversationOf, refuse, type CommandOutcome, type Invocation } from '../commands/types.ts';

type TransferCommand = Extract<Command, { action: 'transfer' }>;
export type TransferTarget = TransferCommand['to'];

/**
 * Hands a conversation over at once (cold transfer, or an accepted warm one): to a colleague of any force, who is
 * invited in place of the previous agent, or to a force's queue.
 */
export async function handOver(ctx: Context, conversation: RoutedConversation, cause: string, at: number, actor: string, to: TransferTarget): Promise<void> {
  const entry = conversation.entry;
  // On a replay the entry already names the new place; the agent to remove is the one recorded with the move.
  const previous = entry.lastEvent === cause ? entry.transferredFrom : entry.assignee;
  const from = previous ? { transferredFrom: previous } : {};
  if ('agent' in to) {
    const receiver = ctx.store.staff.get(to.agent)!;
    await commitMove(ctx, conversation, cause, receiver.force, { state: 'assigned', assignee: to.agent, claimedAt: at, ...from });
    crashPoint('transfer-after-commit');
    await assignEffects(ctx, conversation, cause, previous);
  } else {
    await commitMove(ctx, conversation, cause, to.force, { state: 'queued', ...from });
    crashPoint('transfer-after-commit');
    conversation.agentJoined = false;
    if (previous) {
      await ctx.matrix.kick(conversation.roomId, previous, 'Conversation transférée');
      await ctx.matrix.setPower(conversation.roomId, previous, undefined);
    }
    await say(ctx, conversation.roomId, serviceMessage(`Ta conversation est confiée à la ${FORCE_LABEL[to.force]}. Quelqu'un va te répondre très vite.`), cause, 'transferred');
    await announceQueued(ctx, conversation, conversation.entry, cause, 'Conversation transférée');
  }
  const moved = conversation.entry;
  const forces: Force[] = moved.previousForce && moved.previousForce !== moved.force ? [moved.previousForce, moved.force] : [moved.force];
  await ctx.audit.write(forces, cause, { actor, action: 'transfer', conversation: conversation.roomId, at, details: 'agent' in to ? { toAgent: to.agent } : { toForce: to.force } });
}

export async function transfer(invocation: Invocation, command: TransferCommand): Promise<CommandOutcome> {
  const { ctx, staff, eventId, at } = invocation;
  return withConversation(ctx, command.conversation, async () => {
    const conversation = conversationOf(invocation, command.conversation);
    if (!conversation) return UNKNOWN;
    const entry = conversation.entry;
    const replay = entry.lastEvent === eventId;
    if (!replay) {
      if (entry.state !== 'assigned') return refuse('NOT_IN_PROGRESS', "Seule une conversation en cours peut être transférée.");
      if (entry.assignee !== staff.userId && staff.role !== 'supervisor') return refuse('NOT_ASSIGNEE', "Cette conversation n'est pas la vôtre.");
      if ('agent' in command.to) {
        const receiver = ctx.store.staff.get(command.to.agent);
        if (!receiver?.active || receiver.role !== 'agent' && receiver.role !== 'supervisor') return refuse('UNKNOWN_AGENT', "Ce collègue n'est pas enregistré.");
        if (command.to.agent === entry.assignee) return refuse('SAME_AGENT', 'Cette conversation est déjà la sienne.');
      }
    }
    if (command.mode === 'cold') {
      await handOver(ctx, conversation, eventId, at, staff.userId, command.to);
      return { ok: true, message: 'Conversation transférée.' };
    }
    if (!replay) {
      await saveEntry(ctx, conversation, transferOffered(entry, { from: staff.userId, to: command.to, ...(command.comment ? { comment: command.comment } : {}), offeredAt: at }, eventId));
    }
    const targetForce = 'agent' in command.to ? ctx.store.staff.get(command.to.agent)!.force : command.to.force;
    const who = 'agent' in command.to ? command.to.agent : `la ${FORCE_LABEL[command.to.force]}`;
    const reference = targetForce === entry.force ? String(entry.ticket) : command.conversation;
    await notifyQueue(ctx, targetForce, `Transfert proposé à ${who} : conversation n°${entry.ticket} (${FORCE_LABEL[entry.force]}).\n${entry.triage?.text ?? ''}\n!accepter ${reference} ou !refuser ${reference}`, eventId, 'offer');
    await ctx.audit.write(targetForce === entry.force ? [entry.force] : [entry.force, targetForce], eventId, { actor: staff.userId, action: 'transfer_offer', conversation: command.conversation, at });
    return { ok: true, message: 'Transfert proposé ; en attente de réponse.' };
  });
}
