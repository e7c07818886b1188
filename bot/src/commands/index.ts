import { Command, CommandResultContent, EventType, parseContent, type Force, type StaffRole } from '@espace-mineurs/protocol';
import type { Context } from '../runtime/context.ts';
import { stableTxnId, type RawEvent } from '../matrix/client.ts';
import { HELP, parseTextCommand } from './parse-text.ts';
import { COMMANDS, runCommand } from './registry.ts';
import { refreshStaff } from '../state/rebuild.ts';
import { refuse, type CommandOutcome } from './types.ts';

/** The registry's role check, for the commands whose feature rules do not order their own refusals. */
function permitted(command: Command, role: StaffRole): boolean {
  const spec = COMMANDS[command.action];
  return spec.roles === 'staff' || spec.roleCheckedBy === 'rules' || role === 'supervisor';
}

/**
 * An event in a force's queue room: a structured command (agent client), a text command (any client), or
 * chatter and notes the bot ignores. Only staff of that force are obeyed (trust by sender).
 */
export async function handleQueueRoomEvent(ctx: Context, force: Force, event: RawEvent): Promise<void> {
  if (event.sender === ctx.matrix.userId || event.state_key !== undefined) return;
  let command: Command | undefined;
  let requestId = event.event_id.slice(0, 64);
  let textual = false;
  let outcome: CommandOutcome | undefined;
  if (event.type === EventType.Command) {
    const parsed = parseContent(Command, event.content);
    if (parsed.ok) {
      command = parsed.value;
      requestId = command.requestId;
    } else {
      const raw = (event.content as { requestId?: unknown }).requestId;
      if (typeof raw === 'string' && raw.length > 0 && raw.length <= 64) requestId = raw;
      outcome = refuse('BAD_COMMAND', `Commande invalide (${parsed.error}).`);
    }
  } else if (event.type === 'm.room.message' && typeof event.content.body === 'string' && !('m.relates_to' in event.content && (event.content['m.relates_to'] as { rel_type?: string })?.rel_type === 'm.thread')) {
    const text = parseTextCommand(event.content.body, requestId, (ticket) => ctx.store.byTicket(force, ticket)?.roomId);
    if (!text) return;
    textual = true;
    if (text.kind === 'help') outcome = { ok: true, message: HELP };
    else if (text.kind === 'error') outcome = refuse('BAD_COMMAND', text.message);
    else command = text.command;
  } else {
    return;
  }

  let staff = ctx.store.staff.get(event.sender);
  if (!outcome && !staff?.active) {
    // Someone added (or reactivated) since the last refresh.
    await refreshStaff(ctx);
    staff = ctx.store.staff.get(event.sender);
  }
  if (!outcome) {
    if (!staff?.active) outcome = refuse('NOT_STAFF', "Vous n'êtes pas enregistré comme agent.");
    else if (staff.force !== force) outcome = refuse('WRONG_FORCE', "Cette file n'est pas celle de votre force.");
    else if (!command) outcome = refuse('BAD_COMMAND', 'Commande invalide.');
    else if (!permitted(command, staff.role)) outcome = refuse('NOT_SUPERVISOR', 'Réservé aux superviseurs.');
    else outcome = await runCommand({ ctx, force, staff, eventId: event.event_id, at: event.origin_server_ts }, command);
  }
  const result: CommandResultContent = { requestId, action: command?.action ?? 'unknown', ok: outcome.ok, ...(outcome.ok ? (outcome.ref ? { ref: outcome.ref } : {}) : { code: outcome.code }) };
  const roomId = ctx.store.forces[force].queueRoomId;
  await ctx.matrix.send(roomId, EventType.CommandResult, { ...result, body: outcome.message, msgtype: 'm.notice', 'm.relates_to': { 'm.in_reply_to': { event_id: event.event_id } } }, stableTxnId('result', event.event_id));
  if (textual) {
    await ctx.matrix.send(roomId, 'm.room.message', { msgtype: 'm.notice', body: outcome.message, 'm.relates_to': { 'm.in_reply_to': { event_id: event.event_id } } }, stableTxnId('reply', event.event_id));
  }
  ctx.log.info({ force, action: result.action, ok: result.ok, code: result.code }, 'command');
}
