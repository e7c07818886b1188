import {
  EventType,
  type CommandResultContent,
  type ConversationEntry,
  type Force,
  type Outcome,
} from '@espace-mineurs/protocol';
import { stableTxnId } from '../matrix/client.ts';
import type { Context } from '../runtime/context.ts';

/**
 * What agents read in their force's queue room from any Matrix client: the room reads as a live log (new,
 * claimed, moved, closed), each line one event. Lines that need someone now (an urgent conversation, a colleague
 * handing a conversation over) are `m.text` with `m.mentions`: Element's default push rules silence `m.notice`
 * (`.m.rule.suppress_notices`) and ring for an intentional mention (`.m.rule.is_user_mention`).
 */

/** Short French labels of the outcomes, as agents read them in the queue room (« clôturée (119) »). */
export const OUTCOME_SHORT: Record<Outcome, string> = {
  complaint: 'plainte',
  '119': '119',
  '3018': '3018',
  school: 'établissement scolaire',
  health: 'santé',
  emergency_services: 'secours',
  none: 'sans orientation',
};

/** Who a ringing line mentions: the force's agents on duty, or all its active staff when nobody is on duty. */
export function alertees(ctx: Context, force: Force): string[] {
  const onDuty = ctx.store.agentsOnDuty(force).map((member) => member.userId);
  if (onDuty.length > 0) return onDuty;
  return [...ctx.store.staff.values()]
    .filter((member) => member.force === force && member.active)
    .map((member) => member.userId);
}

export interface NoticeOptions {
  /** The command event this line answers (in the same queue room): Element shows it as a reply. */
  replyTo?: string;
  /** Ring these users (m.text with m.mentions) instead of a silent m.notice. */
  mention?: readonly string[];
  /**
   * The result of the command this line answers, carried under EventType.CommandResult (`commandResultIn`): the
   * agent client reads it there, and the dispatcher sends no result event of its own.
   */
  result?: CommandResultContent;
}

/** One line in a force's queue room; its transaction id comes from its cause, so a replay never shows it twice. */
export function postQueueLine(
  ctx: Context,
  force: Force,
  body: string,
  options: NoticeOptions,
  ...cause: string[]
): Promise<string> {
  const roomId = ctx.store.forces[force].queueRoomId;
  const mention = options.mention && options.mention.length > 0 ? options.mention : undefined;
  const content: Record<string, unknown> = {
    msgtype: mention ? 'm.text' : 'm.notice',
    body,
    'm.mentions': mention ? { user_ids: [...mention] } : {},
    ...(options.replyTo ? { 'm.relates_to': { 'm.in_reply_to': { event_id: options.replyTo } } } : {}),
    ...(options.result ? { [EventType.CommandResult]: options.result } : {}),
  };
  return ctx.matrix.send(roomId, 'm.room.message', content, stableTxnId('queue', roomId, ...cause));
}

/** Whether a queue notice for this entry rings (config `queueAlerts`). */
export function rings(ctx: Context, entry: ConversationEntry): boolean {
  return entry.priority === 'urgent' || ctx.config.queueAlerts === 'all';
}

/** A pseudonym for queue lines (never a display name the person chose: the service sets pseudonyms). */
export function pseudonymOf(ctx: Context, userId: string): string {
  return ctx.store.staff.get(userId)?.pseudonym ?? userId;
}

/** « 4 min », « moins d'une minute », « 1 h 05 ». */
export function since(from: number | undefined, now: number): string {
  const minutes = Math.floor(Math.max(0, now - (from ?? now)) / 60_000);
  if (minutes < 1) return "moins d'une minute";
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')}`;
}
