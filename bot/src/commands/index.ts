import { Command, CommandResultContent, EventType, parseContent, type Force } from '@espace-mineurs/protocol';
import type { Context } from '../runtime/context.ts';
import { stableTxnId, type RawEvent } from '../matrix/client.ts';
import { claim } from '../queue/claim.ts';
import { close } from '../closing/close.ts';
import { disclosureDecision, disclosureRequest, disclosureWithdraw } from '../disclosure/commands.ts';
import { duty } from '../queue/duty.ts';
import { exportCommand } from '../export/command.ts';
import { flagDanger } from '../queue/flag-danger.ts';
import { legalHold } from '../retention/legal-hold.ts';
import { HELP, parseTextCommand } from './parse-text.ts';
import { supervise } from '../conversation/supervise.ts';
import { refreshStaff } from '../state/rebuild.ts';
import { acceptTransfer, declineTransfer } from '../queue/transfer-answer.ts';
import { transfer } from '../queue/transfer.ts';
import { refuse, type CommandOutcome, type Invocation } from './types.ts';

function execute(invocation: Invocation, command: Command): Promise<CommandOutcome> {
  switch (command.action) {
    case 'claim':
      return claim(invocation, command.conversation);
    case 'duty':
      return duty(invocation, command.onDuty, command.capacity);
    case 'transfer':
      return transfer(invocation, command);
    case 'transfer_accept':
      return acceptTransfer(invocation, command.conversation);
    case 'transfer_decline':
      return declineTransfer(invocation, command.conversation);
    case 'close':
      return close(invocation, command.conversation, command.outcome, command.coolDownMinutes);
    case 'flag_danger':
      return flagDanger(invocation, command.conversation);
    case 'supervise':
      return supervise(invocation, command.conversation);
    case 'disclosure_request':
      return disclosureRequest(invocation, command.conversation, command.reason);
    case 'disclosure_decision':
      return disclosureDecision(invocation, command.conversation, command.disclosure, command.decision === 'approve', command.comment);
    case 'disclosure_withdraw':
      return disclosureWithdraw(invocation, command.conversation, command.disclosure);
    case 'legal_hold':
      return legalHold(invocation, command.conversation, command.hold, command.reason);
    case 'export':
      return exportCommand(invocation, command.conversation);
  }
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
    else outcome = await execute({ ctx, force, staff, eventId: event.event_id, at: event.origin_server_ts }, command!);
  }
  const result: CommandResultContent = { requestId, action: command?.action ?? 'unknown', ok: outcome.ok, ...(outcome.ok ? (outcome.ref ? { ref: outcome.ref } : {}) : { code: outcome.code }) };
  const roomId = ctx.store.forces[force].queueRoomId;
  await ctx.matrix.send(roomId, EventType.CommandResult, { ...result, body: outcome.message, msgtype: 'm.notice', 'm.relates_to': { 'm.in_reply_to': { event_id: event.event_id } } }, stableTxnId('result', event.event_id));
  if (textual) {
    await ctx.matrix.send(roomId, 'm.room.message', { msgtype: 'm.notice', body: outcome.message, 'm.relates_to': { 'm.in_reply_to': { event_id: event.event_id } } }, stableTxnId('reply', event.event_id));
  }
  ctx.log.info({ force, action: result.action, ok: result.ok, code: result.code }, 'command');
}
