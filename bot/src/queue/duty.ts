import { EventType, userStateKey, type DutyContent } from '@espace-mineurs/protocol';
import { requeue } from './requeue.ts';
import { withConversation } from '../runtime/context.ts';
import type { CommandOutcome, Invocation } from '../commands/types.ts';

/** On or off duty, with a capacity. Going off duty puts the agent's conversations back in the queue. */
export async function duty(
  invocation: Invocation,
  onDuty: boolean,
  capacity: number | undefined,
): Promise<CommandOutcome> {
  const { ctx, staff, force, eventId, at } = invocation;
  const previous = ctx.store.duty.get(staff.userId);
  const next: DutyContent = {
    onDuty,
    capacity: capacity ?? previous?.capacity ?? ctx.config.defaultCapacity,
    updatedAt: at,
  };
  await ctx.matrix.putState(ctx.store.forces[force].queueRoomId, EventType.Duty, userStateKey(staff.userId), next);
  ctx.store.duty.set(staff.userId, next);
  let requeued = 0;
  if (!onDuty) {
    for (const conversation of [...ctx.store.conversations.values()]) {
      const entry = conversation.entry;
      const mine = entry?.state === 'assigned' && entry.assignee === staff.userId;
      const replayed = entry?.lastEvent === `${eventId}:${conversation.roomId}`;
      if (!mine && !replayed) continue;
      await withConversation(ctx, conversation.roomId, () =>
        requeue(ctx, conversation, `${eventId}:${conversation.roomId}`, at, staff.userId, 'off_duty'),
      );
      requeued++;
    }
  }
  await ctx.audit.write([force], eventId, {
    actor: staff.userId,
    action: onDuty ? 'duty_on' : 'duty_off',
    at,
    details: { capacity: next.capacity, requeued },
  });
  return {
    ok: true,
    message: onDuty
      ? `Vous êtes en service (${next.capacity} conversation${next.capacity > 1 ? 's' : ''} à la fois).`
      : `Vous n'êtes plus en service.${requeued > 0 ? ` ${requeued} conversation(s) remise(s) en file.` : ''}`,
  };
}
