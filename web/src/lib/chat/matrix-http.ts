/**
 * The Matrix client-server API as the site calls it: plain fetch with the guest's token, nothing stored by the
 * browser (no cookies, no HTTP cache, no referrer). A refusal carries Synapse's HTTP status and errcode, matched
 * on errcode, never on message text; a network failure carries neither.
 */
export interface MatrixFailure {
  httpStatus?: number;
  errcode?: string;
  retryAfterMs?: number;
}

export class MatrixRequestError extends Error implements MatrixFailure {
  readonly httpStatus: number | undefined;
  readonly errcode: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(failure: MatrixFailure) {
    super(
      failure.httpStatus
        ? `Matrix request refused: HTTP ${failure.httpStatus} ${failure.errcode ?? ''}`
        : 'Matrix request failed: network',
    );
    this.httpStatus = failure.httpStatus;
    this.errcode = failure.errcode;
    this.retryAfterMs = failure.retryAfterMs;
    this.name = 'MatrixRequestError';
  }
}

export type Query = Record<string, string | number | undefined>;

export interface MatrixHttp {
  request<T>(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    options?: { query?: Query; body?: unknown; signal?: AbortSignal },
  ): Promise<T>;
}

export function createMatrixHttp(
  baseUrl: string,
  accessToken: string,
  fetchImpl: typeof fetch = (...args) => fetch(...args),
): MatrixHttp {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    async request<T>(
      method: 'GET' | 'POST' | 'PUT',
      path: string,
      options: { query?: Query; body?: unknown; signal?: AbortSignal } = {},
    ): Promise<T> {
      let url = `${base}/_matrix/client/v3${path}`;
      const params = Object.entries(options.query ?? {}).filter(
        (entry): entry is [string, string | number] => entry[1] !== undefined,
      );
      if (params.length > 0) url += `?${new URLSearchParams(params.map(([key, value]) => [key, String(value)]))}`;
      let response: Response;
      try {
        response = await fetchImpl(url, {
          method,
          headers: {
            authorization: `Bearer ${accessToken}`,
            ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
          signal: options.signal,
          credentials: 'omit',
          cache: 'no-store',
          referrerPolicy: 'no-referrer',
        });
      } catch (error) {
        if (options.signal?.aborted) throw error;
        throw new MatrixRequestError({});
      }
      const body: unknown = await response.json().catch(() => undefined);
      if (!response.ok) {
        const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
        throw new MatrixRequestError({
          httpStatus: response.status,
          ...(typeof fields.errcode === 'string' ? { errcode: fields.errcode } : {}),
          ...(typeof fields.retry_after_ms === 'number' ? { retryAfterMs: fields.retry_after_ms } : {}),
        });
      }
      if (typeof body !== 'object' || body === null)
        throw new MatrixRequestError({ httpStatus: response.status, errcode: 'BAD_JSON' });
      return body as T;
    },
  };
}
