import { inject } from 'vitest';
import { registerWithSharedSecret } from '@espace-mineurs/synapse';
import type { StackInfo } from './stack.ts';

/** A minimal, typed Matrix client for tests: raw HTTP so tests see exactly what Synapse answers. */
export interface Session {
  userId: string;
  accessToken: string;
  deviceId: string;
  isGuest: boolean;
}

export interface MatrixResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export function stack(): StackInfo {
  return inject('stack');
}

export interface MatrixRequestOptions {
  token?: string;
  body?: unknown;
  /** Another homeserver than the shared test stack's (an isolated stack, a server of the federated topology). */
  baseUrl?: string;
  timeoutMs?: number;
  /**
   * What Synapse's rate limit (429 M_LIMIT_EXCEEDED; the bot's own refusals are not it) does. By default the call
   * waits as long as Synapse asks and tries again, as every Matrix client does (a test acting as a guest or an
   * agent is such a client); 'answer' returns the 429 itself, for a test of the rate limit.
   */
  rateLimited?: 'wait' | 'answer';
}

const RATE_LIMIT_TRIES = 6;

/**
 * The one raw Matrix call of the test suites (every tier's helpers delegate to it): tests see exactly what
 * Synapse answers, its rate limits waited out unless asked otherwise.
 */
export async function matrixRequest<T = Record<string, unknown>>(
  method: string,
  path: string,
  options: MatrixRequestOptions = {},
): Promise<MatrixResponse<T>> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${options.baseUrl ?? stack().baseUrl}${path}`, {
      method,
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = { raw: text };
    }
    const limited = body as { errcode?: unknown; retry_after_ms?: unknown };
    if (
      response.status === 429 &&
      limited.errcode === 'M_LIMIT_EXCEEDED' &&
      options.rateLimited !== 'answer' &&
      attempt < RATE_LIMIT_TRIES
    ) {
      const asked = limited.retry_after_ms;
      await new Promise((resolve) => setTimeout(resolve, Math.min(typeof asked === 'number' ? asked : 1_000, 10_000)));
      continue;
    }
    return { status: response.status, body: body as T, headers: response.headers };
  }
}

/** Registers a guest on the shared test stack, or on another homeserver (an isolated stack). */
export async function registerGuest(baseUrl?: string): Promise<Session> {
  const response = await matrixRequest<{ user_id: string; access_token: string; device_id: string }>(
    'POST',
    '/_matrix/client/v3/register?kind=guest',
    { body: {}, ...(baseUrl ? { baseUrl } : {}) },
  );
  if (response.status !== 200)
    throw new Error(`guest registration answered ${response.status}: ${JSON.stringify(response.body)}`);
  return {
    userId: response.body.user_id,
    accessToken: response.body.access_token,
    deviceId: response.body.device_id,
    isGuest: true,
  };
}

let counter = 0;

/** Registers a fresh ordinary user (not a guest, not staff) with a unique localpart. */
export async function registerUser(prefix = 'user'): Promise<Session> {
  const secret = stack().registrationSharedSecret;
  if (!secret) throw new Error('this homeserver gave no registration shared secret');
  const localpart = `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
  const registered = await registerWithSharedSecret(stack().baseUrl, secret, {
    localpart,
    password: `pw-${localpart}-long-enough`,
    admin: false,
  });
  return { ...registered, isGuest: false };
}

/**
 * Logs in as a demo staff member of the shared test stack, or of another one (an isolated stack), named by its
 * demo handle (`pn-agent-1`): the bootstrap result maps it to the account's opaque login.
 */
export async function loginDemo(
  handle: string,
  other?: { baseUrl: string; demo: ReadonlyArray<{ handle: string; localpart: string; password: string }> },
): Promise<Session> {
  const account = (other?.demo ?? stack().demo).find((candidate) => candidate.handle === handle);
  if (!account) throw new Error(`no demo account ${handle}`);
  const response = await matrixRequest<{ user_id: string; access_token: string; device_id: string }>(
    'POST',
    '/_matrix/client/v3/login',
    {
      body: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: account.localpart },
        password: account.password,
      },
      ...(other ? { baseUrl: other.baseUrl } : {}),
    },
  );
  if (response.status !== 200) throw new Error(`login ${handle} answered ${response.status}`);
  return {
    userId: response.body.user_id,
    accessToken: response.body.access_token,
    deviceId: response.body.device_id,
    isGuest: false,
  };
}

let txn = 0;

export function sendMessage(
  session: Session,
  roomId: string,
  body: string,
  options: Pick<MatrixRequestOptions, 'rateLimited'> = {},
): Promise<MatrixResponse<{ event_id?: string; errcode?: string; retry_after_ms?: number }>> {
  return matrixRequest(
    'PUT',
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${Date.now()}-${txn++}`,
    {
      token: session.accessToken,
      body: { msgtype: 'm.text', body },
      ...options,
    },
  );
}
