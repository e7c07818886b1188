import { z } from 'zod';
import { PublicStatus } from './conversation.ts';
import { API_ERROR_CODES } from './names.ts';

/**
 * The bot's HTTP API as the site uses it. Every request carries the guest's own Matrix access token
 * (`Authorization: Bearer …`); the bot checks it with Synapse (whoami) and requires a guest.
 *
 * POST /api/conversations            → 201 (opened) or 200 (already open) ConversationResponse
 * GET  /api/conversations/current    → 200 ConversationResponse, 404 NO_CONVERSATION
 * POST /api/conversations/current/end → 200 ConversationResponse (state closed by the young person)
 * POST /api/conversations/current/evidence → 201 EvidenceResponse. Body: the raw image (JPEG, PNG or WebP, 8 MB
 *   at most) with its Content-Type. Metadata (EXIF, GPS) is removed, the image is posted in the young person's
 *   room by the bot and its SHA-256 audited. 400 EVIDENCE_REFUSED (empty, not an image, corrupt, too many pixels),
 *   413 EVIDENCE_TOO_LARGE, 415 EVIDENCE_UNSUPPORTED_TYPE, 404 NO_CONVERSATION (none open); nothing is stored then.
 * POST /api/conversations may answer 429 COOLING_DOWN (with Retry-After) after an agent closed a conversation
 *   with a cool-down.
 * GET  /healthz, GET /metrics (Prometheus) — no token.
 * Errors: ApiErrorBody with an HTTP status; 429 also sets Retry-After (seconds).
 */
export const ConversationResponse = z.object({
  roomId: z.string().startsWith('!'),
  status: PublicStatus,
});
export type ConversationResponse = z.infer<typeof ConversationResponse>;

export { API_ERROR_CODES } from './names.ts';
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

/** Answer to an accepted evidence image: the hash of the stored (cleaned) image, as agents and the audit see it. */
export const EvidenceResponse = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  eventId: z.string(),
});
export type EvidenceResponse = z.infer<typeof EvidenceResponse>;

/**
 * Optional body of POST /api/conversations: the context the young person picked on the site (a triage option id
 * of the "context" question), so the bot does not ask it again. Unknown keys are refused.
 */
export const OpenConversationRequest = z
  .object({
    context: z
      .string()
      .regex(/^[a-z0-9_-]{1,64}$/)
      .optional(),
  })
  .strict();
export type OpenConversationRequest = z.infer<typeof OpenConversationRequest>;
