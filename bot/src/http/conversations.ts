import { Router, type Request } from 'express';
import { OpenConversationRequest, type ConversationResponse } from '@espace-mineurs/protocol';
import { addressHash, coolingDown } from '../closing/cool-down.ts';
import { closeConversation } from '../closing/end.ts';
import { openConversation } from '../intake/open.ts';
import { unknownPresets } from '../intake/preset.ts';
import { publicStatus } from '../conversation/status.ts';
import { withConversation, type Context } from '../runtime/context.ts';
import type { Conversation } from '../state/store.ts';
import type { GuestAuth } from './auth.ts';
import { ApiError } from './errors.ts';
import type { RateLimiter } from './rate-limit.ts';

export interface ConversationRoutesOptions {
  ctx: Context;
  auth: GuestAuth;
  openPerIp: RateLimiter;
  openPerGuest: RateLimiter;
}

function respond(ctx: Context, conversation: Conversation): ConversationResponse {
  return { roomId: conversation.roomId, status: publicStatus(ctx, conversation, ctx.now()) };
}

function clientAddress(request: Request): string {
  return request.ip ?? request.socket.remoteAddress ?? 'unknown';
}

/** The young person's API (protocol/src/api.ts). Every route needs the guest's own token. */
export function conversationRoutes({ ctx, auth, openPerIp, openPerGuest }: ConversationRoutesOptions): Router {
  const router = Router();

  router.post('/api/conversations', async (request, response) => {
    // The address is limited before anything reaches Synapse, so a flood costs it nothing.
    const ipWait = openPerIp.hit(clientAddress(request));
    if (ipWait !== undefined) throw new ApiError('RATE_LIMITED', { retryAfterSeconds: ipWait });
    const address = addressHash(ctx, clientAddress(request));
    const guest = await auth.verify(request);
    const guestWait = openPerGuest.hit(guest.userId);
    if (guestWait !== undefined) throw new ApiError('RATE_LIMITED', { retryAfterSeconds: guestWait });
    // Only an agent's "close and cool down" refuses someone here; nothing is ever blocked automatically.
    const coolWait = coolingDown(ctx, ctx.now(), { guest: guest.userId, addressHash: address });
    if (coolWait !== undefined) throw new ApiError('COOLING_DOWN', { retryAfterSeconds: coolWait });
    ctx.store.addressOf.set(guest.userId, address);
    const raw: unknown = request.body === undefined || (typeof request.body === 'object' && request.body !== null && Object.keys(request.body).length === 0) ? {} : request.body;
    const parsed = OpenConversationRequest.safeParse(raw);
    if (!parsed.success) throw new ApiError('BAD_REQUEST');
    const preset: Record<string, string> = parsed.data.context ? { context: parsed.data.context } : {};
    if (unknownPresets(ctx.triage, preset).length > 0) throw new ApiError('BAD_REQUEST');
    let result;
    try {
      result = await openConversation(ctx, guest.userId, preset);
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw new ApiError('HOMESERVER_UNAVAILABLE', { cause: error });
    }
    response.status(result.created ? 201 : 200).json(respond(ctx, result.conversation));
  });

  router.get('/api/conversations/current', async (request, response) => {
    const guest = await auth.verify(request);
    const roomId = ctx.store.latestByGuest.get(guest.userId);
    const conversation = roomId ? ctx.store.conversations.get(roomId) : undefined;
    if (!conversation) throw new ApiError('NO_CONVERSATION');
    response.json(respond(ctx, conversation));
  });

  router.post('/api/conversations/current/end', async (request, response) => {
    const guest = await auth.verify(request);
    const roomId = ctx.store.latestByGuest.get(guest.userId);
    const conversation = roomId ? ctx.store.conversations.get(roomId) : undefined;
    if (!conversation) throw new ApiError('NO_CONVERSATION');
    await withConversation(ctx, conversation.roomId, () =>
      closeConversation(ctx, conversation, `end:${conversation.roomId}`, ctx.now(), guest.userId, 'none'),
    );
    response.json(respond(ctx, conversation));
  });

  return router;
}
