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
  EVIDENCE_REFUSED: 400,
  EVIDENCE_TOO_LARGE: 413,
  EVIDENCE_UNSUPPORTED_TYPE: 415,
  COOLING_DOWN: 429,
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
  HOMESERVER_UNAVAILABLE:
    'Le service est momentanément indisponible. Réessaie dans quelques instants. En cas de danger, appelle le 17 ou le 112.',
  INTERNAL:
    'Une erreur est survenue de notre côté. Réessaie dans quelques instants. En cas de danger, appelle le 17 ou le 112.',
  EVIDENCE_REFUSED: "Cette image n'a pas pu être reçue. Fais plutôt une capture d'écran et envoie-la.",
  EVIDENCE_TOO_LARGE:
    "Cette image est trop lourde (8 Mo au plus). Tu peux faire une capture d'écran de l'image : elle sera plus légère.",
  EVIDENCE_UNSUPPORTED_TYPE: "On ne peut recevoir que des images (JPEG, PNG ou WebP), par exemple une capture d'écran.",
  COOLING_DOWN:
    "La conversation précédente vient d'être fermée. Tu pourras en ouvrir une nouvelle un peu plus tard. En cas de danger, appelle le 17 ou le 112, ou envoie un SMS au 114.",
};

/** A typed API error: a machine code mapped to an HTTP status and a French message by one middleware. */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly retryAfterSeconds: number | undefined;
  /** A more precise French message than the code's default (e.g. why an image was refused). */
  readonly detail: string | undefined;

  constructor(code: ApiErrorCode, options: { retryAfterSeconds?: number; cause?: unknown; message?: string } = {}) {
    super(code, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.detail = options.message;
  }
}

export function errorBody(code: ApiErrorCode, message?: string): ApiErrorBody {
  return { error: { code, message: message ?? MESSAGE[code] } };
}

export const errorMiddleware: ErrorRequestHandler = (error: unknown, _request, response, _next) => {
  let apiError: ApiError;
  if (error instanceof ApiError) apiError = error;
  else if (
    (error as { type?: string }).type === 'entity.parse.failed' ||
    (error as { type?: string }).type === 'entity.too.large'
  )
    apiError = new ApiError('BAD_REQUEST');
  else {
    log.error({ err: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }, 'unexpected error');
    apiError = new ApiError('INTERNAL');
  }
  if (apiError.retryAfterSeconds !== undefined)
    response.setHeader('Retry-After', String(Math.max(1, Math.ceil(apiError.retryAfterSeconds))));
  response.status(STATUS[apiError.code]).json(errorBody(apiError.code, apiError.detail));
};
