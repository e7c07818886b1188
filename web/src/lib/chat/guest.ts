import type { GuestCredentials } from './session-store.ts';

/**
 * Registers a guest account with Synapse from the browser (guest registration is rate-limited per client IP,
 * so it must come from the young person's own connection). No SDK needed for one request.
 */
export class GuestRegistrationError extends Error {
  readonly reason: 'network' | 'rate-limited' | 'refused';
  readonly retryAfterMs: number | undefined;

  constructor(reason: GuestRegistrationError['reason'], retryAfterMs?: number) {
    super(`guest registration failed: ${reason}`);
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
    this.name = 'GuestRegistrationError';
  }
}

export async function registerGuest(homeserverUrl: string, fetchImpl: typeof fetch = fetch): Promise<GuestCredentials> {
  let response: Response;
  try {
    response = await fetchImpl(`${homeserverUrl}/_matrix/client/v3/register?kind=guest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ initial_device_display_name: 'Espace mineurs' }),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    throw new GuestRegistrationError('network');
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.status === 429) {
    const retry = typeof body.retry_after_ms === 'number' ? body.retry_after_ms : undefined;
    throw new GuestRegistrationError('rate-limited', retry);
  }
  const { user_id: userId, access_token: accessToken, device_id: deviceId } = body;
  if (!response.ok || typeof userId !== 'string' || typeof accessToken !== 'string') {
    throw new GuestRegistrationError('refused');
  }
  return { homeserverUrl, userId, accessToken, deviceId: typeof deviceId === 'string' ? deviceId : '' };
}
