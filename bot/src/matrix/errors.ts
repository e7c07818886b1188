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
