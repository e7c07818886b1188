import { HomeserverError, errcodeOf, statusOf } from './errors.ts';
import { fetchDownload, fetchJson, fetchUpload, withRetries, type RequestOptions } from './transport.ts';

export { HomeserverError };

/**
 * The slice of a Matrix client the safety modules need. The bot's `Matrix` class (bot/src/matrix/client.ts)
 * satisfies it as it is; the admin command line and tests use `connectHomeserver` below. Errors must expose
 * `statusCode` and `errcode` the way matrix-bot-sdk's MatrixError does, so `errcodeOf`/`statusOf` match them.
 */
export interface Homeserver {
  readonly userId: string;
  request<T = Record<string, unknown>>(method: string, path: string, options?: RequestOptions): Promise<T>;
}

/** Stores bytes in the media repository and returns their mxc URI (the bot: `Matrix.upload`). */
export type MediaUploader = (bytes: Buffer, contentType: string, filename: string) => Promise<string>;

export function isNotFoundError(error: unknown): boolean {
  return errcodeOf(error) === 'M_NOT_FOUND' || statusOf(error) === 404;
}

export const enc = encodeURIComponent;

/**
 * Whether `sender` is the bot: any of its accounts when `hs` is the bot's own client (`Matrix.isOwn`; federated,
 * a force's rooms are written by its account on that server), else the one account of `hs`.
 */
export function sentByBot(hs: Homeserver, sender: string | undefined): boolean {
  const isOwn = (hs as { isOwn?: (userId: string) => boolean }).isOwn;
  if (sender === undefined) return false;
  return isOwn ? isOwn.call(hs, sender) : sender === hs.userId;
}

export interface ConnectedHomeserver extends Homeserver {
  readonly baseUrl: string;
  upload: MediaUploader;
  /** Downloads media through the authenticated media API (Synapse 1.120+). */
  download(mxc: string): Promise<Buffer>;
}

/**
 * A fetch-based client for the admin command line and tests (the bot itself passes its `Matrix`), with the same
 * retry policy and typed errors as the bot's.
 */
export function connectHomeserver(baseUrl: string, accessToken: string, userId: string): ConnectedHomeserver {
  const root = baseUrl.replace(/\/+$/, '');
  return {
    userId,
    baseUrl: root,
    request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
      return withRetries(method, options, () => fetchJson<T>(root, accessToken, method, path, options));
    },
    upload: (bytes: Buffer, contentType: string, filename: string) =>
      fetchUpload(root, accessToken, bytes, contentType, filename),
    download: (mxc: string) => withRetries('GET', {}, () => fetchDownload(root, accessToken, mxc)),
  };
}

/** Reads every event of a room (optionally only some types), oldest first, following /messages pagination. */
export async function readTimeline<E = Record<string, unknown>>(
  matrix: Homeserver,
  roomId: string,
  options: { types?: string[]; pageSize?: number } = {},
): Promise<E[]> {
  const events: E[] = [];
  let from: string | undefined;
  const filter = options.types ? JSON.stringify({ types: options.types }) : undefined;
  for (;;) {
    const page = await matrix.request<{ chunk?: E[]; end?: string }>(
      'GET',
      `/_matrix/client/v3/rooms/${enc(roomId)}/messages`,
      {
        qs: { dir: 'f', limit: options.pageSize ?? 500, ...(from ? { from } : {}), ...(filter ? { filter } : {}) },
      },
    );
    const chunk = page.chunk ?? [];
    events.push(...chunk);
    if (!page.end || chunk.length === 0 || page.end === from) return events;
    from = page.end;
  }
}

/*
 * Room operations over any Homeserver (the bot's `Matrix`, `connectHomeserver`): the one place outside the bot's
 * client that builds client-server URLs, so the features (retention, export, disclosure, audit) name what they do
 * and never a path.
 */
const roomPath = (roomId: string): string => `/_matrix/client/v3/rooms/${enc(roomId)}`;

/** A state event as /state serves it. */
export interface ServedStateEvent {
  type: string;
  state_key?: string;
  sender: string;
  event_id?: string;
  origin_server_ts?: number;
  content: Record<string, unknown>;
  unsigned?: { replaces_state?: string; redacted_because?: unknown };
}

/** The whole current state of a room. */
export function roomStateOf(hs: Homeserver, roomId: string): Promise<ServedStateEvent[]> {
  return hs.request<ServedStateEvent[]>('GET', `${roomPath(roomId)}/state`);
}

/** Writes one state event; returns its event ID. */
export async function putStateEvent(
  hs: Homeserver,
  roomId: string,
  type: string,
  stateKey: string,
  content: object,
): Promise<string> {
  const { event_id: eventId } = await hs.request<{ event_id: string }>(
    'PUT',
    `${roomPath(roomId)}/state/${enc(type)}/${enc(stateKey)}`,
    { body: content },
  );
  return eventId;
}

/** Sends one message event with a transaction ID (the same ID sends it once). */
export async function sendRoomEvent(
  hs: Homeserver,
  roomId: string,
  type: string,
  content: object,
  txnId: string,
): Promise<string> {
  const { event_id: eventId } = await hs.request<{ event_id: string }>(
    'PUT',
    `${roomPath(roomId)}/send/${enc(type)}/${enc(txnId)}`,
    { body: content },
  );
  return eventId;
}

/** Redacts one event with a transaction ID. */
export async function redactRoomEvent(
  hs: Homeserver,
  roomId: string,
  eventId: string,
  txnId: string,
  reason: string,
): Promise<void> {
  await hs.request('PUT', `${roomPath(roomId)}/redact/${enc(eventId)}/${enc(txnId)}`, { body: { reason } });
}

/** One event as the homeserver serves it. */
export function roomEvent<E = Record<string, unknown>>(hs: Homeserver, roomId: string, eventId: string): Promise<E> {
  return hs.request<E>('GET', `${roomPath(roomId)}/event/${enc(eventId)}`);
}

/** One page of /messages. */
export function roomMessages<E = Record<string, unknown>>(
  hs: Homeserver,
  roomId: string,
  qs: Record<string, unknown>,
): Promise<{ chunk?: E[]; end?: string }> {
  return hs.request<{ chunk?: E[]; end?: string }>('GET', `${roomPath(roomId)}/messages`, { qs });
}

/** The room an alias names; throws the homeserver's M_NOT_FOUND when none does. */
export async function resolveAlias(hs: Homeserver, alias: string): Promise<string> {
  return (await hs.request<{ room_id: string }>('GET', `/_matrix/client/v3/directory/room/${enc(alias)}`)).room_id;
}

/** Who the client's token belongs to. */
export function whoamiOf(hs: Homeserver): Promise<{ user_id: string; is_guest?: boolean; device_id?: string }> {
  return hs.request('GET', '/_matrix/client/v3/account/whoami');
}

/** Creates a room; never retried on a network failure (a retry could create a second room). */
export async function createRoom(hs: Homeserver, body: Record<string, unknown>): Promise<string> {
  return (
    await hs.request<{ room_id: string }>('POST', '/_matrix/client/v3/createRoom', { body, retryOnNetwork: false })
  ).room_id;
}

/** One page of a thread: the events relating to `rootEventId` with m.thread. */
export function threadPage<E = Record<string, unknown>>(
  hs: Homeserver,
  roomId: string,
  rootEventId: string,
  qs: Record<string, unknown>,
): Promise<{ chunk?: E[]; next_batch?: string }> {
  return hs.request('GET', `/_matrix/client/v1/rooms/${enc(roomId)}/relations/${enc(rootEventId)}/m.thread`, { qs });
}

/** The room's member events (every membership), as the homeserver serves them. */
export async function roomMembers<E = Record<string, unknown>>(hs: Homeserver, roomId: string): Promise<E[]> {
  return (await hs.request<{ chunk?: E[] }>('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/members`)).chunk ?? [];
}

/** Removes a user from a room (a leave they did not choose), with the reason their client shows. */
export async function kickFromRoom(hs: Homeserver, roomId: string, userId: string, reason: string): Promise<void> {
  await hs.request('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/kick`, { body: { user_id: userId, reason } });
}
