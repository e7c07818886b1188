import {
  CannedResponsesContent,
  CommandResultContent,
  commandResultIn,
  ContentKey,
  ConversationEntry,
  DisclosedData,
  DisclosureRequest,
  DutyContent,
  EventType,
  LegalHold,
  parseContent,
  PublicStatus,
  SafetyEventType,
  StaffContent,
  type CannedResponse,
  userIdFromStateKey,
} from '@espace-mineurs/protocol';
import type { Author, BotAccounts, CommandResult, Disclosure, Note, StaffMember, TimelineItem } from './model.ts';

const DISCLOSURE_EVENT = SafetyEventType.Disclosure;
const LEGAL_HOLD_EVENT = SafetyEventType.LegalHold;

/**
 * The typed edge of the client: raw events (as plain JSON, whatever produced them) become typed values here,
 * once. Anything that fails validation, or comes from a sender not entitled to it, is dropped (structured data)
 * or shown as plain text (messages). Never echo an invalid value into a log: it may be a young person's words.
 */
export interface RawEvent {
  event_id?: string;
  type: string;
  sender: string;
  state_key?: string;
  content: Record<string, unknown>;
  origin_server_ts?: number;
  /** The server (or the SDK, live) stripped this event's content: an m.room.redaction removed it. */
  redacted?: boolean;
  /** For an m.room.redaction: the event it removes. */
  redacts?: string;
  /** For a state event: the content it replaced (Matrix's `unsigned.prev_content`), when the server gave it. */
  prev_content?: Record<string, unknown>;
}

/** Staff entries of a force space; only the bot's are trusted. */
export function parseStaff(events: RawEvent[], bots: BotAccounts): Map<string, StaffMember> {
  const staff = new Map<string, StaffMember>();
  for (const event of events) {
    if (event.type !== EventType.Staff || !bots.has(event.sender) || event.state_key === undefined) continue;
    const parsed = parseContent(StaffContent, event.content);
    if (!parsed.ok) continue;
    const userId = userIdFromStateKey(event.state_key);
    staff.set(userId, { userId, ...parsed.value });
  }
  return staff;
}

/** Conversation entries of a queue room, bot-written only, keyed consistently with their state key. */
export function parseEntries(events: RawEvent[], bots: BotAccounts): ConversationEntry[] {
  const entries: ConversationEntry[] = [];
  for (const event of events) {
    if (event.type !== EventType.Conversation || !bots.has(event.sender)) continue;
    const parsed = parseContent(ConversationEntry, event.content);
    if (!parsed.ok || parsed.value.roomId !== event.state_key) continue;
    entries.push(parsed.value);
  }
  return entries;
}

export function parseDuty(events: RawEvent[], bots: BotAccounts): Map<string, DutyContent> {
  const duty = new Map<string, DutyContent>();
  for (const event of events) {
    if (event.type !== EventType.Duty || !bots.has(event.sender) || event.state_key === undefined) continue;
    const parsed = parseContent(DutyContent, event.content);
    if (parsed.ok) duty.set(userIdFromStateKey(event.state_key), parsed.value);
  }
  return duty;
}

export function parseStatus(event: RawEvent | undefined, bots: BotAccounts): PublicStatus | undefined {
  if (!event || event.type !== EventType.Status || !bots.has(event.sender)) return undefined;
  const parsed = parseContent(PublicStatus, event.content);
  return parsed.ok ? parsed.value : undefined;
}

/**
 * A command's result from the bot, in either of its shapes (`commandResultIn`): its own event, or the queue room's
 * live-log line that answers the command and carries it.
 */
export function parseCommandResult(event: RawEvent, bots: BotAccounts): CommandResult | undefined {
  if (!bots.has(event.sender)) return undefined;
  const content = commandResultIn(event);
  if (content === undefined) return undefined;
  const parsed = parseContent(CommandResultContent, content);
  if (!parsed.ok) return undefined;
  // The bot's own sentence (a notice body), shown as text: it says why, in French, better than a code can.
  const message =
    typeof event.content.body === 'string' && event.content.body.trim() ? event.content.body.slice(0, 2000) : undefined;
  return { ...parsed.value, ...(message ? { message } : {}), ts: event.origin_server_ts ?? 0 };
}

/** A force's canned responses (queue room state), when valid; undefined lets the domain apply its defaults. */
export function parseCanned(content: unknown): CannedResponse[] | undefined {
  const parsed = CannedResponsesContent.safeParse(content);
  return parsed.success ? parsed.data.responses : undefined;
}

/** Disclosure requests published by the bot in the force's supervisors room (state, key = request id). */
export function parseDisclosureRequests(events: RawEvent[], bots: BotAccounts): DisclosureRequest[] {
  const requests: DisclosureRequest[] = [];
  for (const event of events) {
    if (event.type !== DISCLOSURE_EVENT || !bots.has(event.sender) || event.state_key === undefined) continue;
    const parsed = parseContent(DisclosureRequest, event.content);
    if (parsed.ok && parsed.value.id === event.state_key) requests.push(parsed.value);
  }
  return requests;
}

/** The bot's disclosure message in a disclosure room: readable text plus the same data, structured. */
export function parseDisclosure(event: RawEvent, roomId: string, bots: BotAccounts): Disclosure | undefined {
  if (event.type !== 'm.room.message' || !bots.has(event.sender) || !event.event_id) return undefined;
  if (typeof event.content.body !== 'string') return undefined;
  const parsed = parseContent(DisclosedData, event.content[DISCLOSURE_EVENT]);
  if (!parsed.ok) return undefined;
  return {
    roomId,
    eventId: event.event_id,
    body: event.content.body,
    data: parsed.value,
    ts: event.origin_server_ts ?? 0,
  };
}

function threadRootOf(content: Record<string, unknown>): string | undefined {
  const relation = content['m.relates_to'];
  if (typeof relation !== 'object' || relation === null) return undefined;
  const { rel_type: relType, event_id: eventId } = relation as { rel_type?: unknown; event_id?: unknown };
  return relType === 'm.thread' && typeof eventId === 'string' ? eventId : undefined;
}

/** An internal note: a text message in the thread under the conversation's queue message, sent by staff. */
export function parseNote(
  event: RawEvent,
  threadRoot: string,
  staff: Map<string, StaffMember>,
  myUserId: string,
): Note | undefined {
  if (event.type !== 'm.room.message' || !event.event_id) return undefined;
  if (threadRootOf(event.content) !== threadRoot) return undefined;
  const author = staff.get(event.sender);
  if (!author) return undefined;
  const body = typeof event.content.body === 'string' ? event.content.body : '';
  if (!body) return undefined;
  return {
    eventId: event.event_id,
    sender: event.sender,
    authorLabel: author.pseudonym,
    whisper: author.role === 'supervisor',
    mine: event.sender === myUserId,
    body,
    ts: event.origin_server_ts ?? 0,
    pending: false,
  };
}

export const YOUNG_PERSON_LABEL = 'Jeune';
export const SERVICE_LABEL = 'Espace mineurs';
/** An agent of the other force (before a transfer): not in this force's staff list, and not the young person. */
export const OTHER_FORCE_LABEL = 'Agent de l’autre force';

/**
 * What the timeline needs to name each sender. `guest` is the room's young person, from the bot's
 * conversation_room state: with it, a sender who is neither bot, staff of this force nor that guest (the other
 * force's agent, whose messages stay in the room after a transfer) is not shown as « Jeune ». Without it (state not
 * yet synced), every unknown sender is the young person, as before.
 */
export interface TimelineContext {
  bots: BotAccounts;
  myUserId: string;
  staff: Map<string, StaffMember>;
  guest?: string;
  otherForceLabel?: string;
}

/**
 * One event of a young person's room as the timeline shows it. Membership changes are reduced to a few words;
 * other state and unknown types are skipped. The young person's display name is never used.
 */
export function toTimelineItem(event: RawEvent, ctx: TimelineContext): TimelineItem | undefined {
  if (!event.event_id) return undefined;
  const ts = event.origin_server_ts ?? 0;
  let author: Author;
  let authorLabel: string;
  if (ctx.bots.has(event.sender)) {
    author = 'service';
    authorLabel = SERVICE_LABEL;
  } else if (event.sender === ctx.myUserId) {
    author = 'me';
    authorLabel = ctx.staff.get(event.sender)?.pseudonym ?? 'Moi';
  } else if (ctx.staff.has(event.sender)) {
    author = 'agent';
    authorLabel = ctx.staff.get(event.sender)?.pseudonym ?? 'Agent';
  } else if (ctx.guest !== undefined && event.sender !== ctx.guest) {
    author = 'agent';
    authorLabel = ctx.otherForceLabel ?? OTHER_FORCE_LABEL;
  } else {
    author = 'young';
    authorLabel = YOUNG_PERSON_LABEL;
  }
  const base = {
    eventId: event.event_id,
    sender: event.sender,
    author,
    authorLabel,
    ts,
    pending: false,
    failed: false,
  };

  if (event.type === 'm.room.message') {
    const body = typeof event.content.body === 'string' ? event.content.body : '';
    if (!body) return undefined;
    const isTriage =
      author === 'service' ? ContentKey.TriageQuestion in event.content : ContentKey.TriageAnswer in event.content;
    const kind = isTriage ? 'triage' : event.content.msgtype === 'm.notice' ? 'notice' : 'message';
    return { ...base, body, kind };
  }
  if (event.type === 'm.room.member' && event.state_key !== undefined) {
    const membership = event.content.membership;
    // A member already in the room who changes their display name or avatar (the force's server does it right
    // after a federated join) has not joined again.
    if (membership === 'join' && event.prev_content?.membership === 'join') return undefined;
    const who = ctx.bots.has(event.state_key)
      ? SERVICE_LABEL
      : (ctx.staff.get(event.state_key)?.pseudonym ??
        (ctx.guest !== undefined && event.state_key !== ctx.guest
          ? (ctx.otherForceLabel ?? OTHER_FORCE_LABEL)
          : YOUNG_PERSON_LABEL));
    const text =
      membership === 'join'
        ? `${who} a rejoint la conversation`
        : membership === 'leave'
          ? `${who} a quitté la conversation`
          : undefined;
    if (!text) return undefined;
    return { ...base, body: text, kind: 'event' };
  }
  return undefined;
}

export const DELETED_LABEL = 'Message supprimé';

/** The event an `m.replace` edit replaces, if this is one. */
export function replacedEventId(content: Record<string, unknown>): string | undefined {
  const relation = content['m.relates_to'];
  if (typeof relation !== 'object' || relation === null) return undefined;
  const { rel_type: relType, event_id: eventId } = relation as { rel_type?: unknown; event_id?: unknown };
  return relType === 'm.replace' && typeof eventId === 'string' ? eventId : undefined;
}

/**
 * A young person's room as the timeline shows it, edits and redactions applied: an edit (`m.replace`) is not a
 * line of its own but replaces its original's text, and only when its sender wrote the original (anyone else's
 * "edit" would put words in someone's mouth); the latest edit wins. A redacted message stays in place as
 * « Message supprimé », so the agent sees that something was said and withdrawn.
 */
export function buildTimeline(events: RawEvent[], ctx: TimelineContext): TimelineItem[] {
  const byId = new Map<string, RawEvent>();
  const redactedIds = new Set<string>();
  for (const event of events) {
    if (event.event_id) byId.set(event.event_id, event);
    if (event.type === 'm.room.redaction' && event.redacts) redactedIds.add(event.redacts);
  }
  const isRedacted = (event: RawEvent) =>
    event.redacted === true || (event.event_id !== undefined && redactedIds.has(event.event_id));
  const edits = new Map<string, string>();
  for (const event of events) {
    const target = event.type === 'm.room.message' ? replacedEventId(event.content) : undefined;
    if (!target || isRedacted(event)) continue;
    const original = byId.get(target);
    const replacement = event.content['m.new_content'];
    if (!original || original.sender !== event.sender || typeof replacement !== 'object' || replacement === null)
      continue;
    const body = (replacement as { body?: unknown }).body;
    if (typeof body === 'string' && body) edits.set(target, body);
  }
  const items: TimelineItem[] = [];
  for (const event of events) {
    if (event.type === 'm.room.message' && replacedEventId(event.content)) continue;
    if (event.type === 'm.room.message' && isRedacted(event)) {
      const item = toTimelineItem({ ...event, content: { msgtype: 'm.text', body: DELETED_LABEL } }, ctx);
      if (item) items.push({ ...item, kind: 'deleted' });
      continue;
    }
    const item = toTimelineItem(event, ctx);
    if (!item) continue;
    const edited = item.kind !== 'event' ? edits.get(item.eventId) : undefined;
    items.push(edited === undefined ? item : { ...item, body: edited, edited: true });
  }
  return items;
}

/** Legal holds recorded by the bot in the supervisors room, by conversation room id. */
export function parseLegalHolds(events: RawEvent[], bots: BotAccounts): Map<string, LegalHold> {
  const holds = new Map<string, LegalHold>();
  for (const event of events) {
    if (event.type !== LEGAL_HOLD_EVENT || !bots.has(event.sender) || event.state_key === undefined) continue;
    const parsed = parseContent(LegalHold, event.content);
    if (parsed.ok) holds.set(event.state_key, parsed.value);
  }
  return holds;
}
