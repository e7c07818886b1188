import { z } from 'zod';
import { PublicStatus } from './conversation.ts';

/**
 * The bot's HTTP API as the site uses it. Every request carries the guest's own Matrix access token
 * (`Authorization: Bearer …`); the bot checks it with Synapse (whoami) and requires a guest.
 *
 * POST /api/conversations            → 201 (opened) or 200 (already open) ConversationResponse
 * GET  /api/conversations/current    → 200 ConversationResponse, 404 NO_CONVERSATION
 * POST /api/conversations/current/end → 200 ConversationResponse (state closed by the young person)
 * GET  /healthz, GET /metrics (Prometheus) — no token.
 * Errors: ApiErrorBody with an HTTP status; 429 also sets Retry-After (seconds).
 */
export const ConversationResponse = z.object({
  roomId: z.string().startsWith('!'),
  status: PublicStatus,
});
export type ConversationResponse = z.infer<typeof ConversationResponse>;

export const API_ERROR_CODES = [
  'UNAUTHENTICATED',
  'NOT_A_GUEST',
  'RATE_LIMITED',
  'NO_CONVERSATION',
  'BAD_REQUEST',
  'NOT_FOUND',
  'FORBIDDEN_ORIGIN',
  'HOMESERVER_UNAVAILABLE',
  'INTERNAL',
] as const;
export const ApiErrorCode = z.enum(API_ERROR_CODES);
export type ApiErrorCode = z.infer<typeof ApiErrorCode>;

export const ApiErrorBody = z.object({
  error: z.object({
    code: ApiErrorCode,
    /** French, written to be shown to a young person as it is. */
    message: z.string(),
  }),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

/**
 * Optional body of POST /api/conversations: the context the young person picked on the site (a triage option id
 * of the "context" question), so the bot does not ask it again. Unknown keys are refused.
 */
export const OpenConversationRequest = z
  .object({ context: z.string().regex(/^[a-z0-9_-]{1,64}$/).optional() })
  .strict();
export type OpenConversationRequest = z.infer<typeof OpenConversationRequest>;
