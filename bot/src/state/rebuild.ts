import {
  ConversationEntry,
  ConversationRoomContent,
  CreationKey,
  DutyContent,
  EventType,
  FORCES,
  PublicStatus,
  StaffContent,
  parseContent,
  userIdFromStateKey,
} from '@espace-mineurs/protocol';
import type { Context } from '../runtime/context.ts';
import { mapLimited } from '../runtime/locks.ts';
import type { RawEvent } from '../matrix/client.ts';
import { TERMINAL, UNREAD_GUEST, type Conversation } from './store.ts';
import { readProgress } from '../intake/progress.ts';
import { startTriage } from '../triage/machine.ts';

/**
 * Reads staff from the force spaces (written by the bootstrap or the admin tool with the bot's account, so they
 * never come through the bot's own sync, which leaves out its own events). Run at start, every minute, and when
 * an unknown sender gives a command.
 */
export async function refreshStaff(ctx: Context): Promise<void> {
  for (const force of FORCES) {
    for (const event of await ctx.matrix.roomState(ctx.store.forces[force].spaceId)) {
      if (event.type !== EventType.Staff || !event.state_key || !ctx.matrix.isOwn(event.sender)) continue;
      const parsed = parseContent(StaffContent, event.content);
      const userId = userIdFromStateKey(event.state_key);
      if (parsed.ok && parsed.value.force === force) ctx.store.staff.set(userId, { ...parsed.value, userId });
    }
  }
}

/**
 * A conversation with pointers only (`movedTo`), no live entry: the bot was killed between writing the pointer and
 * the new force's entry (`saveEntry`, conversation/entry.ts). Without this, the conversation would be in no queue
 * at all and its room taken back for a triage. The pointer written last still holds the entry as it was before the
 * interrupted move, so it is the live one again, and the replayed cause (the transfer or overflow that moved it)
 * moves it again from there. Usually that is the only entry (a first move: the target force has none yet); after a
 * move back (police, gendarmerie, police again) the target still holds its own older pointer, which was about to
 * be overwritten: the later state event wins.
 */
function resumeInterruptedMoves(
  entries: Map<string, ConversationEntry>,
  latestPointers: ReadonlyMap<string, { entry: ConversationEntry; at: number }>,
): void {
  for (const [roomId, entry] of entries) {
    if (!entry.movedTo) continue;
    const { movedTo: _movedTo, ...live } = latestPointers.get(roomId)?.entry ?? entry;
    entries.set(roomId, live);
  }
}

/**
 * An ended conversation whose guest account has ended too: the young person can no longer read its room, so its
 * status is nothing anyone sees, and the entry holds all the rest a past conversation needs until its retention
 * (ticket, dates, force). Its guest is not read: the entry does not name it (the queue room lives on the force's
 * server, and a guest's ID there would outlive the conversation in redacted versions), and only an export or a
 * disclosure needs it, which read it from the room (`guestOf`).
 */
function isPast(entry: ConversationEntry): boolean {
  return TERMINAL.has(entry.state) && entry.guestEndedAt !== undefined;
}

/**
 * The young person's guest account of a conversation, read from its room's marker when the conversation was
 * rebuilt without it (`isPast`); undefined if the room no longer names one.
 */
export async function guestOf(ctx: Context, conversation: Conversation): Promise<string | undefined> {
  if (conversation.guest !== UNREAD_GUEST) return conversation.guest;
  const marker = await ctx.matrix.getState<unknown>(conversation.roomId, EventType.ConversationRoom, '');
  const room = marker ? parseContent(ConversationRoomContent, marker) : undefined;
  if (!room?.ok) return undefined;
  conversation.guest = room.value.guest;
  return conversation.guest;
}

/**
 * Rebuilds the in-memory view from Matrix room state (docs/architecture.md, "Principles": Matrix is the source of truth): staff from the force spaces,
 * duty and conversation entries from the queue rooms, and each young person's room from its own state.
 */
export async function rebuild(ctx: Context): Promise<void> {
  const { store, matrix } = ctx;
  const entries = new Map<string, ConversationEntry>();
  // Per room, the pointer written last (by its state event's time), for a move cut short.
  const latestPointers = new Map<string, { entry: ConversationEntry; at: number }>();
  await refreshStaff(ctx);
  for (const force of FORCES) {
    const rooms = store.forces[force];
    for (const event of await matrix.roomState(rooms.queueRoomId)) {
      if (!matrix.isOwn(event.sender) || event.state_key === undefined) continue;
      if (event.type === EventType.Duty) {
        const parsed = parseContent(DutyContent, event.content);
        if (parsed.ok) store.duty.set(userIdFromStateKey(event.state_key), parsed.value);
      } else if (event.type === EventType.Conversation) {
        const parsed = parseContent(ConversationEntry, event.content);
        if (!parsed.ok) {
          ctx.log.warn({ roomId: event.state_key, error: parsed.error }, 'ignoring an invalid conversation entry');
          continue;
        }
        store.noteTicket(force, parsed.value.ticket);
        if (parsed.value.movedTo && (latestPointers.get(event.state_key)?.at ?? -Infinity) < event.origin_server_ts)
          latestPointers.set(event.state_key, { entry: parsed.value, at: event.origin_server_ts });
        // A ticket reserved in the other force by a pending warm transfer is taken there too.
        const reserved = parsed.value.pendingTransfer?.receiver;
        if (reserved) store.noteTicket(reserved.force, reserved.ticket);
        // The live entry is the one without movedTo; the other force keeps a pointer.
        if (!parsed.value.movedTo || !entries.has(event.state_key)) {
          const known = entries.get(event.state_key);
          if (!known || known.movedTo) entries.set(event.state_key, parsed.value);
        }
      }
    }
  }
  resumeInterruptedMoves(entries, latestPointers);

  const rooms = (await matrix.joinedRooms()).filter((roomId) => !store.isServiceRoom(roomId));
  const now = ctx.now();
  await mapLimited(rooms, 8, async (roomId) => {
    const known = entries.get(roomId);
    if (known && !known.movedTo && isPast(known)) {
      // Nobody is left to see its room: rebuilt from the entry alone. Without this, a start with 10,000 past
      // conversations read 10,000 rooms before serving (34 s, bot/README.md, "Start-up with 10,000 past").
      store.add({
        roomId,
        guest: UNREAD_GUEST,
        createdAt: known.createdAt,
        triage: undefined,
        entry: known,
        status: undefined,
        lastGuestActivity: now,
      });
      return;
    }
    let state: RawEvent[];
    try {
      state = await matrix.roomState(roomId);
    } catch (error) {
      ctx.log.warn({ roomId, err: (error as Error).message }, 'could not read a room at start');
      return;
    }
    const find = (type: string, key = '') =>
      state.find((event) => event.type === type && event.state_key === key && matrix.isOwn(event.sender));
    const marker = find(EventType.ConversationRoom);
    if (!marker) {
      // A ready room never handed out goes back to the pool.
      if (state.find((event) => event.type === 'm.room.create')?.content[CreationKey.PooledRoom] === true)
        ctx.pool.add(roomId);
      return;
    }
    const room = parseContent(ConversationRoomContent, marker.content);
    if (!room.ok) return;
    const statusEvent = find(EventType.Status);
    const status = statusEvent ? parseContent(PublicStatus, statusEvent.content) : undefined;
    const found = entries.get(roomId);
    const entry = found?.movedTo ? undefined : found;
    // Only a conversation still in triage needs its progress: it is read back from the bot's latest reply.
    const inTriage = !entry && !(status?.ok && TERMINAL.has(status.value.state));
    const triage = inTriage
      ? ((await readProgress(ctx, roomId, find(EventType.Triage)?.content)) ??
        startTriage(ctx.triage, room.value.preset ?? {}).progress)
      : undefined;
    const conversation: Conversation = {
      roomId,
      guest: room.value.guest,
      createdAt: room.value.createdAt,
      triage,
      entry,
      status: status?.ok ? status.value : undefined,
      // Silence is measured from the restart: a bot that was down must not end conversations for its own absence.
      lastGuestActivity: now,
    };
    if (entry?.assignee) {
      const member = state.find((event) => event.type === 'm.room.member' && event.state_key === entry.assignee);
      conversation.agentJoined = member?.content.membership === 'join';
    }
    store.add(conversation);
  });
  ctx.log.info({ conversations: store.conversations.size, staff: store.staff.size }, 'rebuilt state from Matrix');
}
