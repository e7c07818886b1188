import { createHash } from 'node:crypto';
import { MatrixClient } from 'matrix-bot-sdk';
import { isNotFound } from './errors.ts';
import { fetchJson, withRetries, type RequestOptions } from './transport.ts';

/** A raw client event as Synapse serves it; validated further by whoever reads its content. */
export interface RawEvent {
  event_id: string;
  type: string;
  sender: string;
  origin_server_ts: number;
  state_key?: string;
  content: Record<string, unknown>;
  unsigned?: Record<string, unknown>;
}

/**
 * A transaction id derived from what caused the send (an event id, a room id and a step), so a retry — even by
 * a restarted bot — reuses it and Synapse answers with the event it already stored instead of a duplicate.
 * Synapse remembers (device, transaction id) for a day; the bot keeps its device across restarts.
 */
export function stableTxnId(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 32);
}

/**
 * The bot's Matrix boundary: matrix-bot-sdk's HTTP client, with retries on rate limits, server errors and
 * network failures. Only idempotent requests are retried on network failures; sends carry stable transaction
 * ids so they are idempotent too.
 */
export class Matrix {
  readonly sdk: MatrixClient;
  readonly userId: string;
  readonly baseUrl: string;
  readonly accessToken: string;

  constructor(baseUrl: string, accessToken: string, userId: string) {
    this.sdk = new MatrixClient(baseUrl, accessToken);
    this.userId = userId;
    this.baseUrl = baseUrl;
    this.accessToken = accessToken;
  }

  /** True for an account of the bot itself (in the federated topology it has one per server). */
  isOwn(userId: string): boolean {
    return userId === this.userId;
  }

  /** The bot's account that acts in `roomId` (the only one on a single server). */
  userIdIn(_roomId: string): string {
    return this.userId;
  }

  /** The client of the server that holds `id` (a room, user or alias): this one on a single server. */
  clientOn(_id: string): Matrix {
    return this;
  }

  /** One client per server of the deployment, the public (or only) one first. */
  everyServer(): Matrix[] {
    return [this];
  }

  request<T = Record<string, unknown>>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    return withRetries(
      method,
      options,
      async () =>
        (await this.sdk.doRequest(
          method,
          path,
          options.qs ?? null,
          options.body ?? null,
          options.timeoutMs ?? 60_000,
        )) as T,
    );
  }

  /** One long-poll of /sync, without retries (the sync loop has its own backoff); `stop` aborts it. */
  sync<T>(qs: Record<string, string>, signal: AbortSignal): Promise<T> {
    return fetchJson<T>(this.baseUrl, this.accessToken, 'GET', '/_matrix/client/v3/sync', {
      qs,
      signal,
      timeoutMs: 120_000,
    });
  }

  /** Stores bytes in the media repository; returns their mxc URI. Not retried: a retry would store them twice. */
  upload(bytes: Buffer, contentType: string, filename: string): Promise<string> {
    return this.sdk.uploadContent(bytes, contentType, filename);
  }

  async download(mxc: string): Promise<Buffer> {
    return (await withRetries('GET', {}, () => this.sdk.downloadContent(mxc))).data;
  }

  private room(roomId: string): string {
    return `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;
  }

  async send(roomId: string, type: string, content: Record<string, unknown>, txnId: string): Promise<string> {
    const response = await this.request<{ event_id: string }>(
      'PUT',
      `${this.room(roomId)}/send/${encodeURIComponent(type)}/${encodeURIComponent(txnId)}`,
      { body: content },
    );
    return response.event_id;
  }

  /** Sets state. Synapse stores nothing new when the same sender sets the same content again. */
  async putState(roomId: string, type: string, stateKey: string, content: object): Promise<string> {
    const response = await this.request<{ event_id: string }>(
      'PUT',
      `${this.room(roomId)}/state/${encodeURIComponent(type)}/${encodeURIComponent(stateKey)}`,
      { body: content },
    );
    return response.event_id;
  }

  async getState<T = Record<string, unknown>>(roomId: string, type: string, stateKey = ''): Promise<T | undefined> {
    try {
      return await this.request<T>(
        'GET',
        `${this.room(roomId)}/state/${encodeURIComponent(type)}/${encodeURIComponent(stateKey)}`,
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  roomState(roomId: string): Promise<RawEvent[]> {
    return this.request<RawEvent[]>('GET', `${this.room(roomId)}/state`);
  }

  async joinedRooms(): Promise<string[]> {
    return (await this.request<{ joined_rooms: string[] }>('GET', '/_matrix/client/v3/joined_rooms')).joined_rooms;
  }

  async membership(roomId: string, userId: string): Promise<string | undefined> {
    const member = await this.getState<{ membership?: string }>(roomId, 'm.room.member', userId);
    return member?.membership;
  }

  /** Invites unless the user is already invited or joined (an invite then fails with 403); returns the membership before. */
  async ensureInvited(roomId: string, userId: string): Promise<string | undefined> {
    const membership = await this.membership(roomId, userId);
    if (membership === 'invite' || membership === 'join') return membership;
    await this.request('POST', `${this.room(roomId)}/invite`, { body: { user_id: userId }, retryOnNetwork: true });
    return membership;
  }

  /** One invite request, not retried: a caller that may repeat it checks the membership first (`ensureInvited`). */
  async invite(roomId: string, userId: string): Promise<void> {
    await this.request('POST', `${this.room(roomId)}/invite`, { body: { user_id: userId }, retryOnNetwork: false });
  }

  async kick(roomId: string, userId: string, reason: string): Promise<void> {
    const membership = await this.membership(roomId, userId);
    if (membership !== 'invite' && membership !== 'join') return;
    await this.request('POST', `${this.room(roomId)}/kick`, {
      body: { user_id: userId, reason },
      retryOnNetwork: true,
    });
  }

  async setPower(roomId: string, userId: string, level: number | undefined): Promise<void> {
    const levels = (await this.getState<{ users?: Record<string, number> }>(roomId, 'm.room.power_levels')) ?? {};
    const users = { ...levels.users };
    if ((users[userId] ?? undefined) === level) return;
    if (level === undefined) delete users[userId];
    else users[userId] = level;
    await this.putState(roomId, 'm.room.power_levels', '', { ...levels, users });
  }

  async createRoom(body: Record<string, unknown>): Promise<string> {
    const response = await this.request<{ room_id: string }>('POST', '/_matrix/client/v3/createRoom', {
      body,
      retryOnNetwork: false,
    });
    return response.room_id;
  }

  async messages(roomId: string, qs: Record<string, unknown>): Promise<{ chunk: RawEvent[]; end?: string }> {
    return this.request('GET', `${this.room(roomId)}/messages`, { qs });
  }
}
