import {
  ClientEvent,
  createClient,
  Direction,
  EventStatus,
  HttpApiEvent,
  MsgType,
  PendingEventOrdering,
  RoomEvent,
  RoomMemberEvent,
  RoomStateEvent,
  SyncState,
  type MatrixClient,
  type MatrixEvent,
  type Room,
} from 'matrix-js-sdk';
import { logger as globalSdkLogger, type Logger } from 'matrix-js-sdk/lib/logger.js';
import { EventType, FORCE_LABEL, otherForce, type Command, type ConversationEntry } from '@espace-mineurs/protocol';
import type {
  BotAccounts,
  AutoJoinPolicy,
  CannedResponse,
  CommandResult,
  ForceRoomIds,
  Me,
  Note,
  TimelineItem,
  Workspace,
} from './model.ts';
import { serverNameOf } from './ids.ts';
import { buildTimeline, parseCommandResult, parseNote } from './parse.ts';
import type { StoredSession } from './session.ts';
import {
  creatorOf,
  findIdentity,
  guestOf,
  holdsRoomStart,
  rawOf,
  readWorkspace,
  roomEvents,
  type IdentityProblem,
} from './workspace.ts';

/** How long a sent join keeps its room from being joined again: a failed one is retried after it. */
const AUTO_JOIN_RETRY_MS = 5_000;

/** The SDK logs event and room IDs, sometimes more: nothing of it belongs in an agent's browser console. */
const quietLogger: Logger = {
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  getChild: () => quietLogger,
};
// Parts of the SDK (calls, RTC sessions) log through its global loglevel logger instead of the client's.
(globalSdkLogger as unknown as { setLevel?: (level: string) => void }).setLevel?.('silent');

export class IdentityError extends Error {
  constructor(readonly code: IdentityProblem | 'SYNC_FAILED' | 'TOKEN_REVOKED') {
    super(code);
  }
}

export type ConnectionState = 'syncing' | 'offline';

/**
 * The agent's live link to the homeserver (matrix-js-sdk). It owns the SDK client, turns its events into one
 * "something changed" signal, and exposes typed reads and the agent's actions. Screens never touch the SDK.
 */
export class AgentConnection {
  readonly client: MatrixClient;
  /** Whose events are the bot's: the configured accounts, or @espace-bot on the agent's own server. */
  readonly bots: BotAccounts;
  me!: Me;
  rooms!: ForceRoomIds;
  connectionState: ConnectionState = 'syncing';
  private listeners = new Set<() => void>();
  private scheduled = false;
  private commandResults = new Map<string, CommandResult>();
  private fetchedNotes = new Map<string, Note[]>();
  /** Rooms whose join was sent, kept marked a while after its answer (see `maybeAutoJoin`). */
  private joining = new Set<string>();
  private joinTimers = new Set<ReturnType<typeof setTimeout>>();
  private cachedWorkspace: Workspace | undefined;
  /** Parsed conversation entries by event ID: a force's queue keeps every entry ever, so parse each once. */
  private entryCache = new Map<string, ConversationEntry | null>();
  /** The event each room's read receipt was last sent for (see `markRead`). */
  private receiptSent = new Map<string, string>();

  /** Called once if the homeserver ends the session (token revoked, account locked). */
  onSessionEnded: () => void = () => {};

  /**
   * @param shouldAutoJoin which bot invitations to accept by itself: the domain's rule, given here so that this
   * layer depends on nothing above it. Without one, no invitation is accepted.
   */
  constructor(
    session: StoredSession,
    botUserIds?: readonly string[],
    private readonly shouldAutoJoin: AutoJoinPolicy = () => false,
  ) {
    this.bots = new Set(botUserIds ?? [`@espace-bot:${serverNameOf(session.userId)}`]);
    this.client = createClient({
      baseUrl: session.homeserverUrl,
      accessToken: session.accessToken,
      userId: session.userId,
      deviceId: session.deviceId,
      timelineSupport: true,
      logger: quietLogger,
    });
  }

  /** Starts syncing and resolves once the first sync is in and the agent's force is known. */
  async start(): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => {
      const onSync = (state: SyncState, _previous: SyncState | null, data?: { error?: Error }) => {
        if (state === SyncState.Prepared) {
          this.client.off(ClientEvent.Sync, onSync);
          resolve();
        } else if (
          state === SyncState.Error &&
          (data?.error as { errcode?: string } | undefined)?.errcode === 'M_UNKNOWN_TOKEN'
        ) {
          this.client.off(ClientEvent.Sync, onSync);
          reject(new IdentityError('TOKEN_REVOKED'));
        }
      };
      this.client.on(ClientEvent.Sync, onSync);
    });
    // Threads are read by relation, not through the SDK's thread model: notes stay ordinary timeline events.
    await this.client.startClient({
      initialSyncLimit: 40,
      lazyLoadMembers: true,
      threadSupport: false,
      pendingEventOrdering: PendingEventOrdering.Detached,
    });
    await ready;
    const identity = findIdentity(this.client, this.bots);
    if ('problem' in identity) throw new IdentityError(identity.problem);
    this.me = identity.me;
    this.rooms = identity.rooms;

    // Token revoked or account locked while working: back to the login screen rather than "offline" forever.
    this.client.once(HttpApiEvent.SessionLoggedOut, () => {
      this.stop();
      this.onSessionEnded();
    });
    this.client.on(ClientEvent.Sync, (state) => {
      this.connectionState = state === SyncState.Error || state === SyncState.Reconnecting ? 'offline' : 'syncing';
      this.changed();
    });
    this.client.on(RoomEvent.Timeline, (event, room) => this.onTimeline(event, room));
    this.client.on(RoomEvent.LocalEchoUpdated, () => this.changed());
    this.client.on(RoomEvent.Receipt, () => this.changed());
    this.client.on(RoomEvent.MyMembership, (room) => {
      this.maybeAutoJoin(room);
      this.changed();
    });
    this.client.on(RoomStateEvent.Events, () => this.changed());
    // A limited sync (seen on a force server soon after a federated join) starts a new live timeline: ask for what
    // preceded it, in case the timelines the SDK kept (`roomEvents`) leave a gap.
    this.client.on(RoomEvent.TimelineReset, (room) => {
      if (room && this.workspace().joined.has(room.roomId)) void this.loadOlder(room.roomId).catch(() => undefined);
    });
    this.client.on(RoomMemberEvent.Typing, () => this.changed());
    for (const event of this.client.getRoom(this.rooms.queueRoomId)?.getLiveTimeline().getEvents() ?? [])
      this.recordResult(event);
    for (const room of this.client.getRooms()) this.maybeAutoJoin(room);
  }

  stop(): void {
    for (const timer of this.joinTimers) clearTimeout(timer);
    this.joinTimers.clear();
    this.client.stopClient();
    this.listeners.clear();
  }

  /** After logout: the SDK leaves its sync filter ID (named after the user) and log level in localStorage. */
  static forgetLocalTraces(storage: Storage): void {
    for (const key of Object.keys(storage)) {
      if (key.startsWith('mxjssdk_') || key.startsWith('loglevel:matrix')) storage.removeItem(key);
    }
  }

  /** Subscribe to "something changed"; calls are coalesced to one per microtask burst. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.cachedWorkspace = undefined;
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      // An invite may arrive before the entry that justifies it: look again on every change.
      for (const room of this.client.getRooms()) this.maybeAutoJoin(room);
      for (const listener of this.listeners) listener();
    });
  }

  private onTimeline(event: MatrixEvent, room: Room | undefined): void {
    if (room?.roomId === this.rooms?.queueRoomId) this.recordResult(event);
    this.changed();
  }

  private recordResult(event: MatrixEvent): void {
    const result = parseCommandResult(rawOf(event), this.bots);
    if (result) this.commandResults.set(result.requestId, result);
  }

  /**
   * The bot invites the agent to a young person's room on claim, transfer or supervision, and to a private room
   * when it discloses what it knows of a young person in grave danger: accept those, and nothing else.
   */
  private maybeAutoJoin(room: Room): void {
    if (!this.me || room.getMyMembership() !== 'invite' || this.joining.has(room.roomId)) return;
    const inviter = room.getMember(this.me.userId)?.events.member?.getSender();
    const entry = this.workspace().entries.find((candidate) => candidate.roomId === room.roomId);
    const creator = creatorOf(room);
    if (!this.shouldAutoJoin({ bots: this.bots, me: this.me, inviter, creator, entry })) return;
    this.joining.add(room.roomId);
    this.client
      .joinRoom(room.roomId)
      .catch(() => undefined)
      .finally(() => {
        // The SDK answers before its /sync shows the join (slower still over federation), so the room reads as an
        // invite a while longer: clearing the mark now would send the join again at every change until then.
        // A join that failed is retried once the delay is over.
        const timer = setTimeout(() => {
          this.joinTimers.delete(timer);
          this.joining.delete(room.roomId);
          this.changed();
        }, AUTO_JOIN_RETRY_MS);
        this.joinTimers.add(timer);
      });
  }

  /** Rebuilt at most once per change: screens read it many times per render. */
  workspace(): Workspace {
    this.cachedWorkspace ??= readWorkspace(
      this.client,
      this.me,
      this.rooms,
      this.bots,
      this.entryCache,
      this.receiptSent,
    );
    return this.cachedWorkspace;
  }

  results(): Map<string, CommandResult> {
    return this.commandResults;
  }

  timeline(roomId: string): TimelineItem[] {
    const room = this.client.getRoom(roomId);
    if (!room) return [];
    const staff = this.workspace().staff;
    const ctx = {
      bots: this.bots,
      myUserId: this.me.userId,
      staff,
      guest: guestOf(room, this.bots),
      otherForceLabel: `Agent de la ${FORCE_LABEL[otherForce(this.me.force)]}`,
    };
    const events = [...roomEvents(room), ...room.getPendingEvents()];
    const statusOf = new Map(events.map((event) => [event.getId(), event.status]));
    return buildTimeline(events.map(rawOf), ctx).map((item): TimelineItem => {
      const status = statusOf.get(item.eventId) ?? null;
      return {
        ...item,
        pending: status !== null && status !== EventStatus.NOT_SENT,
        failed: status === EventStatus.NOT_SENT,
      };
    });
  }

  /** Whether older messages may exist before what is loaded. */
  canLoadOlder(roomId: string): boolean {
    const room = this.client.getRoom(roomId);
    if (!room) return false;
    if (holdsRoomStart(room)) return false;
    return room.getLiveTimeline().getPaginationToken(Direction.Backward) !== null;
  }

  async loadOlder(roomId: string): Promise<void> {
    const room = this.client.getRoom(roomId);
    if (room) await this.client.scrollback(room, 30);
    this.changed();
  }

  typingIn(roomId: string): string[] {
    const room = this.client.getRoom(roomId);
    if (!room) return [];
    return room
      .getMembers()
      .filter((member) => member.typing && member.userId !== this.me.userId)
      .map((member) => member.userId);
  }

  /** Who (among staff) has read up to the last event: guests cannot send receipts, so this is colleagues only. */
  readersOfLast(roomId: string): string[] {
    const room = this.client.getRoom(roomId);
    const last = room?.getLiveTimeline().getEvents().at(-1);
    if (!room || !last) return [];
    // The SDK counts a message's sender as having read it: keep colleagues only (the young person sends no receipts).
    const staff = this.workspace().staff;
    return room.getUsersReadUpTo(last).filter((userId) => userId !== this.me.userId && staff.has(userId));
  }

  /**
   * Sends a read receipt for the room's last event, once per event: whether the SDK's read marker moved is no
   * guide. After a timeline reset its marker may sit on an event of the old timeline, which it cannot order against
   * the new one's; it then compares the receipts' times, the old one's (the server's clock) wins over the local echo's
   * (the event's time), and the echo is dropped. The echo still announces a receipt, which re-renders the timeline,
   * which marked it read again: the page froze in that loop (federated topology, docs/architecture.md).
   */
  async markRead(roomId: string): Promise<void> {
    const last = this.client.getRoom(roomId)?.getLiveTimeline().getEvents().at(-1);
    const id = last?.getId();
    if (!last || !id || id.startsWith('~')) return;
    if (this.receiptSent.get(roomId) === id) return;
    if (this.client.getRoom(roomId)?.getEventReadUpTo(this.me.userId) === id) return;
    this.receiptSent.set(roomId, id);
    await this.client.sendReadReceipt(last).catch(() => undefined);
    this.changed();
  }

  async setTyping(roomId: string, typing: boolean): Promise<void> {
    await this.client.sendTyping(roomId, typing, 5000).catch(() => undefined);
  }

  async sendMessage(roomId: string, body: string): Promise<void> {
    await this.client.sendMessage(roomId, { msgtype: MsgType.Text, body });
  }

  /** Re-sends a message that failed (offline): the SDK keeps it with the same transaction ID. */
  async retry(roomId: string, eventId: string): Promise<void> {
    const room = this.client.getRoom(roomId);
    const event = room?.getPendingEvents().find((candidate) => candidate.getId() === eventId);
    if (event && room) await this.client.resendEvent(event, room);
  }

  /** Sends a command to the bot in the force's queue room; the result comes back through results(). */
  async sendCommand(command: Command): Promise<void> {
    await this.client.sendEvent(this.rooms.queueRoomId, EventType.Command as never, command as never);
  }

  notes(entry: ConversationEntry): Note[] {
    const root = entry.queueEventId;
    if (!root) return [];
    const { staff } = this.workspace();
    const byId = new Map<string, Note>();
    for (const note of this.fetchedNotes.get(root) ?? []) byId.set(note.eventId, note);
    const queue = this.client.getRoom(this.rooms.queueRoomId);
    for (const event of [...(queue?.getLiveTimeline().getEvents() ?? []), ...(queue?.getPendingEvents() ?? [])]) {
      const note = parseNote(rawOf(event), root, staff, this.me.userId);
      if (note)
        byId.set(note.eventId, { ...note, pending: event.status !== null && event.status !== EventStatus.SENT });
    }
    return [...byId.values()].sort((a, b) => a.ts - b.ts);
  }

  /** Loads the whole thread of notes (it may predate what the initial sync brought). */
  async loadNotes(entry: ConversationEntry): Promise<void> {
    const root = entry.queueEventId;
    if (!root) return;
    const { staff } = this.workspace();
    const notes: Note[] = [];
    let from: string | undefined;
    for (let page = 0; page < 10; page++) {
      const response = await this.client.fetchRelations(this.rooms.queueRoomId, root, 'm.thread', 'm.room.message', {
        dir: 'b' as never,
        ...(from ? { from } : {}),
      });
      for (const raw of response.chunk) {
        const note = parseNote(raw as never, root, staff, this.me.userId);
        if (note) notes.push(note);
      }
      if (!response.next_batch) break;
      from = response.next_batch;
    }
    this.fetchedNotes.set(root, notes);
    this.changed();
  }

  /** An internal note: a threaded message under the conversation's queue message, in the agents-only queue room. */
  async sendNote(entry: ConversationEntry, body: string): Promise<void> {
    if (!entry.queueEventId) throw new Error('this conversation has no queue message to attach notes to');
    await this.client.sendMessage(this.rooms.queueRoomId, null, {
      msgtype: MsgType.Text,
      body,
      'm.relates_to': {
        rel_type: 'm.thread',
        event_id: entry.queueEventId,
        is_falling_back: true,
        'm.in_reply_to': { event_id: entry.queueEventId },
      },
    } as never);
  }

  async saveCanned(responses: CannedResponse[]): Promise<void> {
    await this.client.sendStateEvent(
      this.rooms.queueRoomId,
      EventType.CannedResponses as never,
      { responses } as never,
      '',
    );
  }
}
