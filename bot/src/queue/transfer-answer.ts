import { FORCE_LABEL } from '@espace-mineurs/protocol';
import { saveEntry } from '../conversation/entry.ts';
import { transferDropped } from '../conversation/machine.ts';
import { notifyQueue } from '../conversation/messages.ts';
import { withConversation } from '../runtime/context.ts';
import { isRouted, type Conversation } from '../state/store.ts';
import { handOver } from './transfer.ts';
import { postQueueLine, pseudonymOf } from './notices.ts';
import { UNKNOWN, answering, refuse, type CommandOutcome, type Invocation } from '../commands/types.ts';

/** A warm transfer offered to this agent, or to their force. */
function offeredTo(invocation: Invocation, conversation: Conversation | undefined): boolean {
  const offer = conversation?.entry?.pendingTransfer;
  if (!offer) return false;
  return 'agent' in offer.to
    ? offer.to.agent === invocation.staff.userId
    : offer.to.force === invocation.staff.force && invocation.force === invocation.staff.force;
}

export async function acceptTransfer(invocation: Invocation, roomId: string): Promise<CommandOutcome> {
  const { ctx, staff, eventId, at } = invocation;
  return withConversation(ctx, roomId, async () => {
    const conversation = ctx.store.conversations.get(roomId);
    if (!isRouted(conversation)) return UNKNOWN;
    if (conversation.entry.lastEvent !== eventId && !offeredTo(invocation, conversation))
      return refuse('NO_PENDING_TRANSFER', 'Aucun transfert ne vous est proposé pour cette conversation.');
    const before =
      conversation.entry.lastEvent === eventId
        ? undefined
        : { force: conversation.entry.force, ticket: conversation.entry.ticket };
    await handOver(ctx, conversation, eventId, at, staff.userId, { agent: staff.userId });
    const moved = conversation.entry;
    // The live log of both queue rooms: the receiver's line answers the command; the giver's force learns where it went.
    const line = `Transfert accepté : conversation n°${moved.ticket} prise par ${pseudonymOf(ctx, staff.userId)}.`;
    await postQueueLine(ctx, invocation.force, line, answering(invocation), eventId, 'accepted');
    if (before && before.force !== moved.force) {
      await postQueueLine(
        ctx,
        before.force,
        `Conversation n°${before.ticket} transférée à ${pseudonymOf(ctx, staff.userId)} (n°${moved.ticket} de la ${FORCE_LABEL[moved.force]}).`,
        {},
        eventId,
        'moved',
      );
    }
    return { ok: true, message: line, logged: true };
  });
}

export async function declineTransfer(invocation: Invocation, roomId: string): Promise<CommandOutcome> {
  const { ctx, staff, eventId, at } = invocation;
  return withConversation(ctx, roomId, async () => {
    const conversation = ctx.store.conversations.get(roomId);
    const entry = conversation?.entry;
    if (!conversation || !entry) return UNKNOWN;
    if (entry.lastEvent !== eventId) {
      if (!offeredTo(invocation, conversation))
        return refuse('NO_PENDING_TRANSFER', 'Aucun transfert ne vous est proposé pour cette conversation.');
      await saveEntry(ctx, conversation, transferDropped(entry, eventId));
    }
    await notifyQueue(ctx, entry.force, `Transfert de la conversation n°${entry.ticket} refusé.`, eventId, 'declined');
    await ctx.audit.write([entry.force], eventId, {
      actor: staff.userId,
      action: 'transfer_decline',
      conversation: roomId,
      at,
    });
    return { ok: true, message: 'Transfert refusé.' };
  });
}
