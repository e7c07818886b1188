import { FORCES, type Force } from '@espace-mineurs/protocol';
import { saveDisclosure, type StoredDisclosure } from './conversation/disclosures.ts';
import { cleanEntry, saveEntry } from './conversation/entry.ts';
import { withConversation, type Context } from './context.ts';
import { endGuestAccount } from './safety/guest-account.ts';
import { startRetention, sweepRetention, type RetentionCandidate } from './safety/retention.ts';
import { redactQueueTraces } from './safety/traces.ts';
import { TERMINAL, stateOf, type Conversation } from './state/store.ts';

/**
 * A conversation that ended before routing has no force: its retention is recorded (and its deletion audited)
 * with the police, arbitrarily but always the same, so exactly one force's sweep deletes it.
 */
export function retentionForce(conversation: Conversation): Force {
  return conversation.entry?.force ?? FORCES[0];
}

/** On close or abandon: the room's retention clock starts (m.room.retention plus a record for supervisors). */
export async function startConversationRetention(ctx: Context, conversation: Conversation, closedAt: number): Promise<void> {
  await startRetention(ctx.matrix, {
    roomId: conversation.roomId,
    recordRoomId: ctx.store.forces[retentionForce(conversation)].supervisorsRoomId,
    closedAt,
    periodMs: ctx.config.retention.period * 1000,
  });
}

function candidates(ctx: Context): RetentionCandidate[] {
  const list: RetentionCandidate[] = [];
  for (const conversation of ctx.store.conversations.values()) {
    const state = stateOf(conversation);
    if (!TERMINAL.has(state)) continue;
    const closedAt = conversation.entry?.closedAt ?? conversation.status?.updatedAt;
    list.push({ roomId: conversation.roomId, force: retentionForce(conversation), state, ...(closedAt !== undefined ? { closedAt } : {}) });
  }
  // Disclosure rooms hold connection IPs: deleted with purge once their (short) period ends, like conversations.
  for (const disclosure of ctx.store.disclosures.values() as Iterable<StoredDisclosure>) {
    if (!disclosure.disclosureRoom || disclosure.disclosedAt === undefined || disclosure.disclosureRoomDeletedAt !== undefined) continue;
    list.push({
      roomId: disclosure.disclosureRoom,
      force: disclosure.force,
      state: 'closed',
      closedAt: disclosure.disclosedAt,
      periodMs: ctx.config.retention.disclosureRoomPeriod * 1000,
    });
  }
  return list;
}

/**
 * One retention pass: deletes with purge every ended conversation whose period ran out and that no legal hold
 * keeps; then forgets its triage, redacts its traces in the queue room, ends the guest if not yet done, and drops
 * it from memory (a restart would not find the room anyway).
 */
export async function sweepConversationRetention(ctx: Context): Promise<void> {
  const report = await sweepRetention({
    hs: ctx.matrix,
    audit: ctx.audit,
    recordRooms: { police: ctx.store.forces.police.supervisorsRoomId, gendarmerie: ctx.store.forces.gendarmerie.supervisorsRoomId },
    candidates: async () => candidates(ctx),
    defaultPeriodMs: ctx.config.retention.period * 1000,
    now: ctx.now,
  });
  for (const deleted of report.deleted) {
    const disclosure = [...(ctx.store.disclosures.values() as Iterable<StoredDisclosure>)].find((candidate) => candidate.disclosureRoom === deleted.roomId);
    if (disclosure) await saveDisclosure(ctx, { ...disclosure, disclosureRoomDeletedAt: ctx.now() });
    const conversation = ctx.store.conversations.get(deleted.roomId);
    if (!conversation) continue;
    await withConversation(ctx, conversation.roomId, async () => {
      const entry = conversation.entry;
      if (entry) {
        const { triage: _triage, ...rest } = entry;
        await saveEntry(ctx, conversation, cleanEntry(rest));
        await redactQueueTraces(ctx.matrix, { queueRoomId: ctx.store.forces[entry.force].queueRoomId, conversationRoomId: conversation.roomId, ...(entry.queueEventId ? { queueEventId: entry.queueEventId } : {}) });
      }
      if (entry?.guestEndedAt === undefined && ctx.store.latestByGuest.get(conversation.guest) === conversation.roomId) await endGuestAccount(ctx.matrix, conversation.guest);
      ctx.store.conversations.delete(conversation.roomId);
    });
  }
  if (report.deleted.length || report.failed.length) ctx.log.info({ deleted: report.deleted.length, held: report.held, failed: report.failed.length }, 'retention sweep');
}
