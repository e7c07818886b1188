import type { ApiErrorCode, ConversationResponse, EvidenceResponse } from '@espace-mineurs/protocol';
import { readApiErrorBody, readConversationResponse, readEvidenceResponse } from './validate.ts';

/**
 * The bot's HTTP API (protocol/src/api.ts), called with the guest's own access token. Responses are validated
 * at this edge; errors carry the bot's machine code and its French message, ready to show.
 */
export class BotApiError extends Error {
  readonly code: ApiErrorCode | 'NETWORK' | 'BAD_RESPONSE';
  /** French, for the young person. */
  readonly userMessage: string;
  readonly status: number | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: BotApiError['code'], userMessage: string, status?: number, retryAfterSeconds?: number) {
    super(`bot API: ${code}${status ? ` (HTTP ${status})` : ''}`);
    this.code = code;
    this.userMessage = userMessage;
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
    this.name = 'BotApiError';
  }
}

const NETWORK_MESSAGE = 'Impossible de joindre le service pour le moment. Vérifie ta connexion, on réessaie.';
const BAD_RESPONSE_MESSAGE = 'Le service a répondu de façon inattendue. Réessaie dans un instant.';

export interface BotApi {
  readonly accessToken: string;
  /** `context`: triage option id of the entry point, so the bot does not ask where it happens. */
  open(context?: string): Promise<ConversationResponse>;
  current(): Promise<ConversationResponse>;
  end(): Promise<ConversationResponse>;
  /** Sends an image (raw bytes, with its type) as evidence; the bot cleans it and posts it in the room. */
  sendEvidence(image: Blob): Promise<EvidenceResponse>;
}

export function createBotApi(baseUrl: string, accessToken: string, fetchImpl: typeof fetch = fetch): BotApi {
  async function call<T>(
    read: (body: unknown) => T | undefined,
    method: 'GET' | 'POST',
    path: string,
    payload: Record<string, unknown> | Blob = {},
  ): Promise<T> {
    let response: Response;
    const raw = payload instanceof Blob;
    try {
      response = await fetchImpl(`${baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${accessToken}`,
          ...(method === 'POST'
            ? { 'content-type': raw ? payload.type || 'application/octet-stream' : 'application/json' }
            : {}),
        },
        body: method === 'POST' ? (raw ? payload : JSON.stringify(payload)) : undefined,
        // Never send or store anything else: no cookies, no cache, no referrer.
        credentials: 'omit',
        cache: 'no-store',
        referrerPolicy: 'no-referrer',
      });
    } catch {
      throw new BotApiError('NETWORK', NETWORK_MESSAGE);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw new BotApiError('BAD_RESPONSE', BAD_RESPONSE_MESSAGE, response.status);
    }
    if (!response.ok) {
      const parsed = readApiErrorBody(body);
      const retryAfter = Number(response.headers.get('retry-after'));
      if (!parsed) throw new BotApiError('BAD_RESPONSE', BAD_RESPONSE_MESSAGE, response.status);
      throw new BotApiError(
        parsed.error.code,
        parsed.error.message,
        response.status,
        Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
      );
    }
    const parsed = read(body);
    if (!parsed) throw new BotApiError('BAD_RESPONSE', BAD_RESPONSE_MESSAGE, response.status);
    return parsed;
  }

  return {
    accessToken,
    open: (context) => call(readConversationResponse, 'POST', '/api/conversations', context ? { context } : {}),
    current: () => call(readConversationResponse, 'GET', '/api/conversations/current'),
    end: () => call(readConversationResponse, 'POST', '/api/conversations/current/end'),
    sendEvidence: (image) => call(readEvidenceResponse, 'POST', '/api/conversations/current/evidence', image),
  };
}
