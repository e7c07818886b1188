import type { ErrorRequestHandler } from 'express';
import type { ApiErrorBody, ApiErrorCode } from '@espace-mineurs/protocol';
import { logger } from '../log.ts';

const log = logger.child({ module: 'http' });

const STATUS: Record<ApiErrorCode, number> = {
  UNAUTHENTICATED: 401,
  NOT_A_GUEST: 403,
  FORBIDDEN_ORIGIN: 403,
  RATE_LIMITED: 429,
  NO_CONVERSATION: 404,
  NOT_FOUND: 404,
  BAD_REQUEST: 400,
  HOMESERVER_UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** Messages a young person may read as they are. */
const MESSAGE: Record<ApiErrorCode, string> = {
  UNAUTHENTICATED: 'Ta session a expiré. Recharge la page pour recommencer.',
  NOT_A_GUEST: 'Cet espace est réservé aux jeunes qui viennent discuter de façon anonyme.',
  FORBIDDEN_ORIGIN: "Cette page n'a pas le droit d'utiliser ce service.",
  RATE_LIMITED: 'Trop de tentatives en peu de temps. Attends un peu, puis réessaie.',
  NO_CONVERSATION: "Tu n'as pas de conversation en cours.",
  NOT_FOUND: "Cette adresse n'existe pas.",
  BAD_REQUEST: "La demande n'est pas valide. Recharge la page et réessaie.",
  HOMESERVER_UNAVAILABLE: 'Le service est momentanément indisponible. Réessaie dans quelques instants. En cas de danger, appelle le 17 ou le 112.',
  INTERNAL: 'Une erreur est survenue de notre côté. Réessaie dans quelques instants. En cas de danger, appelle le 17 ou le 112.',
};

/** A typed API error: a machine code mapped to an HTTP status and a French message by one middleware. */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ApiErrorCode, options: { retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(code, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function errorBody(code: ApiErrorCode): ApiErrorBody {
  return { error: { code, message: MESSAGE[code] } };
}

export const errorMiddleware: ErrorRequestHandler = (error: unknown, _request, response, _next) => {
  let apiError: ApiError;
  if (error instanceof ApiError) apiError = error;
  else if ((error as { type?: string }).type === 'entity.parse.failed' || (error as { type?: string }).type === 'entity.too.large') apiError = new ApiError('BAD_REQUEST');
  else {
    log.error({ err: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }, 'unexpected error');
    apiError = new ApiError('INTERNAL');
  }
  if (apiError.retryAfterSeconds !== undefined) response.setHeader('Retry-After', String(Math.max(1, Math.ceil(apiError.retryAfterSeconds))));
  response.status(STATUS[apiError.code]).json(errorBody(apiError.code));
};
