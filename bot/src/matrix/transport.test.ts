import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HomeserverError } from './errors.ts';
import { fetchJson, withRetries } from './transport.ts';

function failing(errors: unknown[], value = 'done'): { run: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    run: async () => {
      const error = errors[calls++];
      if (error !== undefined) throw error;
      return value;
    },
    calls: () => calls,
  };
}

const limited = () => new HomeserverError(429, 'M_LIMIT_EXCEEDED', 'rate limited', 1);
const network = () => new TypeError('fetch failed');

describe('withRetries, the retry policy of every homeserver request', () => {
  it('waits out rate limits and server errors, then answers', async () => {
    const flaky = failing([limited(), new HomeserverError(502, 'M_UNKNOWN', 'bad gateway')]);
    await expect(withRetries('PUT', {}, flaky.run)).resolves.toBe('done');
    expect(flaky.calls()).toBe(3);
  });

  it('gives up after five attempts', async () => {
    const flaky = failing([limited(), limited(), limited(), limited(), limited(), limited()]);
    await expect(withRetries('GET', {}, flaky.run)).rejects.toMatchObject({ errcode: 'M_LIMIT_EXCEEDED' });
    expect(flaky.calls()).toBe(5);
  });

  it('never retries a refusal', async () => {
    const refused = failing([new HomeserverError(403, 'M_FORBIDDEN', 'forbidden')]);
    await expect(withRetries('PUT', {}, refused.run)).rejects.toMatchObject({ statusCode: 403 });
    expect(refused.calls()).toBe(1);
  });

  it('retries a network failure only when the request is idempotent (not a POST, unless told)', async () => {
    const put = failing([network()]);
    await expect(withRetries('PUT', {}, put.run)).resolves.toBe('done');
    expect(put.calls()).toBe(2);
    const post = failing([network()]);
    await expect(withRetries('POST', {}, post.run)).rejects.toThrow('fetch failed');
    expect(post.calls()).toBe(1);
    const invite = failing([network()]);
    await expect(withRetries('POST', { retryOnNetwork: true }, invite.run)).resolves.toBe('done');
  });
});

describe('fetchJson, the fetch transport', () => {
  let server: Server;
  let root: string;
  const seen: Array<{ method: string; url: string; authorization: string | undefined; body: string }> = [];

  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        seen.push({
          method: request.method ?? '',
          url: request.url ?? '',
          authorization: request.headers.authorization,
          body,
        });
        if (request.url?.startsWith('/limited')) {
          response
            .writeHead(429, { 'content-type': 'application/json' })
            .end(JSON.stringify({ errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 7 }));
        } else if (request.url?.startsWith('/html')) {
          response.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway</html>');
        } else if (request.url?.startsWith('/empty')) {
          response.writeHead(200).end();
        } else {
          response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the token, the query and the JSON body, and reads the answer', async () => {
    await expect(
      fetchJson(root, 'secret-token', 'PUT', '/echo', { qs: { a: 'x y', skipped: undefined }, body: { hello: 1 } }),
    ).resolves.toEqual({ ok: true });
    expect(seen.at(-1)).toEqual({
      method: 'PUT',
      url: '/echo?a=x+y',
      authorization: 'Bearer secret-token',
      body: '{"hello":1}',
    });
    await expect(fetchJson(root, 't', 'GET', '/empty')).resolves.toEqual({});
  });

  it('throws a HomeserverError with status, errcode and wait, naming the path without its query', async () => {
    const error = await fetchJson(root, 't', 'GET', '/limited', { qs: { access_token: 'never-shown' } }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(HomeserverError);
    expect(error).toMatchObject({ statusCode: 429, errcode: 'M_LIMIT_EXCEEDED', retryAfterMs: 7 });
    expect((error as Error).message).toBe('GET /limited answered 429 M_LIMIT_EXCEEDED');
    await expect(fetchJson(root, 't', 'GET', '/html')).rejects.toMatchObject({ statusCode: 502, errcode: 'M_UNKNOWN' });
  });
});
