import { FORCES } from '@espace-mineurs/protocol';
import type { Context } from '../runtime/context.ts';
import { stableTxnId } from '../matrix/client.ts';
import { redactSupersededVersions } from '../retention/traces.ts';
import {
  DisclosureEventType,
  disclosureAuditEntry,
  expireDisclosure,
  parseDisclosureRequest,
  type DisclosureRequest,
} from './request.ts';

/**
 * Requests to lift anonymity live as state in the force's supervisors room (key = request id), where the
 * force's supervisors (and the agent client) see the pending ones; the store keeps a copy for the sweeper.
 */
export async function saveDisclosure(ctx: Context, request: DisclosureRequest): Promise<void> {
  await ctx.matrix.putState(
    ctx.store.forces[request.force].supervisorsRoomId,
    DisclosureEventType,
    request.id,
    request,
  );
  ctx.store.disclosures.set(request.id, request);
}

/** A readable notice in the force's supervisors room (Element users see pending requests and decisions). */
export function notifySupervisors(
  ctx: Context,
  request: DisclosureRequest,
  body: string,
  step: string,
): Promise<string> {
  const roomId = ctx.store.forces[request.force].supervisorsRoomId;
  return ctx.matrix.send(
    roomId,
    'm.room.message',
    { msgtype: 'm.notice', body },
    stableTxnId('supervisors', roomId, request.id, step),
  );
}

/** At start: the requests of both forces, from their supervisors rooms. */
export async function loadDisclosures(ctx: Context): Promise<void> {
  for (const force of FORCES) {
    const state = await ctx.matrix.roomState(ctx.store.forces[force].supervisorsRoomId);
    for (const event of state) {
      if (event.type !== DisclosureEventType || !ctx.matrix.isOwn(event.sender)) continue;
      const request = parseDisclosureRequest(event.content);
      if (request && request.force === force) ctx.store.disclosures.set(request.id, request);
    }
  }
}

/** Sweeper: pending requests past their time become expired, audited and announced. */
export async function expireDisclosures(ctx: Context, now: number): Promise<void> {
  for (const request of [...ctx.store.disclosures.values()]) {
    if (request.status !== 'pending' || now < request.expiresAt) continue;
    await ctx.locks.run(`disclosure:${request.id}`, async () => {
      const current = ctx.store.disclosures.get(request.id);
      if (!current || current.status !== 'pending') return;
      const expired = expireDisclosure(current, now);
      if (expired.status !== 'expired') return;
      const entry = disclosureAuditEntry(expired, ctx.matrix.userId, expired.expiresAt);
      await ctx.audit.write([expired.force], `disclosure_expire:${expired.id}`, entry);
      await saveDisclosure(ctx, expired);
      await notifySupervisors(
        ctx,
        expired,
        `Demande de levée d'anonymat ${expired.id} expirée sans décision. L'agent peut en faire une nouvelle si le danger persiste.`,
        'expired',
      );
    });
  }
}

/**
 * Once a conversation is deleted, its decided requests keep ids, people, status and times, not their reasons
 * (free text about the young person): each is rewritten without them and its earlier versions are redacted.
 * The readable notices that quoted a reason go with the supervisors room's retention (`retention.staffRoomPeriod`).
 */
export async function scrubDisclosures(ctx: Context, conversationRoomId: string): Promise<number> {
  let redacted = 0;
  for (const request of [...ctx.store.disclosures.values()]) {
    if (request.conversation !== conversationRoomId || request.status === 'pending') continue;
    await ctx.locks.run(`disclosure:${request.id}`, async () => {
      const current = ctx.store.disclosures.get(request.id);
      if (!current) return;
      if (current.scrubbedAt === undefined) {
        const { refusalReason: _refusal, ...rest } = current;
        await saveDisclosure(ctx, { ...rest, reason: '', scrubbedAt: ctx.now() });
      }
      redacted += await redactSupersededVersions(
        ctx.matrix,
        ctx.store.forces[current.force].supervisorsRoomId,
        DisclosureEventType,
        current.id,
        'conversation supprimée',
      );
    });
  }
  return redacted;
}
