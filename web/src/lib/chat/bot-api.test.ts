import { describe, expect, it } from 'vitest';
import { BotApiError, createBotApi } from './bot-api.ts';

function fakeFetch(status: number, body: unknown, headers: Record<string, string> = {}) {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const impl = (async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
  }) as unknown as typeof fetch;
  return { impl, calls };
}

const status = { state: 'triage', agentJoined: false, updatedAt: 1 };

describe('createBotApi', () => {
  it('opens a conversation with the guest token and validates the answer', async () => {
    const { impl, calls } = fakeFetch(201, { roomId: '!abc:hs', status });
    const result = await createBotApi('http://bot', 'tok', impl).open();
    expect(result.roomId).toBe('!abc:hs');
    expect(calls[0]?.url).toBe('http://bot/api/conversations');
    expect(calls[0]?.init?.method).toBe('POST');
    expect((calls[0]?.init?.headers as Record<string, string>).authorization).toBe('Bearer tok');
    expect(calls[0]?.init?.credentials).toBe('omit');
  });

  it('carries the machine code, the French message and Retry-After', async () => {
    const { impl } = fakeFetch(
      429,
      { error: { code: 'RATE_LIMITED', message: 'Attends un peu.' } },
      { 'retry-after': '30' },
    );
    const error = await createBotApi('http://bot', 'tok', impl)
      .open()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BotApiError);
    expect(error).toMatchObject({
      code: 'RATE_LIMITED',
      userMessage: 'Attends un peu.',
      status: 429,
      retryAfterSeconds: 30,
    });
  });

  it('reports NO_CONVERSATION from GET current', async () => {
    const { impl } = fakeFetch(404, { error: { code: 'NO_CONVERSATION', message: 'Aucune conversation.' } });
    await expect(createBotApi('http://bot', 'tok', impl).current()).rejects.toMatchObject({ code: 'NO_CONVERSATION' });
  });

  it('turns a network failure or a malformed body into kind French errors', async () => {
    const offline = (async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch;
    await expect(createBotApi('http://bot', 'tok', offline).current()).rejects.toMatchObject({ code: 'NETWORK' });
    const { impl } = fakeFetch(200, { roomId: 'not-a-room' });
    await expect(createBotApi('http://bot', 'tok', impl).current()).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
  });
});

describe('open with a context', () => {
  it('sends the entry point the young person came from', async () => {
    const { impl, calls } = fakeFetch(201, { roomId: '!abc:hs', status });
    await createBotApi('http://bot', 'tok', impl).open('reseaux-sociaux');
    expect(calls[0]?.init?.body).toBe(JSON.stringify({ context: 'reseaux-sociaux' }));
  });
});

describe('sendEvidence', () => {
  const sha256 = 'a'.repeat(64);

  it('posts the raw image with its type and the guest token, and validates the answer', async () => {
    const { impl, calls } = fakeFetch(201, { sha256, eventId: '$e' });
    const image = new Blob([new Uint8Array([0x89, 0x50])], { type: 'image/png' });
    const result = await createBotApi('http://bot', 'tok', impl).sendEvidence(image);
    expect(result).toEqual({ sha256, eventId: '$e' });
    expect(calls[0]?.url).toBe('http://bot/api/conversations/current/evidence');
    expect(calls[0]?.init?.method).toBe('POST');
    expect(calls[0]?.init?.body).toBe(image);
    const headers = calls[0]?.init?.headers as Record<string, string>;
    expect(headers['content-type']).toBe('image/png');
    expect(headers.authorization).toBe('Bearer tok');
    expect(calls[0]?.init?.credentials).toBe('omit');
  });

  it("carries the bot's refusal and its French message", async () => {
    const { impl } = fakeFetch(415, { error: { code: 'EVIDENCE_UNSUPPORTED_TYPE', message: 'Seulement des images.' } });
    const error = await createBotApi('http://bot', 'tok', impl)
      .sendEvidence(new Blob(['x'], { type: 'text/plain' }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'EVIDENCE_UNSUPPORTED_TYPE',
      userMessage: 'Seulement des images.',
      status: 415,
    });
  });

  it('refuses an answer without a valid hash', async () => {
    const { impl } = fakeFetch(201, { sha256: 'nope', eventId: '$e' });
    const error = await createBotApi('http://bot', 'tok', impl)
      .sendEvidence(new Blob(['x'], { type: 'image/png' }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BAD_RESPONSE' });
  });
});
