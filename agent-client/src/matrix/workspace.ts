import type { MatrixClient, MatrixEvent, Room } from 'matrix-js-sdk';
import {
  EventType,
  RoomRoleContent,
  SafetyEventType,
  parseContent,
  userStateKey,
  type ConversationEntry,
  type Force,
} from '@espace-mineurs/protocol';
import type { BotAccounts, Disclosure, ForceRoomIds, Me, Workspace } from './model.ts';
import {
  parseCanned,
  parseDisclosure,
  replacedEventId,
  parseDisclosureRequests,
  parseLegalHolds,
  parseDuty,
  parseEntries,
  parseStaff,
  parseStatus,
  type RawEvent,
} from './parse.ts';

/**
 * An SDK event as plain JSON for the typed edge. The original content, not the SDK's view of it: edits are
 * applied in parse.ts (buildTimeline), by rules this client checks, not by whatever the SDK aggregated.
 */
export function rawOf(event: MatrixEvent): RawEvent {
  const stateKey = event.getStateKey();
  const id = event.getId();
  const redacts = event.getType() === 'm.room.redaction' ? event.getAssociatedId() : undefined;
  const previous = stateKey !== undefined ? event.getPrevContent() : {};
  return {
    ...(id ? { event_id: id } : {}),
    type: event.getType(),
    sender: event.getSender() ?? '',
    ...(stateKey !== undefined ? { state_key: stateKey } : {}),
    content: event.getOriginalContent(),
    origin_server_ts: event.getTs(),
    ...(event.isRedacted() ? { redacted: true } : {}),
    ...(redacts ? { redacts } : {}),
    ...(Object.keys(previous).length > 0 ? { prev_content: previous } : {}),
  };
}

/**
 * The room's events from every timeline the SDK holds, oldest first, each once. A sync that says "limited" makes
 * the SDK start a new live timeline and keep the earlier ones aside, unlinked. Over federation a force server does
 * that soon after the agent's join, delivering the events it fetched late from the public server (triage answers
 * it had missed): the live timeline alone then held those few events and neither the agent's join nor their message.
 * The servers' timestamps put them back where they were written.
 */
export function roomEvents(room: Room): MatrixEvent[] {
  const seen = new Set<string>();
  const events: MatrixEvent[] = [];
  for (const timeline of room.getUnfilteredTimelineSet().getTimelines()) {
    for (const event of timeline.getEvents()) {
      const id = event.getId();
      if (id !== undefined && seen.has(id)) continue;
      if (id !== undefined) seen.add(id);
      events.push(event);
    }
  }
  return events.sort((a, b) => a.getTs() - b.getTs());
}

/** Whether the SDK holds the room's very first event (then there is nothing older to load). */
export function holdsRoomStart(room: Room): boolean {
  return room
    .getUnfilteredTimelineSet()
    .getTimelines()
    .some((timeline) => timeline.getEvents()[0]?.getType() === 'm.room.create');
}

/** The young person a room serves, as its bot-written conversation_room state names them (undefined before sync). */
export function guestOf(room: Room, bots: BotAccounts): string | undefined {
  const marker = room.currentState.getStateEvents(EventType.ConversationRoom, '');
  if (!marker || !bots.has(marker.getSender() ?? '')) return undefined;
  const guest = (marker.getContent() as { guest?: unknown }).guest;
  return typeof guest === 'string' ? guest : undefined;
}

function stateOf(room: Room, type: string): RawEvent[] {
  return room.currentState.getStateEvents(type).map(rawOf);
}

export type IdentityProblem = 'NOT_STAFF' | 'NO_FORCE_ROOMS' | 'INACTIVE';

/**
 * Finds who the logged-in user is for the service: the force rooms they were joined to (recognised by their
 * bot-written room_role state, not by name) and their staff entry in the force space.
 */
export function findIdentity(
  client: MatrixClient,
  bots: BotAccounts,
): { me: Me; rooms: ForceRoomIds } | { problem: IdentityProblem } {
  const userId = client.getUserId() ?? '';
  const byForce = new Map<Force, Partial<ForceRoomIds>>();
  for (const room of client.getRooms()) {
    if (room.getMyMembership() !== 'join') continue;
    const roleEvent = room.currentState.getStateEvents(EventType.RoomRole, '');
    if (!roleEvent || !bots.has(roleEvent.getSender() ?? '')) continue;
    const parsed = parseContent(RoomRoleContent, roleEvent.getContent());
    if (!parsed.ok) continue;
    const rooms = byForce.get(parsed.value.force) ?? {};
    if (parsed.value.role === 'force_space') rooms.spaceId = room.roomId;
    if (parsed.value.role === 'queue') rooms.queueRoomId = room.roomId;
    if (parsed.value.role === 'supervisors') rooms.supervisorsRoomId = room.roomId;
    byForce.set(parsed.value.force, rooms);
  }
  if (byForce.size === 0) return { problem: 'NO_FORCE_ROOMS' };
  for (const [force, rooms] of byForce) {
    if (!rooms.spaceId || !rooms.queueRoomId) continue;
    const space = client.getRoom(rooms.spaceId);
    const staffEvent = space?.currentState.getStateEvents(EventType.Staff, userStateKey(userId));
    if (!staffEvent) continue;
    const staff = parseStaff([rawOf(staffEvent)], bots).get(userId);
    if (!staff || staff.force !== force) continue;
    if (!staff.active) return { problem: 'INACTIVE' };
    return {
      me: { userId, force, role: staff.role, pseudonym: staff.pseudonym },
      rooms: {
        spaceId: rooms.spaceId,
        queueRoomId: rooms.queueRoomId,
        ...(rooms.supervisorsRoomId ? { supervisorsRoomId: rooms.supervisorsRoomId } : {}),
      },
    };
  }
  return { problem: 'NOT_STAFF' };
}

function cachedEntries(
  queue: Room,
  bots: BotAccounts,
  cache: Map<string, ConversationEntry | null> | undefined,
): ConversationEntry[] {
  const entries: ConversationEntry[] = [];
  for (const event of queue.currentState.getStateEvents(EventType.Conversation)) {
    const id = event.getId();
    let parsed = id ? cache?.get(id) : undefined;
    if (parsed === undefined) {
      parsed = parseEntries([rawOf(event)], bots)[0] ?? null;
      if (id) cache?.set(id, parsed);
    }
    if (parsed) entries.push(parsed);
  }
  return entries;
}

const COUNTED_TYPES = new Set(['m.room.message']);

/** An edit (m.replace) changes a message already counted: not a new one. */
function isEdit(event: MatrixEvent): boolean {
  return replacedEventId(event.getOriginalContent()) !== undefined;
}

/**
 * Messages from others after the agent's own read marker (guests send no receipts; agents do), or after the last
 * receipt this client sent, which the SDK's marker does not always follow.
 */
function unreadCount(room: Room, userId: string, receiptSent: string | undefined): number {
  const events = room.getLiveTimeline().getEvents();
  const readUpTo = room.getEventReadUpTo(userId);
  let count = 0;
  for (let index = events.length - 1; index >= 0; index--) {
    const event = events[index];
    if (!event) continue;
    const id = event.getId();
    if (id === readUpTo || id === receiptSent || event.getSender() === userId) break;
    if (COUNTED_TYPES.has(event.getType()) && !isEdit(event)) count++;
  }
  return count;
}

function lastMessageTs(room: Room): number | undefined {
  const events = room.getLiveTimeline().getEvents();
  for (let index = events.length - 1; index >= 0; index--) {
    const event = events[index];
    if (event?.getType() === 'm.room.message' && !isEdit(event)) return event.getTs();
  }
  return undefined;
}

/** The room's creator as the m.room.create event says (also present in an invite's stripped state). */
export function creatorOf(room: Room): string | undefined {
  return room.currentState.getStateEvents('m.room.create', '')?.getSender() ?? undefined;
}

/**
 * Disclosures the bot made to this user: its messages carrying disclosed data, in joined rooms it created that
 * are neither a conversation nor a force room.
 */
function readDisclosures(client: MatrixClient, bots: BotAccounts, skip: Set<string>): Disclosure[] {
  const found: Disclosure[] = [];
  for (const room of client.getRooms()) {
    if (skip.has(room.roomId) || room.getMyMembership() !== 'join' || !bots.has(creatorOf(room) ?? '')) continue;
    if (room.currentState.getStateEvents(EventType.RoomRole, '')) continue;
    for (const event of room.getLiveTimeline().getEvents()) {
      const disclosure = parseDisclosure(rawOf(event), room.roomId, bots);
      if (disclosure) found.push(disclosure);
    }
  }
  return found.sort((a, b) => b.ts - a.ts);
}

/** Rebuilds the whole workspace from the client's synced store. Cheap: a few rooms, state already in memory. */
export function readWorkspace(
  client: MatrixClient,
  me: Me,
  rooms: ForceRoomIds,
  bots: BotAccounts,
  entryCache?: Map<string, ConversationEntry | null>,
  receiptSent?: ReadonlyMap<string, string>,
): Workspace {
  const space = client.getRoom(rooms.spaceId);
  const queue = client.getRoom(rooms.queueRoomId);
  const staff = space ? parseStaff(stateOf(space, EventType.Staff), bots) : new Map();
  const entries = queue ? cachedEntries(queue, bots, entryCache) : [];
  const duty = queue ? parseDuty(stateOf(queue, EventType.Duty), bots) : new Map();
  const cannedEvent = queue?.currentState.getStateEvents(EventType.CannedResponses, '');
  const canEditCanned = queue?.currentState.maySendStateEvent(EventType.CannedResponses, me.userId) ?? false;

  const entryRooms = new Set(entries.map((entry) => entry.roomId));
  const supervisors = rooms.supervisorsRoomId ? client.getRoom(rooms.supervisorsRoomId) : null;
  const disclosureRequests = supervisors
    ? parseDisclosureRequests(stateOf(supervisors, SafetyEventType.Disclosure), bots)
    : [];
  const legalHolds = supervisors ? parseLegalHolds(stateOf(supervisors, SafetyEventType.LegalHold), bots) : new Map();
  const joined = new Set<string>();
  const invited = new Set<string>();
  const unread = new Map<string, number>();
  const lastActivity = new Map<string, number>();
  const status = new Map<string, ReturnType<typeof parseStatus> & object>();
  for (const room of client.getRooms()) {
    if (!entryRooms.has(room.roomId)) continue;
    const membership = room.getMyMembership();
    if (membership === 'invite') invited.add(room.roomId);
    if (membership !== 'join') continue;
    joined.add(room.roomId);
    unread.set(room.roomId, unreadCount(room, me.userId, receiptSent?.get(room.roomId)));
    const last = lastMessageTs(room);
    if (last !== undefined) lastActivity.set(room.roomId, last);
    const statusEvent = room.currentState.getStateEvents(EventType.Status, '');
    const parsed = parseStatus(statusEvent ? rawOf(statusEvent) : undefined, bots);
    if (parsed) status.set(room.roomId, parsed);
  }
  return {
    me,
    rooms,
    bots,
    staff,
    entries,
    duty,
    joined,
    invited,
    unread,
    lastActivity,
    status,
    publishedCanned: parseCanned(cannedEvent?.getContent()),
    canEditCanned,
    disclosureRequests,
    legalHolds,
    disclosures: readDisclosures(client, bots, entryRooms),
  };
}
