import type { TriageAnswerContent, TriageQuestionContent as TriageQuestion } from '@espace-mineurs/protocol';
import { ContentKey } from '@espace-mineurs/protocol/names';
import { evidenceHash, evidenceLineText } from './evidence.ts';
import { readTriageQuestion } from './validate.ts';

/**
 * The typed timeline the page renders. Raw Matrix events are validated here, once. Trust by sender
 * (docs/architecture.md, Principles 6): structured triage content is read only from the service account (the
 * room's creator, the bot); everything else is shown as plain text, never as HTML. An edit (`m.replace`) changes
 * its original's text only when it comes from the original's sender; a redaction leaves « Message supprimé » in
 * the line's place.
 */
export type Author = 'me' | 'agent' | 'service';

export interface TimelineMessage {
  eventId: string;
  author: Author;
  /** The Matrix user who sent it (an edit counts only from the same sender). */
  sender?: string;
  body: string;
  ts: number;
  /** Present on the young person's own messages: matches the outbox entry that sent it. */
  txnId?: string;
  triage?: TriageQuestion;
  /** The service flagged this message as the "in danger now" notice. */
  danger?: boolean;
  /** The service's goodbye, sent when an agent closes the conversation (kept for the end screen). */
  closing?: boolean;
  /** On the goodbye: the orientation the agent chose, alone (the end screen shows it without the rest). */
  orientation?: string;
  /** For an agent's message: the name that agent shows in the room (their pseudonym). */
  senderName?: string;
  /** The service posted an image the young person sent as evidence: SHA-256 of the stored image. */
  evidence?: string;
  /** The evidence image's mxc:// URI and type, to show it (fetched with the guest's token). */
  image?: { mxc: string; mimetype: string };
  /** Changed by its author after it was sent (the text is the latest version). */
  edited?: boolean;
  /** Time of the edit shown, so an older edit arriving late never replaces a newer one. */
  editTs?: number;
  /** Deleted (redacted): the words are gone, the line stays so the conversation still reads in order. */
  redacted?: boolean;
}

export const REDACTED_TEXT = 'Message supprimé';

export interface RawEvent {
  event_id?: string;
  type?: string;
  sender?: string;
  state_key?: string;
  /** Top-level target of an m.room.redaction before room version 11 (from 11 on, in content). */
  redacts?: string;
  content?: Record<string, unknown>;
  origin_server_ts?: number;
  unsigned?: { transaction_id?: string; redacted_because?: unknown; 'm.relations'?: { 'm.replace'?: RawEvent } };
}

export interface Participants {
  me: string;
  /** The bot's user id: the creator of the young person's room. */
  service: string | undefined;
  /** The name a member shows in the room: for agents, the pseudonym the service gave them. */
  nameOf?: (userId: string) => string | undefined;
}

const TEXT_TYPES = new Set(['m.text', 'm.notice', 'm.emote']);

export function authorOf(sender: string, who: Participants): Author {
  if (sender === who.me) return 'me';
  if (who.service !== undefined && sender === who.service) return 'service';
  return 'agent';
}

type MessageEvent = RawEvent & { event_id: string; sender: string; content: Record<string, unknown> };

function isMessageEvent(event: RawEvent): event is MessageEvent {
  return event.type === 'm.room.message' && !!event.event_id && !!event.sender && !!event.content;
}

export function toTimelineMessage(event: RawEvent, who: Participants): TimelineMessage | undefined {
  if (!isMessageEvent(event)) return undefined;
  if (event.unsigned?.redacted_because !== undefined) {
    return {
      eventId: event.event_id,
      author: authorOf(event.sender, who),
      sender: event.sender,
      body: REDACTED_TEXT,
      ts: event.origin_server_ts ?? 0,
      redacted: true,
    };
  }
  // An edit is not a line of its own (its « * » fallback body is for clients that do not understand edits).
  if (replacement(event)) return undefined;
  const message = readMessage(event, who);
  // Synapse bundles the latest edit with its original (in /sync and /messages): a reload shows the edited text.
  const bundled = event.unsigned?.['m.relations']?.['m.replace'];
  return message && bundled ? applyEdit([message], bundled)[0] : message;
}

function readMessage(event: MessageEvent, who: Participants): TimelineMessage | undefined {
  const { msgtype, body } = event.content;
  if (msgtype === 'm.image') return evidenceLine(event, who);
  if (typeof msgtype !== 'string' || !TEXT_TYPES.has(msgtype) || typeof body !== 'string') return undefined;
  const author = authorOf(event.sender, who);
  const message: TimelineMessage = {
    eventId: event.event_id,
    author,
    sender: event.sender,
    body,
    ts: event.origin_server_ts ?? 0,
  };
  if (author === 'me' && event.unsigned?.transaction_id) message.txnId = event.unsigned.transaction_id;
  if (author === 'service') {
    const raw = event.content[ContentKey.TriageQuestion];
    if (raw !== undefined) {
      const triage = readTriageQuestion(raw);
      if (triage) message.triage = triage;
    }
    if (event.content[ContentKey.ServiceDanger] === true) message.danger = true;
    if (event.content[ContentKey.ServiceClosed] === true) {
      message.closing = true;
      const orientation = event.content[ContentKey.ServiceOrientation];
      if (typeof orientation === 'string' && orientation.trim() && orientation.length <= 1000)
        message.orientation = orientation;
    }
  }
  if (author === 'agent') {
    // Each line keeps its own author: after a transfer, the first agent's words stay theirs.
    const name = who.nameOf?.(event.sender);
    if (name) message.senderName = name;
  }
  return message;
}

/** Only the service posts evidence (trust by sender): shown as a text line with the image's short hash. */
function evidenceLine(event: RawEvent, who: Participants): TimelineMessage | undefined {
  if (!event.sender || authorOf(event.sender, who) !== 'service' || !event.event_id || !event.content) return undefined;
  const sha256 = evidenceHash(event.content);
  if (!sha256) return undefined;
  const message: TimelineMessage = {
    eventId: event.event_id,
    author: 'service',
    sender: event.sender,
    body: evidenceLineText(sha256),
    ts: event.origin_server_ts ?? 0,
    evidence: sha256,
  };
  const { url, info } = event.content;
  const mimetype = typeof info === 'object' && info !== null ? (info as Record<string, unknown>).mimetype : undefined;
  if (
    typeof url === 'string' &&
    url.startsWith('mxc://') &&
    typeof mimetype === 'string' &&
    mimetype.startsWith('image/')
  )
    message.image = { mxc: url, mimetype };
  return message;
}

/** The original an `m.replace` event edits, and its new text, when the edit is well formed. */
export function replacement(event: RawEvent): { target: string; body: string } | undefined {
  const relation = event.content?.['m.relates_to'];
  if (typeof relation !== 'object' || relation === null) return undefined;
  const { rel_type: relType, event_id: target } = relation as Record<string, unknown>;
  if (relType !== 'm.replace' || typeof target !== 'string') return undefined;
  const next = event.content?.['m.new_content'];
  const body = typeof next === 'object' && next !== null ? (next as Record<string, unknown>).body : undefined;
  return { target, body: typeof body === 'string' ? body : '' };
}

/**
 * Applies an edit to its original, if it is loaded, not deleted, and the edit comes from the original's author
 * (anyone else's `m.replace` is ignored, as the Matrix spec requires). Structured content (a triage question's
 * buttons, an evidence image) is kept: only the words change.
 */
export function applyEdit(items: readonly TimelineMessage[], edit: RawEvent): TimelineMessage[] {
  const change = replacement(edit);
  if (!change || !change.body.trim() || !edit.sender) return [...items];
  const ts = edit.origin_server_ts ?? 0;
  return items.map((item) => {
    if (item.eventId !== change.target || item.redacted || (item.editTs ?? -1) > ts) return item;
    if (item.sender !== edit.sender) return item;
    return { ...item, body: change.body, edited: true, editTs: ts };
  });
}

/** A redaction: the line stays, in its place, as « Message supprimé », with nothing of what it said. */
export function applyRedaction(items: readonly TimelineMessage[], redaction: RawEvent): TimelineMessage[] {
  const target = redaction.redacts ?? redaction.content?.redacts;
  if (typeof target !== 'string') return [...items];
  return items.map((item) =>
    item.eventId === target
      ? {
          eventId: item.eventId,
          author: item.author,
          sender: item.sender,
          body: REDACTED_TEXT,
          ts: item.ts,
          ...(item.txnId ? { txnId: item.txnId } : {}),
          redacted: true,
        }
      : item,
  );
}

/** Inserts or replaces by event id, keeping server order (timestamps, then arrival). */
export function upsert(items: readonly TimelineMessage[], message: TimelineMessage): TimelineMessage[] {
  const without = items.filter((item) => item.eventId !== message.eventId);
  const index = without.findIndex((item) => item.ts > message.ts);
  if (index === -1) return [...without, message];
  return [...without.slice(0, index), message, ...without.slice(index)];
}

/** The triage question that still waits for an answer: the last one, if the young person has not written since. */
export function activeTriageQuestion(items: readonly TimelineMessage[], pendingCount = 0): TimelineMessage | undefined {
  if (pendingCount > 0) return undefined;
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    if (!item) continue;
    if (item.author === 'me') return undefined;
    if (item.author === 'service' && item.triage) return item;
  }
  return undefined;
}

/** m.room.message content for an answer given by button: readable label as body, structured answer beside it. */
export function triageAnswerContent(question: TriageQuestion, optionId: string, label: string) {
  const answer: TriageAnswerContent = { questionId: question.questionId, optionId };
  return { msgtype: 'm.text' as const, body: label, [ContentKey.TriageAnswer]: answer };
}

/**
 * Plain text as the young person typed it, made safe for the homeserver (no lone surrogate: docs/architecture.md,
 * Synapse facts 8).
 */
export function textContent(body: string) {
  return { msgtype: 'm.text' as const, body: body.toWellFormed().trim() };
}

/**
 * The question without its numbered option lines: the page shows the options as buttons, and reading them
 * twice (text and buttons) is noise for a screen reader. Other clients keep the numbered text.
 */
export function questionText(body: string, question: TriageQuestion): string {
  const labels = new Set([
    ...question.options.map((option) => option.label),
    ...(question.skip ? [question.skip.label] : []),
  ]);
  return body
    .split('\n')
    .filter((line) => {
      const match = /^\s*\d+[.)]\s+(.*)$/.exec(line);
      return !(match && labels.has(match[1]!.trim()));
    })
    .join('\n')
    .trim();
}

/** The question itself: the last paragraph of its text (the first question follows a welcome paragraph). */
export function questionPrompt(body: string, question: TriageQuestion): string {
  const paragraphs = questionText(body, question)
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.trim())
    .filter(Boolean);
  return paragraphs.at(-1) ?? '';
}
