import {
  Command,
  CommandResultContent,
  EventType,
  parseContent,
  type Force,
  type StaffRole,
} from '@espace-mineurs/protocol';
import type { Context } from '../runtime/context.ts';
import { stableTxnId, type RawEvent } from '../matrix/client.ts';
import { HELP, looksLikeCommand, parseTextCommand, type TicketLookup } from './parse-text.ts';
import { COMMANDS, fold, runCommand, type Mention } from './registry.ts';
import { refreshStaff } from '../state/rebuild.ts';
import { refuse, type CommandOutcome } from './types.ts';

/** Active staff of a force whose pseudonym is this one (without case or accents). */
function colleaguesNamed(ctx: Context, force: Force, pseudonym: string): string[] {
  const wanted = fold(pseudonym.trim());
  return [...ctx.store.staff.values()]
    .filter(
      (member) =>
        member.force === force &&
        member.active &&
        typeof member.pseudonym === 'string' &&
        fold(member.pseudonym) === wanted,
    )
    .map((member) => member.userId);
}

/** The registry's role check, for the commands whose feature rules do not order their own refusals. */
function permitted(command: Command, role: StaffRole): boolean {
  const spec = COMMANDS[command.action];
  return spec.roles === 'staff' || spec.roleCheckedBy === 'rules' || role === 'supervisor';
}

/**
 * A ticket of this force: a conversation it holds, or one the other force offers it (warm transfer), under the
 * ticket reserved for it here.
 */
function ticketLookup(ctx: Context, force: Force): TicketLookup {
  return (ticket) => {
    const held = ctx.store.byTicket(force, ticket);
    if (held) return held.roomId;
    for (const conversation of ctx.store.conversations.values()) {
      const receiver = conversation.entry?.pendingTransfer?.receiver;
      if (receiver?.force === force && receiver.ticket === ticket && !conversation.entry?.movedTo)
        return conversation.roomId;
    }
    return undefined;
  };
}

function unescapeHtml(text: string): string {
  return text
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Element's mention pills: `<a href="https://matrix.to/#/@user:server">Name</a>` links, then `m.mentions`. */
export function mentionsOf(content: Record<string, unknown>): Mention[] {
  const mentions: Mention[] = [];
  const formatted =
    content.format === 'org.matrix.custom.html' && typeof content.formatted_body === 'string'
      ? content.formatted_body
      : '';
  for (const match of formatted.matchAll(
    /<a\s[^>]*href=["']https:\/\/matrix\.to\/#\/([^"'?]+)[^"']*["'][^>]*>(.*?)<\/a>/gis,
  )) {
    let userId: string;
    try {
      userId = decodeURIComponent(match[1]!);
    } catch {
      continue;
    }
    if (/^@[^:]+:.+$/.test(userId)) mentions.push({ userId, text: unescapeHtml(match[2]!).trim() });
  }
  const listed = (content['m.mentions'] as { user_ids?: unknown } | undefined)?.user_ids;
  if (Array.isArray(listed)) {
    for (const userId of listed)
      if (
        typeof userId === 'string' &&
        /^@[^:]+:.+$/.test(userId) &&
        !mentions.some((mention) => mention.userId === userId)
      )
        mentions.push({ userId, text: '' });
  }
  return mentions;
}

const THREAD_ANSWER =
  'Les fils de discussion servent aux notes sur une conversation : le bot n’y lit pas les commandes. Tapez la commande dans le salon lui-même, hors du fil (!aide pour la liste).';

/** A command-like text typed in a thread gets a short answer in that thread (and nothing is executed). */
async function answerInThread(ctx: Context, force: Force, event: RawEvent, root: string): Promise<void> {
  const roomId = ctx.store.forces[force].queueRoomId;
  await ctx.matrix.send(
    roomId,
    'm.room.message',
    {
      msgtype: 'm.notice',
      body: THREAD_ANSWER,
      'm.mentions': {},
      'm.relates_to': {
        rel_type: 'm.thread',
        event_id: root,
        is_falling_back: false,
        'm.in_reply_to': { event_id: event.event_id },
      },
    },
    stableTxnId('thread', event.event_id),
  );
  ctx.log.info({ force }, 'command typed in a thread');
}

/**
 * An event in a force's queue room: a structured command (agent client), a text command (any client), or
 * chatter and notes the bot ignores. Only staff of that force are obeyed (trust by sender).
 */
export async function handleQueueRoomEvent(ctx: Context, force: Force, event: RawEvent): Promise<void> {
  if (ctx.matrix.isOwn(event.sender) || event.state_key !== undefined) return;
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
  } else if (event.type === 'm.room.message' && typeof event.content.body === 'string') {
    const relation = event.content['m.relates_to'] as { rel_type?: unknown; event_id?: unknown } | undefined;
    if (relation?.rel_type === 'm.replace') return;
    if (relation?.rel_type === 'm.thread') {
      // Threads are the notes under a queue notice: never obeyed, but a command typed there is answered.
      if (typeof relation.event_id === 'string' && looksLikeCommand(event.content.body))
        await answerInThread(ctx, force, event, relation.event_id);
      return;
    }
    const text = parseTextCommand(event.content.body, requestId, ticketLookup(ctx, force), {
      mentions: mentionsOf(event.content),
      colleagues: (pseudonym) => colleaguesNamed(ctx, force, pseudonym),
    });
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
    else
      outcome = await runCommand(
        {
          ctx,
          force,
          staff,
          eventId: event.event_id,
          at: event.origin_server_ts,
          success: { requestId, action: command.action, ok: true },
        },
        command,
      );
  }
  const result: CommandResultContent = {
    requestId,
    action: command?.action ?? 'unknown',
    ok: outcome.ok,
    ...(outcome.ok ? (outcome.ref ? { ref: outcome.ref } : {}) : { code: outcome.code }),
  };
  ctx.log.info({ force, action: result.action, ok: result.ok, code: result.code }, 'command');
  // A logged success was answered by its live-log line, which carries the result (`answering`).
  if (outcome.ok && outcome.logged) return;
  const roomId = ctx.store.forces[force].queueRoomId;
  await ctx.matrix.send(
    roomId,
    EventType.CommandResult,
    {
      ...result,
      body: outcome.message,
      msgtype: 'm.notice',
      'm.relates_to': { 'm.in_reply_to': { event_id: event.event_id } },
    },
    stableTxnId('result', event.event_id),
  );
  if (textual) {
    await ctx.matrix.send(
      roomId,
      'm.room.message',
      {
        msgtype: 'm.notice',
        body: outcome.message,
        'm.mentions': {},
        'm.relates_to': { 'm.in_reply_to': { event_id: event.event_id } },
      },
      stableTxnId('reply', event.event_id),
    );
  }
}
