import { FORCE_LABEL } from '@espace-mineurs/protocol';
import { saveEntry } from '../conversation/entry.ts';
import { transferDropped } from '../conversation/machine.ts';
import { notifyQueue } from '../conversation/messages.ts';
import { withConversation } from '../runtime/context.ts';
import { isRouted, type Conversation } from '../state/store.ts';
import { handOver } from './transfer.ts';
import { UNKNOWN, refuse, type CommandOutcome, type Invocation } from '../commands/types.ts';

/** A warm transfer offered to this agent, or to their force. */
function offeredTo(invocation: Invocation, conversation: Conversation | undefined): boolean {
  const offer = conversation?.entry?.pendingTransfer;
  if (!offer) return false;
  return 'agent' in offer.to ? offer.to.agent === invocation.staff.userId : offer.to.force === invocation.staff.force && invocation.force === invocation.staff.force;
}

export async function acceptTransfer(invocation: Invocation, roomId: string): Promise<CommandOutcome> {
  const { ctx, staff, eventId, at } = invocation;
  return withConversation(ctx, roomId, async () => {
    const conversation = ctx.store.conversations.get(roomId);
    if (!isRouted(conversation)) return UNKNOWN;
    if (conversation.entry.lastEvent !== eventId && !offeredTo(invocation, conversation)) return refuse('NO_PENDING_TRANSFER', "Aucun transfert ne vous est proposé pour cette conversation.");
    await handOver(ctx, conversation, eventId, at, staff.userId, { agent: staff.userId });
    return { ok: true, message: `Transfert accepté : conversation n°${conversation.entry.ticket} (${FORCE_LABEL[conversation.entry.force]}).` };
  });
}

export async function declineTransfer(invocation: Invocation, roomId: string): Promise<CommandOutcome> {
  const { ctx, staff, eventId, at } = invocation;
  return withConversation(ctx, roomId, async () => {
    const conversation = ctx.store.conversations.get(roomId);
    const entry = conversation?.entry;
    if (!conversation || !entry) return UNKNOWN;
    if (entry.lastEvent !== eventId) {
      if (!offeredTo(invocation, conversation)) return refuse('NO_PENDING_TRANSFER', "Aucun transfert ne vous est proposé pour cette conversation.");
      await saveEntry(ctx, conversation, transferDropped(entry, eventId));
    }
    await notifyQueue(ctx, entry.force, `Transfert de la conversation n°${entry.ticket} refusé.`, eventId, 'declined');
    await ctx.audit.write([entry.force], eventId, { actor: staff.userId, action: 'transfer_decline', conversation: roomId, at });
    return { ok: true, message: 'Transfert refusé.' };
  });
}
