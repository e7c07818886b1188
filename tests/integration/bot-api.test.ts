import { describe, expect, it } from 'vitest';
import { ApiErrorBody, ConversationResponse } from '@espace-mineurs/protocol';
import { loginDemo, registerGuest, registerUser, stack } from '../support/matrix.ts';
import { api, freshAddress } from '../support/conversation.ts';

function expectError(response: { status: number; body: unknown }, status: number, code: string): void {
  expect(response.status).toBe(status);
  const body = ApiErrorBody.parse(response.body);
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(10);
}

describe('POST /api/conversations', () => {
  it('requires authentication', async () => {
    expectError(await api('POST', '/api/conversations'), 401, 'UNAUTHENTICATED');
    expectError(await api('POST', '/api/conversations', { token: 'syt_not_a_real_token' }), 401, 'UNAUTHENTICATED');
  });

  it('refuses an account that is not a guest (an ordinary user, an agent)', async () => {
    const user = await registerUser('api');
    expectError(await api('POST', '/api/conversations', { token: user.accessToken }), 403, 'NOT_A_GUEST');
    const agent = await loginDemo('pn-agent-2');
    expectError(await api('POST', '/api/conversations', { token: agent.accessToken }), 403, 'NOT_A_GUEST');
  });

  it('validates the body strictly', async () => {
    const guest = await registerGuest();
    expectError(
      await api('POST', '/api/conversations', { token: guest.accessToken, body: { context: 'ecole', extra: 1 } }),
      400,
      'BAD_REQUEST',
    );
    expectError(
      await api('POST', '/api/conversations', { token: guest.accessToken, body: { context: '<script>' } }),
      400,
      'BAD_REQUEST',
    );
    // Well formed but not an option of bot/triage.yaml's "context" question: refused, not silently dropped.
    expectError(
      await api('POST', '/api/conversations', { token: guest.accessToken, body: { context: 'nulle-part' } }),
      400,
      'BAD_REQUEST',
    );
    expectError(
      await api('POST', '/api/conversations', { token: guest.accessToken, rawBody: '{not json' }),
      400,
      'BAD_REQUEST',
    );
  });

  it('opens one conversation per guest: a second call returns the same one', async () => {
    const guest = await registerGuest();
    expectError(await api('GET', '/api/conversations/current', { token: guest.accessToken }), 404, 'NO_CONVERSATION');
    const [first, second] = await Promise.all([
      api('POST', '/api/conversations', { token: guest.accessToken, body: { context: 'ecole' } }),
      api('POST', '/api/conversations', { token: guest.accessToken }),
    ]);
    expect([first.status, second.status].sort()).toEqual([200, 201]);
    const a = ConversationResponse.parse(first.body);
    const b = ConversationResponse.parse(second.body);
    expect(a.roomId).toBe(b.roomId);
    expect(a.status).toMatchObject({ state: 'triage', agentJoined: false });
    const current = await api('GET', '/api/conversations/current', { token: guest.accessToken });
    expect(ConversationResponse.parse(current.body).roomId).toBe(a.roomId);
  });

  it('never refuses a class behind one address: 25 openings from it all succeed (the hard bound is far above)', async () => {
    const ip = freshAddress();
    const guests = await Promise.all(Array.from({ length: 25 }, () => registerGuest()));
    const statuses: number[] = [];
    for (const guest of guests)
      statuses.push((await api('POST', '/api/conversations', { token: guest.accessToken, ip })).status);
    expect(statuses).toEqual(Array(25).fill(201));
    // Slowing down past the soft limit and refusing at the hard bound: tests/integration/addresses.test.ts.
  }, 120_000);
});

describe('CORS', () => {
  it('answers the configured web origin only', async () => {
    const guest = await registerGuest();
    const allowed = await api('GET', '/api/conversations/current', {
      token: guest.accessToken,
      origin: 'http://localhost:5173',
    });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const other = await api('GET', '/api/conversations/current', {
      token: guest.accessToken,
      origin: 'https://evil.example',
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${stack().botUrl}/api/conversations`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(403);
    const good = await fetch(`${stack().botUrl}/api/conversations`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' },
    });
    expect(good.status).toBe(204);
    expect(good.headers.get('access-control-allow-headers')).toContain('Authorization');
  });
});

describe('service endpoints', () => {
  it('serves health and Prometheus metrics', async () => {
    expect((await api('GET', '/healthz')).body).toEqual({ ok: true });
    const metrics = await fetch(`${stack().botUrl}/metrics`);
    const text = await metrics.text();
    for (const name of [
      'espace_queue_length',
      'espace_queue_wait_seconds',
      'espace_first_agent_message_seconds',
      'espace_conversations',
      'espace_agents_on_duty',
    ]) {
      expect(text).toContain(name);
    }
  });

  it('answers unknown routes with a JSON 404', async () => {
    expectError(await api('GET', '/api/nope'), 404, 'NOT_FOUND');
  });
});
