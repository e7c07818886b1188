import { EventType, FORCE_LABEL, type Command, type Force } from '@espace-mineurs/protocol';
import { assignEffects } from './assign.ts';
import { announceQueued } from './enqueue.ts';
import { saveEntry } from '../conversation/entry.ts';
import { transferOffered } from '../conversation/machine.ts';
import { say } from '../conversation/messages.ts';
import { postQueueLine, pseudonymOf } from './notices.ts';
import { labelConversationRoom } from './room-label.ts';
import { commitMove } from './move.ts';
import { crashPoint } from '../runtime/fault.ts';
import type { Context } from '../runtime/context.ts';
import { withConversation } from '../runtime/context.ts';
import { isRouted, type RoutedConversation } from '../state/store.ts';
import { serviceMessage } from '../triage/render.ts';
import { UNKNOWN, answering, conversationOf, refuse, type CommandOutcome, type Invocation } from '../commands/types.ts';

type TransferCommand = Extract<Command, { action: 'transfer' }>;
export type TransferTarget = TransferCommand['to'];

/**
 * Hands a conversation over at once (cold transfer, or an accepted warm one): to a colleague of any force, who is
 * invited in place of the previous agent, or to a force's queue.
 */
export async function handOver(
  ctx: Context,
  conversation: RoutedConversation,
  cause: string,
  at: number,
  actor: string,
  to: TransferTarget,
): Promise<void> {
  const entry = conversation.entry;
  // On a replay the entry already names the new place; the agent to remove is the one recorded with the move.
  const previous = entry.lastEvent === cause ? entry.transferredFrom : entry.assignee;
  const from = previous ? { transferredFrom: previous } : {};
  if ('agent' in to) {
    const receiver = ctx.store.staff.get(to.agent)!;
    await commitMove(ctx, conversation, cause, receiver.force, {
      state: 'assigned',
      assignee: to.agent,
      claimedAt: at,
      ...from,
    });
    crashPoint('transfer-after-commit');
    await assignEffects(ctx, conversation, cause, previous);
    await labelConversationRoom(ctx, conversation);
  } else {
    await commitMove(ctx, conversation, cause, to.force, { state: 'queued', ...from });
    crashPoint('transfer-after-commit');
    conversation.agentJoined = false;
    if (previous) {
      await ctx.matrix.kick(conversation.roomId, previous, 'Conversation transférée');
      await ctx.matrix.setPower(conversation.roomId, previous, undefined);
    }
    await say(
      ctx,
      conversation.roomId,
      serviceMessage(`Ta conversation est confiée à la ${FORCE_LABEL[to.force]}. Quelqu'un va te répondre très vite.`),
      cause,
      'transferred',
    );
    await announceQueued(ctx, conversation, conversation.entry, cause, 'Conversation transférée');
  }
  const moved = conversation.entry;
  const forces: Force[] =
    moved.previousForce && moved.previousForce !== moved.force ? [moved.previousForce, moved.force] : [moved.force];
  await ctx.audit.write(forces, cause, {
    actor,
    action: 'transfer',
    conversation: conversation.roomId,
    at,
    details: 'agent' in to ? { toAgent: to.agent } : { toForce: to.force },
  });
}

/** « la Gendarmerie nationale », « Charlie » : the receiver as a queue line names them. */
function receiverName(ctx: Context, to: TransferTarget): string {
  return 'agent' in to ? pseudonymOf(ctx, to.agent) : `la ${FORCE_LABEL[to.force]}`;
}

/**
 * The conversation this very command already moved to the other force, when it is replayed (the bot was killed
 * after the move's commit): it is no longer in the command's force, yet the replay must finish what followed
 * (the young person told, the queue notice, the audit). Returns it with its ticket in the command's force.
 */
async function movedByThisCommand(
  invocation: Invocation,
  roomId: string,
): Promise<{ conversation: RoutedConversation; sourceTicket: number } | undefined> {
  const { ctx, eventId, force } = invocation;
  const conversation = ctx.store.conversations.get(roomId);
  if (!isRouted(conversation)) return undefined;
  const entry = conversation.entry;
  if (entry.lastEvent !== eventId || entry.force === force || entry.previousForce !== force) return undefined;
  const pointer = await ctx.matrix.getState<{ ticket?: unknown }>(
    ctx.store.forces[force].queueRoomId,
    EventType.Conversation,
    roomId,
  );
  if (typeof pointer?.ticket !== 'number') return undefined;
  return { conversation, sourceTicket: pointer.ticket };
}

export async function transfer(invocation: Invocation, command: TransferCommand): Promise<CommandOutcome> {
  const { ctx, staff, eventId, at } = invocation;
  return withConversation(ctx, command.conversation, async () => {
    const here = conversationOf(invocation, command.conversation);
    const alreadyMoved = here ? undefined : await movedByThisCommand(invocation, command.conversation);
    const conversation = here ?? alreadyMoved?.conversation;
    if (!conversation) return UNKNOWN;
    const entry = conversation.entry;
    const replay = entry.lastEvent === eventId;
    if (!replay) {
      if (entry.state !== 'assigned')
        return refuse('NOT_IN_PROGRESS', 'Seule une conversation en cours peut être transférée.');
      if (entry.assignee !== staff.userId && staff.role !== 'supervisor')
        return refuse('NOT_ASSIGNEE', "Cette conversation n'est pas la vôtre.");
      if ('agent' in command.to) {
        const receiver = ctx.store.staff.get(command.to.agent);
        if (!receiver?.active || (receiver.role !== 'agent' && receiver.role !== 'supervisor'))
          return refuse('UNKNOWN_AGENT', "Ce collègue n'est pas enregistré.");
        if (command.to.agent === entry.assignee) return refuse('SAME_AGENT', 'Cette conversation est déjà la sienne.');
      }
    }
    // Where the conversation was before this command: the command's force (even on a replay after the move).
    const sourceTicket = alreadyMoved?.sourceTicket ?? entry.ticket;
    const sourceForce = invocation.force;
    if (command.mode === 'cold') {
      await handOver(ctx, conversation, eventId, at, staff.userId, command.to);
      const after = conversation.entry;
      const name = receiverName(ctx, command.to);
      const elsewhere = after.force !== sourceForce ? ` (n°${after.ticket} de la ${FORCE_LABEL[after.force]})` : '';
      const logLine = `Conversation n°${sourceTicket} transférée à ${name}${elsewhere} par ${pseudonymOf(ctx, staff.userId)}.`;
      if ('agent' in command.to) {
        // The receiver is told in their own force's queue room which ticket they now hold (Element shows only an
        // invite otherwise, and every text command names the conversation by that ticket). In the same force,
        // that line is also the log line answering the command.
        const t = after.ticket;
        const yours = `${name}, elle est à vous (salon « Conversation n° ${t} ») : !clore ${t} issue, !transferer ${t} …, !danger ${t}.`;
        const same = after.force === sourceForce;
        await postQueueLine(
          ctx,
          after.force,
          same
            ? `${logLine} ${yours}`
            : `Conversation n°${t} transférée à ${name} par ${pseudonymOf(ctx, staff.userId)} (${FORCE_LABEL[sourceForce]}). ${yours}`,
          same ? answering(invocation, { mention: [command.to.agent] }) : { mention: [command.to.agent] },
          eventId,
          'handed',
        );
        if (!same) await postQueueLine(ctx, sourceForce, logLine, answering(invocation), eventId, 'moved');
      } else {
        await postQueueLine(ctx, sourceForce, logLine, answering(invocation), eventId, 'moved');
      }
      return { ok: true, message: `Conversation n°${sourceTicket} transférée à ${name}${elsewhere}.`, logged: true };
    }
    if (!replay) {
      const targetForce = 'agent' in command.to ? ctx.store.staff.get(command.to.agent)!.force : command.to.force;
      // An offer to the other force reserves the ticket its agents will know the conversation by.
      const receiver =
        targetForce !== entry.force
          ? { receiver: { force: targetForce, ticket: ctx.store.takeTicket(targetForce) } }
          : {};
      await saveEntry(
        ctx,
        conversation,
        transferOffered(
          entry,
          {
            from: staff.userId,
            to: command.to,
            ...(command.comment ? { comment: command.comment } : {}),
            offeredAt: at,
            ...receiver,
          },
          eventId,
        ),
      );
    }
    const offer = conversation.entry.pendingTransfer;
    if (!offer) return { ok: true, message: 'Transfert proposé.' };
    const targetForce = offer.receiver?.force ?? entry.force;
    const ticket = offer.receiver?.ticket ?? entry.ticket;
    const origin = targetForce !== entry.force ? ` (n°${entry.ticket} de la ${FORCE_LABEL[entry.force]})` : '';
    const lines = [
      `Transfert proposé à ${receiverName(ctx, command.to)} par ${pseudonymOf(ctx, staff.userId)} : conversation n°${ticket}${origin}.`,
      entry.triage?.text ?? '',
      `Pour l'accepter : !accepter ${ticket} — pour la refuser : !refuser ${ticket} [motif]`,
    ].filter(Boolean);
    await postQueueLine(
      ctx,
      targetForce,
      lines.join('\n'),
      'agent' in command.to ? { mention: [command.to.agent] } : {},
      eventId,
      'offer',
    );
    await ctx.audit.write(targetForce === entry.force ? [entry.force] : [entry.force, targetForce], eventId, {
      actor: staff.userId,
      action: 'transfer_offer',
      conversation: command.conversation,
      at,
      details: { ticket: entry.ticket },
    });
    return {
      ok: true,
      message: `Transfert de la conversation n°${entry.ticket} proposé à ${receiverName(ctx, command.to)} ; en attente de réponse.`,
    };
  });
}
