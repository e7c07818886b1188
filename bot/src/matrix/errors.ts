import { MatrixError } from 'matrix-bot-sdk';

/** Matrix errors are matched on errcode (and HTTP status), never on message text. */
export function errcodeOf(error: unknown): string | undefined {
  if (error instanceof MatrixError) return error.errcode;
  const candidate = error as { errcode?: unknown; body?: { errcode?: unknown } } | undefined;
  if (typeof candidate?.errcode === 'string') return candidate.errcode;
  if (typeof candidate?.body?.errcode === 'string') return candidate.body.errcode;
  return undefined;
}

export function statusOf(error: unknown): number | undefined {
  if (error instanceof MatrixError) return error.statusCode;
  const candidate = error as { statusCode?: unknown } | undefined;
  return typeof candidate?.statusCode === 'number' ? candidate.statusCode : undefined;
}

export function isNotFound(error: unknown): boolean {
  return errcodeOf(error) === 'M_NOT_FOUND' || statusOf(error) === 404;
}

/** A homeserver answer other than 2xx, carrying the HTTP status and Matrix errcode (never the request). */
export class HomeserverError extends Error {
  readonly statusCode: number;
  readonly errcode: string;
  /** The wait Synapse asked for with M_LIMIT_EXCEEDED. */
  readonly retryAfterMs: number | undefined;

  constructor(statusCode: number, errcode: string, message: string, retryAfterMs?: number) {
    super(message);
    this.name = 'HomeserverError';
    this.statusCode = statusCode;
    this.errcode = errcode;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The wait a rate-limited answer asked for, whichever client raised it. */
export function retryAfterMsOf(error: unknown): number | undefined {
  if (error instanceof HomeserverError) return error.retryAfterMs;
  const hinted = (error as { body?: { retry_after_ms?: unknown } } | undefined)?.body?.retry_after_ms;
  return typeof hinted === 'number' ? hinted : undefined;
}
