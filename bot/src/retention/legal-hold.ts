import { FORCES, isCommandRefusalCode } from '@espace-mineurs/protocol';
import { liftLegalHold, putLegalHold } from './purge.ts';
import { SafetyError } from '../runtime/safety.ts';
import { UNKNOWN, conversationOf, refuse, type CommandOutcome, type Invocation } from '../commands/types.ts';

/** Supervisors: suspend (hold) or allow again the deletion of a conversation of their force; audited. */
export async function legalHold(
  invocation: Invocation,
  roomId: string,
  hold: boolean,
  reason: string,
): Promise<CommandOutcome> {
  const { ctx, staff, at, force } = invocation;
  const conversation = conversationOf(invocation, roomId);
  if (!conversation) return UNKNOWN;
  const request = {
    force,
    recordRoomId: ctx.store.forces[force].supervisorsRoomId,
    supervisorsRoomIds: FORCES.map((each) => ctx.store.forces[each].supervisorsRoomId),
    roomId,
    supervisor: staff.userId,
    at,
  };
  try {
    if (hold) await putLegalHold(ctx, { ...request, reason });
    else await liftLegalHold(ctx, request);
  } catch (error) {
    if (error instanceof SafetyError && isCommandRefusalCode(error.code)) return refuse(error.code, error.message);
    throw error;
  }
  const ticket = conversation.entry.ticket;
  return {
    ok: true,
    message: hold
      ? `Conversation n°${ticket} sous conservation judiciaire : elle ne sera pas supprimée.`
      : `Conservation judiciaire de la conversation n°${ticket} levée.`,
  };
}
