import { createHash } from 'node:crypto';
import { ContentKey } from '@espace-mineurs/protocol';
import { withConversation } from '../runtime/context.ts';
import { say, serviceMessage } from '../conversation/messages.ts';
import { notifySupervisors, saveDisclosure } from './records.ts';
import { YOUNG_PERSON_HELP_IS_COMING } from './gather.ts';
import { discloseAcrossServers } from '../federation/disclosure.ts';
import {
  decideDisclosure,
  disclosureAuditEntry,
  requestDisclosure,
  withdrawDisclosure,
  type DisclosureRequest,
} from './request.ts';
import { UNKNOWN, conversationOf, refuse, type CommandOutcome, type Invocation } from '../commands/types.ts';
import { startRetention } from '../retention/purge.ts';
import { guestOf } from '../state/rebuild.ts';

/** A short id derived from the command event (a replay finds the same request), easy to type in Element. */
export function disclosureId(eventId: string): string {
  return createHash('sha256').update(eventId).digest('hex').slice(0, 8);
}

/**
 * Any active agent of the conversation's force may ask (not only the assignee): in grave danger the colleague
 * who reads the conversation must not wait for the assignee; a supervisor decides anyway.
 */
export async function disclosureRequest(
  invocation: Invocation,
  roomId: string,
  reason: string,
): Promise<CommandOutcome> {
  const { ctx, staff, eventId, at, force } = invocation;
  const conversation = conversationOf(invocation, roomId);
  if (!conversation) return UNKNOWN;
  const id = disclosureId(eventId);
  const ticket = conversation.entry.ticket;
  return ctx.locks.run(`disclosure:${id}`, async () => {
    const existing = ctx.store.disclosures.get(id);
    const sent = {
      ok: true as const,
      ref: id,
      message: `Demande de levée d'anonymat ${id} (conversation n°${ticket}) transmise aux superviseurs. Pour la retirer : !retirer-levee ${ticket} ${id}`,
    };
    if (existing) return sent;
    const transition = requestDisclosure(ctx, {
      id,
      conversation: roomId,
      force,
      requester: staff.userId,
      reason,
      now: at,
      ttlMs: ctx.config.retention.disclosureTtl * 1000,
    });
    if (!transition.ok) return refuse(transition.code, transition.message);
    const request = transition.request;
    await ctx.audit.write([force], `disclosure_request:${id}`, disclosureAuditEntry(request, staff.userId, at));
    await saveDisclosure(ctx, request);
    await notifySupervisors(
      ctx,
      request,
      [
        `Demande de levée d'anonymat ${id} — conversation n°${ticket}, par ${staff.pseudonym} (${staff.userId}).`,
        `Motif : ${request.reason}`,
        `Un superviseur (pas l'auteur de la demande) décide dans le salon de file : !approuver-levee ${ticket} ${id} ou !refuser-levee ${ticket} ${id} [motif].`,
      ].join('\n'),
      'requested',
    );
    return sent;
  });
}

/** A supervisor of the force, never the requester, approves (then the bot discloses) or refuses. */
export async function disclosureDecision(
  invocation: Invocation,
  roomId: string,
  id: string,
  approve: boolean,
  comment: string | undefined,
): Promise<CommandOutcome> {
  const { ctx, staff, eventId, at } = invocation;
  return ctx.locks.run(`disclosure:${id}`, async () => {
    const request = ctx.store.disclosures.get(id);
    if (!request || request.conversation !== roomId)
      return refuse('UNKNOWN_DISCLOSURE', "Cette demande de levée d'anonymat n'existe pas pour cette conversation.");
    // A replay of the approval after a crash resumes the disclosure instead of being refused as already decided.
    const resuming =
      approve &&
      request.status === 'approved' &&
      request.decidedBy === staff.userId &&
      request.disclosedAt === undefined;
    let decided: DisclosureRequest = request;
    if (!resuming) {
      const transition = decideDisclosure(ctx, request, {
        actor: staff.userId,
        approve,
        ...(comment ? { reason: comment } : {}),
        now: at,
      });
      if (!transition.ok) return refuse(transition.code, transition.message);
      decided = transition.request;
      await ctx.audit.write(
        [decided.force],
        `disclosure_decision:${id}`,
        disclosureAuditEntry(decided, staff.userId, at),
      );
      await saveDisclosure(ctx, decided);
    }
    if (!approve) {
      await notifySupervisors(
        ctx,
        decided,
        `Demande de levée d'anonymat ${id} refusée par ${staff.pseudonym}.`,
        'refused',
      );
      return { ok: true, message: `Demande ${id} refusée.` };
    }
    const conversation = ctx.store.conversations.get(request.conversation);
    if (!conversation) return refuse('UNKNOWN_CONVERSATION', "Cette conversation n'est plus connue du service.");
    const guest = await guestOf(ctx, conversation);
    if (!guest) return refuse('UNKNOWN_CONVERSATION', "Le compte du jeune de cette conversation n'est plus connu.");
    // Federated: whois on the public server, the disclosure room on the force's (the same client on one server).
    const forceClient = ctx.matrix.clientOn(ctx.store.forces[decided.force].supervisorsRoomId);
    const disclosed = await discloseAcrossServers({ public: ctx.matrix, force: forceClient }, ctx.audit, {
      request: decided,
      guest,
      ...(conversation.entry?.triage ? { triage: conversation.entry.triage } : {}),
      now: at,
      // As long as Synapse keeps the addresses themselves (user_ips_max_age): docs/personal-data.md §13.
      retentionMs: ctx.config.retention.disclosureRoomPeriod * 1000,
      ...(decided.disclosureRoom ? { roomId: decided.disclosureRoom } : {}),
      onRoom: async (disclosureRoom) => {
        decided = { ...decided, disclosureRoom };
        await saveDisclosure(ctx, decided);
      },
    });
    await withConversation(ctx, conversation.roomId, () =>
      say(
        ctx,
        conversation.roomId,
        serviceMessage(YOUNG_PERSON_HELP_IS_COMING, { [ContentKey.ServiceHelpComing]: true }),
        eventId,
        'help-coming',
      ),
    );
    // Synapse never purges a room's last event nor its state: the retention sweep deletes the room itself.
    await startRetention(ctx.matrix, {
      roomId: disclosed.roomId,
      recordRoomId: ctx.store.forces[decided.force].supervisorsRoomId,
      closedAt: at,
      periodMs: ctx.config.retention.disclosureRoomPeriod * 1000,
    });
    await saveDisclosure(ctx, { ...decided, disclosureRoom: disclosed.roomId, disclosedAt: at });
    await notifySupervisors(
      ctx,
      decided,
      `Demande de levée d'anonymat ${id} approuvée par ${staff.pseudonym} : informations transmises au demandeur et à l'approbateur dans un salon privé.`,
      'approved',
    );
    return {
      ok: true,
      message: `Levée d'anonymat ${id} approuvée : les informations sont dans le salon privé « Levée d'anonymat ».`,
    };
  });
}

/** The requester takes back a pending request: audited, announced to supervisors, no longer decidable. */
export async function disclosureWithdraw(invocation: Invocation, roomId: string, id: string): Promise<CommandOutcome> {
  const { ctx, staff, at } = invocation;
  return ctx.locks.run(`disclosure:${id}`, async () => {
    const request = ctx.store.disclosures.get(id);
    if (!request || request.conversation !== roomId)
      return refuse('UNKNOWN_DISCLOSURE', "Cette demande de levée d'anonymat n'existe pas pour cette conversation.");
    // A replay after a crash finds its own withdrawal done: finish announcing it.
    const replay = request.status === 'withdrawn' && request.decidedBy === staff.userId && request.decidedAt === at;
    let withdrawn: DisclosureRequest = request;
    if (!replay) {
      const transition = withdrawDisclosure(request, staff.userId, at);
      if (!transition.ok) return refuse(transition.code, transition.message);
      withdrawn = transition.request;
      await ctx.audit.write(
        [withdrawn.force],
        `disclosure_withdraw:${id}`,
        disclosureAuditEntry(withdrawn, staff.userId, at),
      );
      await saveDisclosure(ctx, withdrawn);
    }
    await notifySupervisors(
      ctx,
      withdrawn,
      `Demande de levée d'anonymat ${id} retirée par ${staff.pseudonym} : plus rien à décider.`,
      'withdrawn',
    );
    return { ok: true, message: `Demande ${id} retirée.` };
  });
}
