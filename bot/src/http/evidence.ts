import express, { Router, type RequestHandler } from 'express';
import type { EvidenceResponse } from '@espace-mineurs/protocol';
import { withConversation, type Context } from '../runtime/context.ts';
import { stableTxnId } from '../matrix/client.ts';
import {
  DEFAULT_EVIDENCE_LIMITS,
  discardEvidence,
  evidenceMessage,
  receiveEvidence,
  type EvidenceRefusal,
} from '../evidence/evidence.ts';
import { keepOrAuditEvidence } from '../evidence/custody.ts';
import { TERMINAL, stateOf } from '../state/store.ts';
import type { GuestAuth } from './auth.ts';
import { ApiError } from './errors.ts';
import type { RateLimiter } from './rate-limit.ts';

const CODE: Record<EvidenceRefusal, 'EVIDENCE_REFUSED' | 'EVIDENCE_TOO_LARGE' | 'EVIDENCE_UNSUPPORTED_TYPE'> = {
  EMPTY: 'EVIDENCE_REFUSED',
  NOT_AN_IMAGE: 'EVIDENCE_REFUSED',
  CORRUPT: 'EVIDENCE_REFUSED',
  TOO_MANY_PIXELS: 'EVIDENCE_REFUSED',
  TOO_LARGE: 'EVIDENCE_TOO_LARGE',
  UNSUPPORTED_TYPE: 'EVIDENCE_UNSUPPORTED_TYPE',
};

/** The raw body, at most the evidence limit (one byte more tells "too large" from "exactly the limit"). */
function rawImageBody(): RequestHandler {
  const parse = express.raw({ type: () => true, limit: DEFAULT_EVIDENCE_LIMITS.maxBytes });
  return (request, response, next) =>
    parse(request, response, (error?: unknown) => {
      if ((error as { type?: string } | undefined)?.type === 'entity.too.large')
        return next(new ApiError('EVIDENCE_TOO_LARGE'));
      next(error);
    });
}

/**
 * Evidence from the young person (guests cannot upload media): cleaned of metadata, uploaded and posted in their
 * room by the bot, its SHA-256 audited. A refused file is never uploaded; an image that cannot be posted is deleted.
 */
export function evidenceRoutes({
  ctx,
  auth,
  perGuest,
}: {
  ctx: Context;
  auth: GuestAuth;
  perGuest: RateLimiter;
}): Router {
  const router = Router();
  router.post(
    '/api/conversations/current/evidence',
    async (request, response, next) => {
      // Authentication before the body is even read.
      try {
        response.locals.guest = await auth.verify(request);
        next();
      } catch (error) {
        next(error);
      }
    },
    rawImageBody(),
    async (request, response) => {
      const guest = response.locals.guest as { userId: string };
      const wait = perGuest.hit(guest.userId);
      if (wait !== undefined) throw new ApiError('RATE_LIMITED', { retryAfterSeconds: wait });
      const roomId = ctx.store.latestByGuest.get(guest.userId);
      const conversation = roomId ? ctx.store.conversations.get(roomId) : undefined;
      if (!conversation || TERMINAL.has(stateOf(conversation))) throw new ApiError('NO_CONVERSATION');
      const body: unknown = request.body;
      const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
      const at = ctx.now();
      const received = await receiveEvidence(
        (data, type, name) => ctx.matrix.upload(data, type, name),
        bytes,
        request.get('content-type'),
        at,
      );
      if (!received.ok) throw new ApiError(CODE[received.code], { message: received.message });
      const { stored } = received;
      let eventId: string;
      try {
        eventId = await withConversation(ctx, conversation.roomId, () =>
          ctx.matrix.send(
            conversation.roomId,
            'm.room.message',
            evidenceMessage(stored),
            stableTxnId('evidence', stored.sha256),
          ),
        );
      } catch (error) {
        await discardEvidence(ctx.matrix, stored.mxc).catch((discardError: unknown) =>
          ctx.log.error({ err: (discardError as Error).message }, 'could not discard an unposted evidence image'),
        );
        throw new ApiError('HOMESERVER_UNAVAILABLE', { cause: error });
      }
      await keepOrAuditEvidence(ctx, conversation, {
        actor: guest.userId,
        at,
        sha256: stored.sha256,
        size: stored.size,
      });
      const answer: EvidenceResponse = { sha256: stored.sha256, eventId };
      response.status(201).json(answer);
    },
  );
  return router;
}
