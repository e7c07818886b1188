import { createHash } from 'node:crypto';
import { MatrixClient } from 'matrix-bot-sdk';
import { logger } from '../log.ts';
import { errcodeOf, isNotFound, statusOf } from './errors.ts';

const log = logger.child({ module: 'matrix' });

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

const RETRIES = 5;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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

  async request<T = Record<string, unknown>>(method: string, path: string, options: { qs?: Record<string, unknown>; body?: unknown; retryOnNetwork?: boolean; timeoutMs?: number } = {}): Promise<T> {
    const retryOnNetwork = options.retryOnNetwork ?? method !== 'POST';
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.sdk.doRequest(method, path, options.qs ?? null, options.body ?? null, options.timeoutMs ?? 60_000)) as T;
      } catch (error) {
        const status = statusOf(error);
        const errcode = errcodeOf(error);
        const retryable = errcode === 'M_LIMIT_EXCEEDED' || (status !== undefined && status >= 500) || (status === undefined && retryOnNetwork);
        if (!retryable || attempt >= RETRIES) throw error;
        const hinted = (error as { retryAfterMs?: number; body?: { retry_after_ms?: number } }).body?.retry_after_ms;
        const wait = Math.min(hinted ?? 200 * 2 ** attempt, 10_000);
        log.warn({ method, status, errcode, attempt, wait }, 'retrying a homeserver request');
        await sleep(wait);
      }
    }
  }

  private room(roomId: string): string {
    return `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;
  }

  async send(roomId: string, type: string, content: Record<string, unknown>, txnId: string): Promise<string> {
    const response = await this.request<{ event_id: string }>('PUT', `${this.room(roomId)}/send/${encodeURIComponent(type)}/${encodeURIComponent(txnId)}`, { body: content });
    return response.event_id;
  }

  /** Sets state. Synapse stores nothing new when the same sender sets the same content again. */
  async putState(roomId: string, type: string, stateKey: string, content: object): Promise<string> {
    const response = await this.request<{ event_id: string }>('PUT', `${this.room(roomId)}/state/${encodeURIComponent(type)}/${encodeURIComponent(stateKey)}`, { body: content });
    return response.event_id;
  }

  async getState<T = Record<string, unknown>>(roomId: string, type: string, stateKey = ''): Promise<T | undefined> {
    try {
      return await this.request<T>('GET', `${this.room(roomId)}/state/${encodeURIComponent(type)}/${encodeURIComponent(stateKey)}`);
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

  async kick(roomId: string, userId: string, reason: string): Promise<void> {
    const membership = await this.membership(roomId, userId);
    if (membership !== 'invite' && membership !== 'join') return;
    await this.request('POST', `${this.room(roomId)}/kick`, { body: { user_id: userId, reason }, retryOnNetwork: true });
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
    const response = await this.request<{ room_id: string }>('POST', '/_matrix/client/v3/createRoom', { body, retryOnNetwork: false });
    return response.room_id;
  }

  async messages(roomId: string, qs: Record<string, unknown>): Promise<{ chunk: RawEvent[]; end?: string }> {
    return this.request('GET', `${this.room(roomId)}/messages`, { qs });
  }
}
