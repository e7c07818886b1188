import { describe, expect, it } from 'vitest';
import { registerGuest } from './guest.ts';

function respond(status: number, body: unknown) {
  const calls: string[] = [];
  const impl = (async (url: string) => {
    calls.push(url);
    return new Response(JSON.stringify(body), { status });
  }) as unknown as typeof fetch;
  return { impl, calls };
}

describe('registerGuest', () => {
  it('registers a guest and returns its credentials', async () => {
    const { impl, calls } = respond(200, { user_id: '@1:hs', access_token: 'tok', device_id: 'DEV' });
    await expect(registerGuest('http://hs', impl)).resolves.toEqual({
      homeserverUrl: 'http://hs',
      userId: '@1:hs',
      accessToken: 'tok',
      deviceId: 'DEV',
    });
    expect(calls).toEqual(['http://hs/_matrix/client/v3/register?kind=guest']);
  });

  it('tells rate limiting apart from refusal', async () => {
    await expect(
      registerGuest('http://hs', respond(429, { errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 2000 }).impl),
    ).rejects.toMatchObject({
      reason: 'rate-limited',
      retryAfterMs: 2000,
    });
    await expect(
      registerGuest('http://hs', respond(403, { errcode: 'M_GUEST_ACCESS_FORBIDDEN' }).impl),
    ).rejects.toMatchObject({
      reason: 'refused',
    });
  });
});
