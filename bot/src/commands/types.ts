import type { CommandRefusalCode, CommandResultContent, Force } from '@espace-mineurs/protocol';
import type { NoticeOptions } from '../queue/notices.ts';
import type { Context } from '../runtime/context.ts';
import { isRouted, type RoutedConversation, type StaffMember } from '../state/store.ts';

/** One command being executed: who sent it, from which force's queue room, as which event. */
export interface Invocation {
  ctx: Context;
  force: Force;
  staff: StaffMember;
  /** The command event: the cause of every effect, so a replay is recognised. */
  eventId: string;
  at: number;
  /** The result a success answers with (its request ID and action); absent when no one waits for a result. */
  success?: CommandResultContent;
}

/**
 * The options of the live-log line that answers the command in its queue room: a reply to it, carrying the
 * success result, so the line is the whole answer (the feature then returns `logged: true`).
 */
export function answering(invocation: Invocation, options: NoticeOptions = {}): NoticeOptions {
  return {
    ...options,
    replyTo: invocation.eventId,
    ...(invocation.success ? { result: invocation.success } : {}),
  };
}

/** The answer: a machine code for the agent client, a French sentence for Element. */
/**
 * `logged`: the feature already answered in the queue room with a line of its live log (options from
 * `answering`), a reply to the command event carrying its result; the dispatcher then sends nothing more (one
 * event per answer, where there were a line, a result and a text reply).
 */
export type CommandOutcome =
  | { ok: true; message: string; ref?: string; logged?: boolean }
  | { ok: false; code: CommandRefusalCode; message: string };

export function refuse(code: CommandRefusalCode, message: string): CommandOutcome {
  return { ok: false, code, message };
}

/** The conversation a command names, if it belongs to the command's force. */
export function conversationOf(invocation: Invocation, roomId: string): RoutedConversation | undefined {
  const conversation = invocation.ctx.store.conversations.get(roomId);
  if (!isRouted(conversation) || conversation.entry.force !== invocation.force || conversation.entry.movedTo)
    return undefined;
  return conversation;
}

export const UNKNOWN = refuse('UNKNOWN_CONVERSATION', "Cette conversation n'existe pas dans la file de votre force.");
