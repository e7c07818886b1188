import { logger } from '../log.ts';
import { HomeserverError, errcodeOf, retryAfterMsOf, statusOf } from './errors.ts';

/*
 * How requests reach the homeserver, for every client of the bot (matrix/client.ts, matrix/homeserver.ts,
 * matrix/sync.ts): the retry policy, and a fetch transport with typed errors. Nothing outside matrix/ calls fetch
 * to the homeserver or builds one of its URLs (tests/static/matrix-boundary.test.ts).
 */

const log = logger.child({ module: 'matrix' });

export interface RequestOptions {
  qs?: Record<string, unknown>;
  body?: unknown;
  /** Retry when the network failed (the default for every method but POST, which is not idempotent). */
  retryOnNetwork?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

const RETRIES = 5;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs one request with the bot's retry policy: rate limits (after the wait Synapse asks for), server errors, and
 * network failures when the request is idempotent. Other errors are thrown at once.
 */
export async function withRetries<T>(
  method: string,
  options: Pick<RequestOptions, 'retryOnNetwork'>,
  run: () => Promise<T>,
): Promise<T> {
  const retryOnNetwork = options.retryOnNetwork ?? method !== 'POST';
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const status = statusOf(error);
      const errcode = errcodeOf(error);
      const retryable =
        errcode === 'M_LIMIT_EXCEEDED' ||
        (status !== undefined && status >= 500) ||
        (status === undefined && retryOnNetwork);
      if (!retryable || attempt >= RETRIES) throw error;
      const wait = Math.min(retryAfterMsOf(error) ?? 200 * 2 ** attempt, 10_000);
      log.warn({ method, status, errcode, attempt, wait }, 'retrying a homeserver request');
      await sleep(wait);
    }
  }
}

export function queryString(qs: Record<string, unknown> | undefined): string {
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
  let retryAfterMs: number | undefined;
  try {
    const body = (await response.json()) as { errcode?: unknown; retry_after_ms?: unknown };
    if (typeof body.errcode === 'string') errcode = body.errcode;
    if (typeof body.retry_after_ms === 'number') retryAfterMs = body.retry_after_ms;
  } catch {
    // not JSON
  }
  // The path is kept without its query: it names the API, and never holds a token.
  return new HomeserverError(
    response.status,
    errcode,
    `${method} ${path.split('?')[0]} answered ${response.status} ${errcode}`,
    retryAfterMs,
  );
}

function signalFor(options: Pick<RequestOptions, 'timeoutMs' | 'signal'>): AbortSignal {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 60_000);
  return options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
}

/** One request over fetch, without retries; a non-2xx answer throws a HomeserverError. */
export async function fetchJson<T>(
  root: string,
  accessToken: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<T> {
  const response = await fetch(`${root}${path}${queryString(options.qs)}`, {
    method,
    headers: {
      authorization: `Bearer ${accessToken}`,
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    signal: signalFor(options),
  });
  if (!response.ok) throw await asError(response, method, path);
  const text = await response.text();
  return (text ? JSON.parse(text) : {}) as T;
}

/** Stores bytes in the media repository; returns their mxc URI. */
export async function fetchUpload(
  root: string,
  accessToken: string,
  bytes: Buffer,
  contentType: string,
  filename: string,
): Promise<string> {
  const path = '/_matrix/media/v3/upload';
  const response = await fetch(`${root}${path}${queryString({ filename })}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': contentType },
    body: new Uint8Array(bytes),
    signal: signalFor({}),
  });
  if (!response.ok) throw await asError(response, 'POST', path);
  const body = (await response.json()) as { content_uri?: unknown };
  if (typeof body.content_uri !== 'string')
    throw new HomeserverError(response.status, 'M_UNKNOWN', 'media upload gave no content_uri');
  return body.content_uri;
}

/** Downloads media through the authenticated media API (Synapse 1.120+). */
export async function fetchDownload(root: string, accessToken: string, mxc: string): Promise<Buffer> {
  const match = /^mxc:\/\/([^/]+)\/([^/?#]+)$/.exec(mxc);
  if (!match) throw new Error('not an mxc URI');
  const path = `/_matrix/client/v1/media/download/${encodeURIComponent(match[1]!)}/${encodeURIComponent(match[2]!)}`;
  const response = await fetch(`${root}${path}`, {
    headers: { authorization: `Bearer ${accessToken}` },
    signal: signalFor({}),
  });
  if (!response.ok) throw await asError(response, 'GET', path);
  return Buffer.from(await response.arrayBuffer());
}

/** Who a token belongs to (any token: the bot's, an admin's, a young person's). */
export function whoami(
  root: string,
  accessToken: string,
  options: Pick<RequestOptions, 'timeoutMs'> = {},
): Promise<{ user_id: string; is_guest?: boolean; device_id?: string }> {
  return fetchJson(root, accessToken, 'GET', '/_matrix/client/v3/account/whoami', options);
}
