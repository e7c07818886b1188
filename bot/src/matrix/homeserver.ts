import { errcodeOf, statusOf } from './errors.ts';

/**
 * The slice of a Matrix client the safety modules need. The bot's `Matrix` class (bot/src/matrix/client.ts)
 * satisfies it as it is; the admin command line and tests use `connectHomeserver` below. Errors must expose
 * `statusCode` and `errcode` the way matrix-bot-sdk's MatrixError does, so `errcodeOf`/`statusOf` match them.
 */
export interface Homeserver {
  readonly userId: string;
  request<T = Record<string, unknown>>(method: string, path: string, options?: { qs?: Record<string, unknown>; body?: unknown }): Promise<T>;
}

/** Stores bytes in the media repository and returns their mxc URI (the bot: `matrix.sdk.uploadContent`). */
export type MediaUploader = (bytes: Buffer, contentType: string, filename: string) => Promise<string>;

/** A homeserver answer other than 2xx, carrying the HTTP status and Matrix errcode (never the request). */
export class HomeserverError extends Error {
  readonly statusCode: number;
  readonly errcode: string;

  constructor(statusCode: number, errcode: string, message: string) {
    super(message);
    this.name = 'HomeserverError';
    this.statusCode = statusCode;
    this.errcode = errcode;
  }
}

export function isNotFoundError(error: unknown): boolean {
  return errcodeOf(error) === 'M_NOT_FOUND' || statusOf(error) === 404;
}

export const enc = encodeURIComponent;

/**
 * Deletes one local media from the media store (admin media API). Room purges and redactions leave media behind,
 * so every place that takes data back calls this. Returns false when it was not there (or is not a local mxc URI).
 */
export async function deleteLocalMedia(hs: Homeserver, mxc: string): Promise<boolean> {
  const match = /^mxc:\/\/([^/]+)\/([^/]+)$/.exec(mxc);
  if (!match) return false;
  try {
    await hs.request('DELETE', `/_synapse/admin/v1/media/${enc(match[1]!)}/${enc(match[2]!)}`);
    return true;
  } catch (error) {
    if (isNotFoundError(error)) return false;
    throw error;
  }
}

function query(qs: Record<string, unknown> | undefined): string {
  if (!qs) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(qs)) {
    if (value === undefined || value === null) continue;
    params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

async function asError(response: Response, method: string, path: string): Promise<HomeserverError> {
  let errcode = 'M_UNKNOWN';
  try {
    const body = (await response.json()) as { errcode?: unknown };
    if (typeof body.errcode === 'string') errcode = body.errcode;
  } catch {
    // not JSON
  }
  // The path is kept without its query: it names the API, and never holds a token.
  return new HomeserverError(response.status, errcode, `${method} ${path.split('?')[0]} answered ${response.status} ${errcode}`);
}

export interface ConnectedHomeserver extends Homeserver {
  readonly baseUrl: string;
  upload: MediaUploader;
  /** Downloads media through the authenticated media API (Synapse 1.120+). */
  download(mxc: string): Promise<Buffer>;
}

/** A fetch-based client for the admin command line and tests (the bot itself passes its `Matrix`). */
export function connectHomeserver(baseUrl: string, accessToken: string, userId: string): ConnectedHomeserver {
  const root = baseUrl.replace(/\/+$/, '');
  const auth = { authorization: `Bearer ${accessToken}` };
  return {
    userId,
    baseUrl: root,
    async request<T>(method: string, path: string, options: { qs?: Record<string, unknown>; body?: unknown } = {}): Promise<T> {
      const response = await fetch(`${root}${path}${query(options.qs)}`, {
        method,
        headers: { ...auth, ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      });
      if (!response.ok) throw await asError(response, method, path);
      const text = await response.text();
      return (text ? JSON.parse(text) : {}) as T;
    },
    async upload(bytes: Buffer, contentType: string, filename: string): Promise<string> {
      const path = '/_matrix/media/v3/upload';
      const response = await fetch(`${root}${path}${query({ filename })}`, {
        method: 'POST',
        headers: { ...auth, 'content-type': contentType },
        body: new Uint8Array(bytes),
      });
      if (!response.ok) throw await asError(response, 'POST', path);
      const body = (await response.json()) as { content_uri?: unknown };
      if (typeof body.content_uri !== 'string') throw new HomeserverError(response.status, 'M_UNKNOWN', 'media upload gave no content_uri');
      return body.content_uri;
    },
    async download(mxc: string): Promise<Buffer> {
      const match = /^mxc:\/\/([^/]+)\/([^/?#]+)$/.exec(mxc);
      if (!match) throw new Error('not an mxc URI');
      const path = `/_matrix/client/v1/media/download/${enc(match[1]!)}/${enc(match[2]!)}`;
      const response = await fetch(`${root}${path}`, { headers: auth });
      if (!response.ok) throw await asError(response, 'GET', path);
      return Buffer.from(await response.arrayBuffer());
    },
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
    const page = await matrix.request<{ chunk?: E[]; end?: string }>('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages`, {
      qs: { dir: 'f', limit: options.pageSize ?? 500, ...(from ? { from } : {}), ...(filter ? { filter } : {}) },
    });
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
export async function putStateEvent(hs: Homeserver, roomId: string, type: string, stateKey: string, content: object): Promise<string> {
  const { event_id: eventId } = await hs.request<{ event_id: string }>('PUT', `${roomPath(roomId)}/state/${enc(type)}/${enc(stateKey)}`, { body: content });
  return eventId;
}

/** Sends one message event with a transaction ID (the same ID sends it once). */
export async function sendRoomEvent(hs: Homeserver, roomId: string, type: string, content: object, txnId: string): Promise<string> {
  const { event_id: eventId } = await hs.request<{ event_id: string }>('PUT', `${roomPath(roomId)}/send/${enc(type)}/${enc(txnId)}`, { body: content });
  return eventId;
}

/** Redacts one event with a transaction ID. */
export async function redactRoomEvent(hs: Homeserver, roomId: string, eventId: string, txnId: string, reason: string): Promise<void> {
  await hs.request('PUT', `${roomPath(roomId)}/redact/${enc(eventId)}/${enc(txnId)}`, { body: { reason } });
}

/** One event as the homeserver serves it. */
export function roomEvent<E = Record<string, unknown>>(hs: Homeserver, roomId: string, eventId: string): Promise<E> {
  return hs.request<E>('GET', `${roomPath(roomId)}/event/${enc(eventId)}`);
}

/** One page of /messages. */
export function roomMessages<E = Record<string, unknown>>(hs: Homeserver, roomId: string, qs: Record<string, unknown>): Promise<{ chunk?: E[]; end?: string }> {
  return hs.request<{ chunk?: E[]; end?: string }>('GET', `${roomPath(roomId)}/messages`, { qs });
}
