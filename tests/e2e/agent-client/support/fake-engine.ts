import { ContentKey, EventType, FORCES, userStateKey, type Command, type ConversationEntry, type Force } from '@espace-mineurs/protocol';

/**
 * A stand-in for the conversation engine, acting as the bot account over plain HTTP, for the agent client's
 * browser tests and screenshots while bot/ does not yet execute every command. It follows the protocol (entries
 * in the queue room, queue notice as the notes' thread root, invites, CommandResult) without the real engine's
 * guarantees (no locks, no audit, no retention). When bot/ exports start(config), tests should use it instead.
 */
export interface EngineOptions {
  baseUrl: string;
  botToken: string;
  botUserId: string;
  serverName: string;
  forces: Record<Force, { queueRoomId: string }>;
}

export interface Guest {
  userId: string;
  accessToken: string;
}

let txn = 0;

export async function api<T = Record<string, unknown>>(baseUrl: string, token: string | undefined, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await response.json().catch(() => ({}))) as T & { errcode?: string };
  if (!response.ok) throw new Error(`${method} ${path.split('?')[0]} → ${response.status} ${json.errcode ?? ''}`);
  return json;
}

const enc = encodeURIComponent;

export class FakeEngine {
  private since: string | undefined;
  private running = false;
  private tickets: Record<Force, number> = { police: 0, gendarmerie: 0 };
  private entries = new Map<string, ConversationEntry>();
  private loop: Promise<void> | undefined;

  private readonly o: EngineOptions;

  constructor(options: EngineOptions) {
    this.o = options;
  }

  private bot<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    return api<T>(this.o.baseUrl, this.o.botToken, method, path, body);
  }

  private send(roomId: string, type: string, content: unknown): Promise<{ event_id: string }> {
    return this.bot('PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/${enc(type)}/fake${Date.now()}-${txn++}`, content);
  }

  private putState(roomId: string, type: string, key: string, content: unknown): Promise<unknown> {
    return this.bot('PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/state/${enc(type)}/${enc(key)}`, content);
  }

  private async saveEntry(entry: ConversationEntry): Promise<void> {
    this.entries.set(`${entry.force}:${entry.roomId}`, entry);
    await this.putState(this.o.forces[entry.force].queueRoomId, EventType.Conversation, entry.roomId, entry);
  }

  private async status(entry: ConversationEntry, agentJoined: boolean, pseudonym?: string): Promise<void> {
    await this.putState(entry.roomId, EventType.Status, '', {
      state: entry.state,
      force: entry.force,
      agentJoined,
      ...(pseudonym ? { agentPseudonym: pseudonym } : {}),
      updatedAt: Date.now(),
    });
  }

  /** A young person (a real guest) with a room, a few triage lines, and an entry waiting in a force's queue. */
  async openConversation(options: { force: Force; triageText: string; postalCode?: string; urgent?: boolean; firstWords?: string[] }): Promise<{ guest: Guest; entry: ConversationEntry }> {
    const guest = await api<{ user_id: string; access_token: string }>(this.o.baseUrl, undefined, 'POST', '/_matrix/client/v3/register?kind=guest', {});
    const g: Guest = { userId: guest.user_id, accessToken: guest.access_token };
    const { room_id: roomId } = await this.bot<{ room_id: string }>('POST', '/_matrix/client/v3/createRoom', {
      preset: 'private_chat',
      invite: [g.userId],
      creation_content: { 'm.federate': false },
      initial_state: [{ type: 'm.room.guest_access', state_key: '', content: { guest_access: 'can_join' } }],
      power_level_content_override: {
        users: { [this.o.botUserId]: 100 },
        users_default: 0,
        events_default: 0,
        state_default: 100,
        invite: 50,
        kick: 50,
        ban: 50,
        redact: 50,
        events: { 'm.room.power_levels': 100 },
      },
    });
    await api(this.o.baseUrl, g.accessToken, 'POST', `/_matrix/client/v3/join/${enc(roomId)}`, {});
    await this.send(roomId, 'm.room.message', {
      msgtype: 'm.notice',
      body: 'Est-ce que tu es en danger en ce moment ?\n1. Oui\n2. Non',
      [ContentKey.TriageQuestion]: { questionId: 'danger', options: [], expectsText: false },
    });
    await api(this.o.baseUrl, g.accessToken, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/g${Date.now()}-${txn++}`, {
      msgtype: 'm.text',
      body: options.urgent ? 'Oui' : 'Non',
      [ContentKey.TriageAnswer]: { questionId: 'danger', optionId: options.urgent ? 'yes' : 'no' },
    });
    for (const words of options.firstWords ?? []) await this.guestSays(g, roomId, words);

    const now = Date.now();
    const ticket = ++this.tickets[options.force];
    let entry: ConversationEntry = {
      roomId,
      ticket,
      state: 'queued',
      force: options.force,
      priority: options.urgent ? 'urgent' : 'normal',
      triage: { text: options.triageText, ...(options.postalCode ? { postalCode: options.postalCode } : {}), inDanger: !!options.urgent, skipped: false },
      createdAt: now - 60_000,
      queuedAt: now - 30_000 * ticket,
    };
    await this.saveEntry(entry);
    const notice = await this.send(this.o.forces[options.force].queueRoomId, 'm.room.message', {
      msgtype: 'm.notice',
      body: `Nouvelle conversation n°${ticket}\n${options.triageText}\nPour la prendre : !prendre ${ticket}`,
    });
    entry = { ...entry, queueEventId: notice.event_id };
    await this.saveEntry(entry);
    await this.status(entry, false);
    return { guest: g, entry };
  }

  async guestSays(guest: Guest, roomId: string, body: string): Promise<void> {
    await api(this.o.baseUrl, guest.accessToken, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/g${Date.now()}-${txn++}`, { msgtype: 'm.text', body });
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop?.catch(() => undefined);
  }

  private async run(): Promise<void> {
    const first = await this.bot<{ next_batch: string }>('GET', `/_matrix/client/v3/sync?filter=${enc(JSON.stringify({ room: { timeline: { limit: 0 } } }))}`);
    this.since = first.next_batch;
    while (this.running) {
      try {
        const sync = await this.bot<{ next_batch: string; rooms?: { join?: Record<string, { timeline?: { events?: RawEvent[] } }> } }>(
          'GET',
          `/_matrix/client/v3/sync?timeout=500&since=${enc(this.since ?? '')}`,
        );
        this.since = sync.next_batch;
        for (const [roomId, room] of Object.entries(sync.rooms?.join ?? {})) {
          for (const event of room.timeline?.events ?? []) await this.handle(roomId, event).catch(() => undefined);
        }
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    }
  }

  private forceOfQueue(roomId: string): Force | undefined {
    return FORCES.find((force) => this.o.forces[force].queueRoomId === roomId);
  }

  private async result(force: Force, command: Command, ok: boolean, code?: string): Promise<void> {
    await this.send(this.o.forces[force].queueRoomId, EventType.CommandResult, { requestId: command.requestId, action: command.action, ok, ...(code ? { code } : {}) });
  }

  private async invite(roomId: string, userId: string): Promise<void> {
    const levels = await this.bot<{ users?: Record<string, number> }>('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.power_levels/`);
    await this.putState(roomId, 'm.room.power_levels', '', { ...levels, users: { ...levels.users, [userId]: 50 } });
    await this.bot('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: userId }).catch(() => undefined);
  }

  private async handle(roomId: string, event: RawEvent): Promise<void> {
    const force = this.forceOfQueue(roomId);
    if (!force) {
      // A young person's room: remember the first agent message for the supervisor's figures.
      const entry = [...this.entries.values()].find((candidate) => candidate.roomId === roomId && !candidate.movedTo);
      if (entry && event.type === 'm.room.message' && event.sender === entry.assignee && entry.firstAgentMessageAt === undefined) {
        await this.saveEntry({ ...entry, firstAgentMessageAt: event.origin_server_ts });
      }
      return;
    }
    if (event.type !== EventType.Command || event.sender === this.o.botUserId) return;
    const command = event.content as Command;
    const sender = event.sender;
    if (command.action === 'duty') {
      await this.putState(roomId, EventType.Duty, userStateKey(sender), { onDuty: command.onDuty, capacity: command.capacity ?? 3, updatedAt: Date.now() });
      return this.result(force, command, true);
    }
    const entry = this.entries.get(`${force}:${command.conversation}`);
    if (!entry || entry.movedTo) return this.result(force, command, false, 'UNKNOWN_CONVERSATION');
    switch (command.action) {
      case 'claim': {
        if (entry.state !== 'queued') return this.result(force, command, false, 'ALREADY_CLAIMED');
        await this.saveEntry({ ...entry, state: 'assigned', assignee: sender, claimedAt: Date.now() });
        await this.invite(entry.roomId, sender);
        await this.status({ ...entry, state: 'assigned' }, true, sender.slice(1, sender.indexOf(':')));
        return this.result(force, command, true);
      }
      case 'close': {
        if (entry.assignee !== sender) return this.result(force, command, false, 'NOT_ASSIGNED');
        await this.saveEntry({ ...entry, state: 'closed', closedAt: Date.now(), outcome: command.outcome });
        await this.send(entry.roomId, 'm.room.message', { msgtype: 'm.notice', body: 'La conversation est terminée. Tu peux revenir quand tu veux.' });
        return this.result(force, command, true);
      }
      case 'flag_danger':
        await this.saveEntry({ ...entry, priority: 'urgent' });
        return this.result(force, command, true);
      case 'supervise':
        await this.invite(entry.roomId, sender);
        return this.result(force, command, true);
      case 'transfer': {
        if ('force' in command.to && command.to.force !== force) {
          await this.saveEntry({ ...entry, movedTo: command.to.force });
          const target = command.to.force;
          const moved: ConversationEntry = { ...entry, force: target, state: 'queued', ticket: ++this.tickets[target], queuedAt: Date.now(), previousForce: force };
          delete moved.assignee;
          delete moved.movedTo;
          const notice = await this.send(this.o.forces[target].queueRoomId, 'm.room.message', { msgtype: 'm.notice', body: `Conversation transférée n°${moved.ticket}` });
          await this.saveEntry({ ...moved, queueEventId: notice.event_id });
          return this.result(force, command, true);
        }
        await this.saveEntry({ ...entry, pendingTransfer: { from: sender, to: command.to, ...(command.comment ? { comment: command.comment } : {}), offeredAt: Date.now() } });
        if ('agent' in command.to) await this.invite(entry.roomId, command.to.agent);
        return this.result(force, command, true);
      }
      case 'transfer_accept': {
        const { pendingTransfer: _dropped, ...rest } = entry;
        await this.saveEntry({ ...rest, state: 'assigned', assignee: sender });
        await this.invite(entry.roomId, sender);
        return this.result(force, command, true);
      }
      case 'transfer_decline': {
        const { pendingTransfer: _dropped, ...rest } = entry;
        await this.saveEntry(rest);
        return this.result(force, command, true);
      }
    }
  }
}

interface RawEvent {
  type: string;
  sender: string;
  content: Record<string, unknown>;
  origin_server_ts: number;
  event_id: string;
}
