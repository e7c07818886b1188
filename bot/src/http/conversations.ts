import express, { Router, type Request, type Response } from 'express';
import { OpenConversationRequest, type ConversationResponse } from '@espace-mineurs/protocol';
import { addressHash, coolingDown } from '../closing/cool-down.ts';
import { guestLeft } from '../closing/leave.ts';
import { openConversation } from '../intake/open.ts';
import { unknownPresets } from '../intake/preset.ts';
import { publicStatus } from '../conversation/status.ts';
import { withConversation, type Context } from '../runtime/context.ts';
import type { Conversation } from '../state/store.ts';
import type { GuestAuth } from './auth.ts';
import { ApiError } from './errors.ts';
import { addressKey } from './client-address.ts';
import type { OpeningPace, RateLimiter } from './rate-limit.ts';

export interface ConversationRoutesOptions {
  ctx: Context;
  auth: GuestAuth;
  openPerIp: OpeningPace;
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
    // The address is counted before anything reaches Synapse, so a flood costs it nothing; only the hard bound
    // refuses, past the soft limit openings are slowed down and marked for agents.
    const pace = openPerIp.hit(addressKey(clientAddress(request)));
    if (pace.kind === 'refused') throw new ApiError('RATE_LIMITED', { retryAfterSeconds: pace.retryAfterSeconds });
    const address = addressHash(ctx, clientAddress(request));
    const guest = await auth.verify(request);
    const guestWait = openPerGuest.hit(guest.userId);
    if (guestWait !== undefined) throw new ApiError('RATE_LIMITED', { retryAfterSeconds: guestWait });
    // Only an agent's "close and cool down" refuses someone here; nothing is ever blocked automatically.
    const coolWait = coolingDown(ctx, ctx.now(), { guest: guest.userId, addressHash: address });
    if (coolWait !== undefined) throw new ApiError('COOLING_DOWN', { retryAfterSeconds: coolWait });
    ctx.store.addressOf.set(guest.userId, address);
    if (pace.kind === 'slowed') {
      ctx.store.addressOf.markSerial(guest.userId);
      await new Promise((resolve) => setTimeout(resolve, pace.delayMs));
    }
    const raw: unknown =
      request.body === undefined ||
      (typeof request.body === 'object' && request.body !== null && Object.keys(request.body).length === 0)
        ? {}
        : request.body;
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

  // « Terminer » (the site waits for the answer) and the quick exit (a beacon sent as the page unloads: the token
  // may be its text/plain body). Both leave the conversation the same way (closing/leave.ts).
  const leave = (beacon: boolean) => async (request: Request, response: Response) => {
    const guest = beacon ? await auth.verifyBeacon(request) : await auth.verify(request);
    const roomId = ctx.store.latestByGuest.get(guest.userId);
    const conversation = roomId ? ctx.store.conversations.get(roomId) : undefined;
    if (!conversation) throw new ApiError('NO_CONVERSATION');
    const at = ctx.now();
    await withConversation(ctx, conversation.roomId, () =>
      guestLeft(ctx, conversation, `leave:${conversation.roomId}:${at}`, at),
    );
    response.json(respond(ctx, conversation));
  };
  router.post('/api/conversations/current/end', leave(false));
  router.post('/api/conversations/current/leave', express.text({ type: 'text/plain', limit: '1kb' }), leave(true));

  return router;
}
