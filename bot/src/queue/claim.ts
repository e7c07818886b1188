import { EventType, userStateKey, type DutyContent } from '@espace-mineurs/protocol';
import { assignEffects } from './assign.ts';
import { saveEntry } from '../conversation/entry.ts';
import { claimed } from '../conversation/machine.ts';
import { withConversation } from '../runtime/context.ts';
import { crashPoint } from '../runtime/fault.ts';
import { arbitrateClaim } from './arbitration.ts';
import { UNKNOWN, answering, refuse, type CommandOutcome, type Invocation } from '../commands/types.ts';
import { isRouted } from '../state/store.ts';
import { postQueueLine, pseudonymOf } from './notices.ts';

const REFUSAL_TEXT: Record<string, string> = {
  NOT_STAFF: "Vous n'êtes pas enregistré comme agent.",
  WRONG_FORCE: "Cette file n'est pas celle de votre force.",
  UNKNOWN_CONVERSATION: "Cette conversation n'existe pas dans la file de votre force.",
  CONVERSATION_ENDED: 'Cette conversation est terminée.',
  ALREADY_CLAIMED: 'Un ou une collègue a déjà pris cette conversation.',
  NOT_QUEUED: "Cette conversation n'est pas en attente.",
  AT_CAPACITY: 'Vous avez déjà le nombre maximum de conversations (!service N pour changer).',
};

/** Puts an agent on duty with the default capacity when they claim without having said so. */
export async function ensureOnDuty(invocation: Invocation): Promise<DutyContent> {
  const { ctx, staff } = invocation;
  const duty = ctx.store.duty.get(staff.userId);
  if (duty?.onDuty) return duty;
  const next: DutyContent = {
    onDuty: true,
    capacity: duty?.capacity ?? ctx.config.defaultCapacity,
    updatedAt: invocation.at,
  };
  await ctx.matrix.putState(
    ctx.store.forces[invocation.force].queueRoomId,
    EventType.Duty,
    userStateKey(staff.userId),
    next,
  );
  ctx.store.duty.set(staff.userId, next);
  return next;
}

export async function claim(invocation: Invocation, roomId: string): Promise<CommandOutcome> {
  const { ctx, staff, eventId, at, force } = invocation;
  return withConversation(ctx, roomId, async () => {
    const conversation = ctx.store.conversations.get(roomId);
    const current = conversation?.entry;
    if (
      current &&
      current.force === force &&
      !current.movedTo &&
      current.lastEvent !== eventId &&
      current.state === 'assigned' &&
      current.assignee === staff.userId
    ) {
      return refuse('ALREADY_YOURS', `La conversation n°${current.ticket} est déjà la vôtre.`);
    }
    const duty = ctx.store.duty.get(staff.userId);
    const verdict = arbitrateClaim({
      eventId,
      force,
      staff,
      entry: conversation?.entry,
      held: ctx.store.heldBy(staff.userId),
      capacity: duty?.capacity ?? ctx.config.defaultCapacity,
    });
    if (!verdict.ok) return refuse(verdict.code, REFUSAL_TEXT[verdict.code] ?? verdict.code);
    // The arbitration refuses a conversation without an entry (UNKNOWN_CONVERSATION): narrowed for the types.
    if (!isRouted(conversation)) return UNKNOWN;
    const entry = conversation.entry;
    if (!verdict.replay) {
      await ensureOnDuty(invocation);
      await saveEntry(ctx, conversation, claimed(verdict.entry, { agent: staff.userId, at, cause: eventId }));
      const waited = Math.max(0, (at - verdict.entry.queuedAt) / 1000);
      ctx.store.recordWait(force, waited);
      ctx.metrics.waitSeconds.observe({ force }, waited);
      crashPoint('claim-after-commit');
    }
    await assignEffects(ctx, conversation, eventId);
    await ctx.audit.write([force], eventId, {
      actor: staff.userId,
      action: 'claim',
      conversation: roomId,
      at,
      details: { ticket: entry.ticket },
    });
    // The queue room's live log, which also answers the command (Element shows it as a reply).
    const line = `Conversation n°${entry.ticket} prise par ${pseudonymOf(ctx, staff.userId)} (invitation envoyée dans le salon « Conversation n° ${entry.ticket} »).`;
    await postQueueLine(ctx, force, line, answering(invocation), eventId, 'claimed');
    return { ok: true, message: line, logged: true };
  });
}
