import { FORCE_LABEL } from '@espace-mineurs/protocol';
import { isRouted, type RoutedConversation } from '../state/store.ts';
import { since } from '../queue/notices.ts';
import type { CommandOutcome, Invocation } from './types.ts';

/**
 * `!file` and `!mes`: what is waiting, and what is mine, read from the bot's memory (no event written besides the
 * answer). Each line names the ticket to type in the next command.
 */

function priorityWord(conversation: RoutedConversation): string {
  return conversation.entry.priority === 'urgent' ? 'URGENT' : 'normale';
}

/** Warm transfers offered to this force (or to one of its agents), with the ticket they are offered under here. */
function offersTo(invocation: Invocation, agent?: string): Array<{ ticket: number; conversation: RoutedConversation }> {
  const { ctx, force } = invocation;
  const offers: Array<{ ticket: number; conversation: RoutedConversation }> = [];
  for (const conversation of ctx.store.conversations.values()) {
    if (!isRouted(conversation) || conversation.entry.movedTo) continue;
    const offer = conversation.entry.pendingTransfer;
    if (!offer) continue;
    const targetForce = offer.receiver?.force ?? conversation.entry.force;
    if (targetForce !== force) continue;
    if (agent !== undefined ? !('agent' in offer.to) || offer.to.agent !== agent : 'agent' in offer.to) continue;
    offers.push({ ticket: offer.receiver?.ticket ?? conversation.entry.ticket, conversation });
  }
  return offers;
}

export function queueList(invocation: Invocation): Promise<CommandOutcome> {
  const { ctx, force, at } = invocation;
  const waiting = ctx.store.queued(force);
  const offers = offersTo(invocation);
  const lines = [
    `File de la ${FORCE_LABEL[force]} : ${waiting.length === 0 ? 'aucune conversation en attente' : `${waiting.length} en attente`}.`,
  ];
  for (const conversation of waiting) {
    lines.push(
      `n°${conversation.entry.ticket} — attend depuis ${since(conversation.entry.queuedAt, at)} — priorité ${priorityWord(conversation)}`,
    );
  }
  for (const { ticket, conversation } of offers)
    lines.push(
      `n°${ticket} — transfert proposé à la force depuis ${since(conversation.entry.pendingTransfer?.offeredAt, at)} (!accepter ${ticket})`,
    );
  if (waiting.length > 0) lines.push(`Pour en prendre une : !prendre ${waiting[0]!.entry.ticket}`);
  return Promise.resolve({ ok: true, message: lines.join('\n') });
}

export function mineList(invocation: Invocation): Promise<CommandOutcome> {
  const { ctx, force, staff, at } = invocation;
  const mine = [...ctx.store.conversations.values()].filter(
    (conversation): conversation is RoutedConversation =>
      isRouted(conversation) &&
      conversation.entry.force === force &&
      !conversation.entry.movedTo &&
      conversation.entry.state === 'assigned' &&
      conversation.entry.assignee === staff.userId,
  );
  mine.sort(
    (a, b) =>
      Number(b.entry.priority === 'urgent') - Number(a.entry.priority === 'urgent') ||
      (a.entry.claimedAt ?? 0) - (b.entry.claimedAt ?? 0),
  );
  const offers = offersTo(invocation, staff.userId);
  const duty = ctx.store.duty.get(staff.userId);
  const capacity = duty?.capacity ?? ctx.config.defaultCapacity;
  const lines = [
    `Vos conversations : ${mine.length === 0 ? 'aucune' : mine.length} (${duty?.onDuty ? `en service, ${capacity} à la fois` : 'hors service'}).`,
  ];
  for (const conversation of mine) {
    lines.push(
      `n°${conversation.entry.ticket} — en cours depuis ${since(conversation.entry.claimedAt, at)} — priorité ${priorityWord(conversation)}`,
    );
  }
  for (const { ticket, conversation } of offers)
    lines.push(
      `n°${ticket} — transfert qui vous est proposé depuis ${since(conversation.entry.pendingTransfer?.offeredAt, at)} (!accepter ${ticket})`,
    );
  return Promise.resolve({ ok: true, message: lines.join('\n') });
}
