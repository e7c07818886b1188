import { ApiErrorBody, ConversationResponse, EvidenceResponse, parseContent, type ApiErrorCode } from '@espace-mineurs/protocol';

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
  async function call<T>(schema: typeof ConversationResponse | typeof EvidenceResponse, method: 'GET' | 'POST', path: string, payload: Record<string, unknown> | Blob = {}): Promise<T> {
    let response: Response;
    const raw = payload instanceof Blob;
    try {
      response = await fetchImpl(`${baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${accessToken}`,
          ...(method === 'POST' ? { 'content-type': raw ? payload.type || 'application/octet-stream' : 'application/json' } : {}),
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
      const parsed = parseContent(ApiErrorBody, body);
      const retryAfter = Number(response.headers.get('retry-after'));
      if (!parsed.ok) throw new BotApiError('BAD_RESPONSE', BAD_RESPONSE_MESSAGE, response.status);
      throw new BotApiError(
        parsed.value.error.code,
        parsed.value.error.message,
        response.status,
        Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
      );
    }
    const parsed = parseContent(schema, body);
    if (!parsed.ok) throw new BotApiError('BAD_RESPONSE', BAD_RESPONSE_MESSAGE, response.status);
    return parsed.value as T;
  }

  return {
    accessToken,
    open: (context) => call<ConversationResponse>(ConversationResponse, 'POST', '/api/conversations', context ? { context } : {}),
    current: () => call<ConversationResponse>(ConversationResponse, 'GET', '/api/conversations/current'),
    end: () => call<ConversationResponse>(ConversationResponse, 'POST', '/api/conversations/current/end'),
    sendEvidence: (image) => call<EvidenceResponse>(EvidenceResponse, 'POST', '/api/conversations/current/evidence', image),
  };
}
