import { randomUUID } from 'node:crypto';
import {
  EventType,
  PublicStatus,
  commandResultIn,
  type CommandResultContent,
  type ConversationEntry,
  type Force,
} from '@espace-mineurs/protocol';
import { matrixRequest, stack, type Session } from './matrix.ts';
import { waitUntil } from './wait.ts';

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

let addressCounter = 0;

/** A fresh client address per call site, sent as X-Forwarded-For (the test bot trusts one proxy). */
export function freshAddress(): string {
  addressCounter++;
  return `10.${process.pid % 250}.${Math.floor(addressCounter / 250) % 250}.${addressCounter % 250}`;
}

export async function api<T = Record<string, unknown>>(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string; ip?: string; origin?: string; botUrl?: string } = {},
): Promise<ApiResponse<T>> {
  const response = await fetch(`${options.botUrl ?? stack().botUrl}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined || options.rawBody !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(options.origin ? { origin: options.origin } : {}),
      'x-forwarded-for': options.ip ?? freshAddress(),
    },
    ...(options.rawBody !== undefined
      ? { body: options.rawBody }
      : options.body !== undefined
        ? { body: JSON.stringify(options.body) }
        : {}),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { raw: text };
  }
  return { status: response.status, body: body as T, headers: response.headers };
}

export interface RoomEvent {
  event_id: string;
  type: string;
  sender: string;
  origin_server_ts: number;
  state_key?: string;
  content: Record<string, unknown>;
}

export { waitUntil };

/** The room's timeline as a member sees it, oldest first (up to `limit` most recent events). */
export async function timeline(
  session: { accessToken: string },
  roomId: string,
  limit = 200,
  baseUrl?: string,
): Promise<RoomEvent[]> {
  const response = await matrixRequest<{ chunk: RoomEvent[] }>(
    'GET',
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=${limit}`,
    {
      token: session.accessToken,
      ...(baseUrl ? { baseUrl } : {}),
    },
  );
  if (response.status !== 200) throw new Error(`messages answered ${response.status}`);
  return response.body.chunk.reverse();
}

export function botMessages(events: RoomEvent[], botUserId = stack().bot.userId): RoomEvent[] {
  return events.filter((event) => event.sender === botUserId && event.type === 'm.room.message');
}

export async function waitForMessages(
  session: Session,
  roomId: string,
  what: string,
  predicate: (events: RoomEvent[]) => boolean,
  options: { baseUrl?: string; timeoutMs?: number } = {},
): Promise<RoomEvent[]> {
  return waitUntil(
    what,
    async () => {
      const events = await timeline(session, roomId, 200, options.baseUrl);
      return predicate(events) ? events : undefined;
    },
    options.timeoutMs,
  );
}

export async function join(session: Session, roomId: string, baseUrl?: string): Promise<void> {
  const response = await matrixRequest('POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {
    token: session.accessToken,
    body: {},
    ...(baseUrl ? { baseUrl } : {}),
  });
  if (response.status !== 200) throw new Error(`join answered ${response.status} ${JSON.stringify(response.body)}`);
}

let txn = 0;

export async function send(
  session: Session,
  roomId: string,
  type: string,
  content: Record<string, unknown>,
  baseUrl?: string,
): Promise<string> {
  const response = await matrixRequest<{ event_id: string }>(
    'PUT',
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/${encodeURIComponent(type)}/c${process.pid}-${Date.now()}-${txn++}`,
    {
      token: session.accessToken,
      body: content,
      ...(baseUrl ? { baseUrl } : {}),
    },
  );
  if (response.status !== 200) throw new Error(`send answered ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.event_id;
}

export function say(session: Session, roomId: string, body: string, baseUrl?: string): Promise<string> {
  return send(session, roomId, 'm.room.message', { msgtype: 'm.text', body }, baseUrl);
}

/** Reads a conversation's entry in a force's queue room (as the bot). */
export async function entryOf(
  roomId: string,
  force: Force,
  options: { baseUrl?: string; botToken?: string; queueRoomId?: string } = {},
): Promise<ConversationEntry | undefined> {
  const queue = options.queueRoomId ?? stack().forces[force].queueRoomId;
  const response = await matrixRequest<ConversationEntry>(
    'GET',
    `/_matrix/client/v3/rooms/${encodeURIComponent(queue)}/state/${encodeURIComponent(EventType.Conversation)}/${encodeURIComponent(roomId)}`,
    {
      token: options.botToken ?? stack().bot.accessToken,
      ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
    },
  );
  return response.status === 200 ? response.body : undefined;
}

export async function waitForEntry(
  roomId: string,
  force: Force,
  what: string,
  predicate: (entry: ConversationEntry) => boolean,
  options: { baseUrl?: string; botToken?: string; queueRoomId?: string; timeoutMs?: number } = {},
): Promise<ConversationEntry> {
  return waitUntil(
    `${what} (entry in the ${force} queue)`,
    async () => {
      const entry = await entryOf(roomId, force, options);
      return entry && predicate(entry) ? entry : undefined;
    },
    options.timeoutMs,
  );
}

/** Sends a structured command in a queue room and waits for the bot's result. */
export async function command(
  session: Session,
  queueRoomId: string,
  body: Record<string, unknown>,
  options: { baseUrl?: string; timeoutMs?: number } = {},
): Promise<CommandResultContent> {
  const requestId = randomUUID();
  await send(session, queueRoomId, EventType.Command, { ...body, requestId }, options.baseUrl);
  const events = await waitForMessages(
    session,
    queueRoomId,
    `the result of ${String(body.action)} ${requestId}`,
    (events) => events.some((event) => resultOf(event)?.requestId === requestId),
    { ...options },
  );
  return events.map(resultOf).find((result) => result?.requestId === requestId)!;
}

/** The command result an event carries, in either of its shapes (`commandResultIn`). */
export function resultOf(event: { type: string; content: Record<string, unknown> }): CommandResultContent | undefined {
  return commandResultIn(event) as CommandResultContent | undefined;
}

/** Opens a conversation as a guest through the bot's API and joins its room. */
export async function openAndJoin(
  guest: Session,
  body?: Record<string, unknown>,
  botUrl?: string,
  baseUrl?: string,
): Promise<string> {
  const opened = await api<{ roomId: string }>('POST', '/api/conversations', {
    token: guest.accessToken,
    ...(body ? { body } : {}),
    ...(botUrl ? { botUrl } : {}),
  });
  if (opened.status !== 201) throw new Error(`opening answered ${opened.status} ${JSON.stringify(opened.body)}`);
  await join(guest, opened.body.roomId, baseUrl);
  return opened.body.roomId;
}

/** Answers the triage question by question, each time waiting for the bot's next message. */
export async function answerTriage(guest: Session, roomId: string, answers: string[], baseUrl?: string): Promise<void> {
  for (const answer of answers) {
    const before = botMessages(await timeline(guest, roomId, 200, baseUrl)).length;
    await say(guest, roomId, answer, baseUrl);
    await waitForMessages(
      guest,
      roomId,
      `the bot's reply to "${answer}"`,
      (events) => botMessages(events).length > before,
      baseUrl ? { baseUrl } : {},
    );
  }
}

/** What the young person's own status call answers (the site's `GET /api/conversations/current`), validated. */
export async function statusOf(guest: Session): Promise<PublicStatus> {
  const response = await api<{ status: PublicStatus }>('GET', '/api/conversations/current', {
    token: guest.accessToken,
  });
  if (response.status !== 200) throw new Error(`the status call answered ${response.status}`);
  return PublicStatus.parse(response.body.status);
}

/** A user's power level in a room, read with the bot's token. */
export async function powerOf(roomId: string, userId: string): Promise<number | undefined> {
  const levels = await matrixRequest<{ users: Record<string, number> }>(
    'GET',
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.power_levels/`,
    { token: stack().bot.accessToken },
  );
  return levels.body.users[userId];
}
