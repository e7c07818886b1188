/**
 * The young person's Matrix connection: matrix-js-sdk syncs the room; this module turns what it sees into typed
 * values (timeline.ts, PublicStatus) and sends messages with our own transaction ids. It is only ever loaded by
 * dynamic import from the chat page, so the SDK never weighs on the other pages.
 */
import { EventType as EspaceEvent, parseContent, PublicStatus } from '@espace-mineurs/protocol';
import {
  ClientEvent,
  createClient,
  MatrixError,
  MemoryStore,
  Method,
  RoomEvent,
  RoomMemberEvent,
  RoomStateEvent,
  SyncState,
  type MatrixClient,
  type MatrixEvent,
  type Room,
} from 'matrix-js-sdk';
import type { GuestCredentials } from './session-store.ts';
import { toTimelineMessage, type Participants, type RawEvent, type TimelineMessage } from './timeline.ts';

export interface RoomListener {
  message(message: TimelineMessage): void;
  status(status: PublicStatus): void;
  /** Whether a member of staff is typing right now. */
  typing(typing: boolean): void;
  /** Timestamp of the latest event a member of staff has read (0 when none). */
  readUpTo(ts: number): void;
  connection(online: boolean): void;
}

export interface SendFailure {
  httpStatus?: number;
  errcode?: string;
}

export interface RoomConnection {
  /** PUT /send with our transaction id: the homeserver stores a retried message once. */
  send(txnId: string, content: Record<string, unknown>): Promise<string>;
  stop(): void;
}

// The SDK logs a lot, including room and event ids; the site keeps the console quiet.
const silent = {
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  getChild: () => silent,
};

export async function connectRoom(credentials: GuestCredentials, roomId: string, listener: RoomListener): Promise<RoomConnection> {
  const client: MatrixClient = createClient({
    baseUrl: credentials.homeserverUrl,
    accessToken: credentials.accessToken,
    userId: credentials.userId,
    deviceId: credentials.deviceId || undefined,
    // An explicit in-memory store: the SDK's default one writes filter ids to localStorage.
    store: new MemoryStore(),
    logger: silent,
    timelineSupport: false,
  });
  client.setGuest(true);

  const who: Participants = {
    me: credentials.userId,
    service: undefined,
    nameOf: (userId) => client.getRoom(roomId)?.getMember(userId)?.rawDisplayName || undefined,
  };
  const typingUsers = new Set<string>();

  const isOurRoom = (room: Room | undefined): room is Room => room?.roomId === roomId;

  function refreshParticipants(room: Room): void {
    who.service = room.getCreator() ?? undefined;
  }

  function readStatus(event: MatrixEvent | null | undefined): void {
    if (!event || event.getType() !== EspaceEvent.Status || event.getStateKey() !== '') return;
    // Trust by sender: only the service account may tell the young person where they stand.
    if (who.service === undefined || event.getSender() !== who.service) return;
    const parsed = parseContent(PublicStatus, event.getContent());
    if (parsed.ok) listener.status(parsed.value);
  }

  function readReceipts(room: Room): void {
    let latest = 0;
    for (const member of room.getJoinedMembers()) {
      if (member.userId === who.me || member.userId === who.service) continue;
      const eventId = room.getEventReadUpTo(member.userId);
      const ts = eventId ? room.findEventById(eventId)?.getTs() : undefined;
      if (ts !== undefined && ts > latest) latest = ts;
    }
    listener.readUpTo(latest);
  }

  function readRoom(room: Room): void {
    refreshParticipants(room);
    for (const event of room.getLiveTimeline().getEvents()) {
      const message = toTimelineMessage(event.getEffectiveEvent() as RawEvent, who);
      if (message) listener.message(message);
    }
    readStatus(room.currentState.getStateEvents(EspaceEvent.Status, ''));
    readReceipts(room);
  }

  client.on(RoomEvent.Timeline, (event, room, toStartOfTimeline) => {
    if (!isOurRoom(room) || toStartOfTimeline) return;
    if (who.service === undefined) refreshParticipants(room);
    const message = toTimelineMessage(event.getEffectiveEvent() as RawEvent, who);
    if (message) listener.message(message);
  });
  // Handlers run inside the SDK's sync processing: a throw there silently drops the rest of the room's
  // events, so nothing here may assume the Room object exists yet.
  client.on(RoomStateEvent.Events, (event) => {
    if (event.getRoomId() !== roomId) return;
    if (event.getType() === 'm.room.create') who.service = event.getSender() ?? undefined;
    readStatus(event);
  });
  client.on(RoomMemberEvent.Typing, (_event, member) => {
    if (member.roomId !== roomId || member.userId === who.me || member.userId === who.service) return;
    if (member.typing) typingUsers.add(member.userId);
    else typingUsers.delete(member.userId);
    listener.typing(typingUsers.size > 0);
  });
  client.on(RoomEvent.Receipt, (_event, room) => {
    if (isOurRoom(room)) readReceipts(room);
  });
  client.on(ClientEvent.Sync, (state: SyncState) => {
    if (state === SyncState.Prepared || state === SyncState.Syncing) listener.connection(true);
    else if (state === SyncState.Error || state === SyncState.Reconnecting) listener.connection(false);
  });
  client.on(ClientEvent.Room, (room) => {
    if (isOurRoom(room)) readRoom(room);
  });

  // Join first: the bot invited the guest when it opened the conversation. Joining again is harmless.
  await client.http.authedRequest(Method.Post, `/join/${encodeURIComponent(roomId)}`, undefined, {});
  await client.startClient({ initialSyncLimit: 200, lazyLoadMembers: false, disablePresence: true });
  const existing = client.getRoom(roomId);
  if (existing) readRoom(existing);

  return {
    async send(txnId, content) {
      const path = `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${encodeURIComponent(txnId)}`;
      try {
        const response = await client.http.authedRequest<{ event_id: string }>(Method.Put, path, undefined, content);
        return response.event_id;
      } catch (error) {
        const failure: SendFailure =
          error instanceof MatrixError ? { httpStatus: error.httpStatus, errcode: error.errcode } : {};
        throw failure;
      }
    },
    stop() {
      client.stopClient();
      client.removeAllListeners();
    },
  };
}
