import { EventType, FORCES, type ConversationEntry, type Force } from '@espace-mineurs/protocol';
import { saveDisclosure, scrubDisclosures } from '../disclosure/records.ts';
import { cleanEntry } from '../conversation/entry.ts';
import { withConversation, type Context } from '../runtime/context.ts';
import { statusOf } from '../matrix/errors.ts';
import { dueExports, readExportRecords, removeExport } from '../export/record.ts';
import { endGuestAccount } from '../closing/guest-account.ts';
import {
  readSafetyState,
  saveRetentionRecord,
  scrubLegalHold,
  startRetention,
  sweepRetention,
  type RetentionCandidate,
} from './purge.ts';
import { redactQueueTraces } from './traces.ts';
import { DeletionJournal } from './journal.ts';
import { TERMINAL, stateOf, type Conversation } from '../state/store.ts';

/**
 * A conversation that ended before routing has no force: its retention is recorded (and its deletion audited)
 * with the police, arbitrarily but always the same, so exactly one force's sweep deletes it.
 */
export function retentionForce(conversation: Conversation): Force {
  return conversation.entry?.force ?? FORCES[0];
}

/** On close or abandon: the room's retention clock starts (m.room.retention plus a record for supervisors). */
export async function startConversationRetention(
  ctx: Context,
  conversation: Conversation,
  closedAt: number,
): Promise<void> {
  await startRetention(ctx.matrix, {
    roomId: conversation.roomId,
    recordRoomId: ctx.store.forces[retentionForce(conversation)].supervisorsRoomId,
    closedAt,
    periodMs: ctx.config.retention.period * 1000,
    holdRoomIds: FORCES.map((force) => ctx.store.forces[force].supervisorsRoomId),
  });
}

function candidates(ctx: Context): RetentionCandidate[] {
  const list: RetentionCandidate[] = [];
  for (const conversation of ctx.store.conversations.values()) {
    const state = stateOf(conversation);
    if (!TERMINAL.has(state)) continue;
    const closedAt = conversation.entry?.closedAt ?? conversation.status?.updatedAt;
    list.push({
      roomId: conversation.roomId,
      force: retentionForce(conversation),
      state,
      ...(closedAt !== undefined ? { closedAt } : {}),
    });
  }
  // Disclosure rooms hold connection IPs: deleted with purge once their (short) period ends, like conversations.
  for (const disclosure of ctx.store.disclosures.values()) {
    if (
      !disclosure.disclosureRoom ||
      disclosure.disclosedAt === undefined ||
      disclosure.disclosureRoomDeletedAt !== undefined
    )
      continue;
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
 * Messages of the queue and supervisors rooms (notices, notes, commands with reasons, export files) are purged by
 * Synapse's retention jobs after `retention.staffRoomPeriod`; set at every start, so a changed setting applies.
 * The audit rooms keep everything on purpose (docs/personal-data.md §12).
 */
export async function applyStaffRoomRetention(ctx: Context): Promise<void> {
  const policy = { max_lifetime: ctx.config.retention.staffRoomPeriod * 1000 };
  for (const force of FORCES) {
    for (const roomId of [ctx.store.forces[force].queueRoomId, ctx.store.forces[force].supervisorsRoomId]) {
      const current = await ctx.matrix.getState<{ max_lifetime?: unknown }>(roomId, 'm.room.retention');
      if (current?.max_lifetime !== policy.max_lifetime)
        await ctx.matrix.putState(roomId, 'm.room.retention', '', policy);
    }
  }
}

/**
 * What a deleted conversation left on the agents' side, removed: in each force's queue room its entry loses the
 * triage and its notes, notice and earlier entry versions are redacted; in each force's supervisors room its legal
 * hold and anonymity-lifting requests lose their reasons (earlier versions redacted) and its exports are taken
 * back. Both forces': a conversation held or exported by one force, then transferred to the other, has a hold or an
 * export in each supervisors room (federated, on each force's server).
 */
async function scrubDeletedConversation(ctx: Context, roomId: string): Promise<void> {
  for (const queueForce of FORCES) {
    const queueRoomId = ctx.store.forces[queueForce].queueRoomId;
    const entry = await ctx.matrix.getState<ConversationEntry>(queueRoomId, EventType.Conversation, roomId);
    if (!entry || typeof entry.ticket !== 'number') continue;
    if (entry.triage) {
      const { triage: _triage, ...rest } = entry;
      await ctx.matrix.putState(queueRoomId, EventType.Conversation, roomId, cleanEntry(rest));
    }
    await redactQueueTraces(ctx.matrix, {
      queueRoomId,
      conversationRoomId: roomId,
      ...(entry.queueEventId ? { queueEventId: entry.queueEventId } : {}),
    });
  }
  for (const force of FORCES)
    await scrubLegalHold(ctx.matrix, ctx.store.forces[force].supervisorsRoomId, roomId, ctx.now());
  await scrubDisclosures(ctx, roomId);
  for (const force of FORCES) {
    const recordRoomId = ctx.store.forces[force].supervisorsRoomId;
    for (const record of await readExportRecords(ctx.matrix, recordRoomId)) {
      if (record.conversation === roomId && record.removedAt === undefined)
        await removeExport(ctx, recordRoomId, record, ctx.now(), 'conversation_deleted');
    }
  }
}

/** Exports whose time in the supervisors room is over are taken back (redacted, media deleted, audited). */
async function sweepExports(ctx: Context): Promise<{ removed: number; failed: number }> {
  let removed = 0;
  let failed = 0;
  for (const force of FORCES) {
    const recordRoomId = ctx.store.forces[force].supervisorsRoomId;
    for (const record of dueExports(
      await readExportRecords(ctx.matrix, recordRoomId),
      ctx.now(),
      ctx.config.retention.exportPeriod * 1000,
      new Set(),
    )) {
      try {
        await removeExport(ctx, recordRoomId, record, ctx.now(), 'period');
        removed++;
      } catch (error) {
        failed++;
        ctx.log.error({ exportId: record.id, status: statusOf(error) }, 'could not take an export back');
      }
    }
  }
  return { removed, failed };
}

/**
 * One retention pass: deletes with purge every ended conversation whose period ran out and that no legal hold
 * keeps; then, for every deletion not yet followed up (recorded in its retention record, so a crash in between is
 * finished at the next pass), scrubs its traces on the agents' side, ends the guest if not yet done, and drops it
 * from memory (a restart would not find the room anyway). Exports past their period are taken back.
 * Returns how many items it had to leave for the next pass (the retention alert counts them).
 */
export async function sweepConversationRetention(ctx: Context): Promise<number> {
  const report = await sweepRetention(ctx, {
    recordRooms: {
      police: ctx.store.forces.police.supervisorsRoomId,
      gendarmerie: ctx.store.forces.gendarmerie.supervisorsRoomId,
    },
    candidates: async () => candidates(ctx),
    defaultPeriodMs: ctx.config.retention.period * 1000,
    ...(ctx.config.deletionJournal ? { deletion: { journal: new DeletionJournal(ctx.config.deletionJournal) } } : {}),
  });
  for (const deleted of report.deleted) {
    const disclosure = [...ctx.store.disclosures.values()].find(
      (candidate) => candidate.disclosureRoom === deleted.roomId,
    );
    if (disclosure) await saveDisclosure(ctx, { ...disclosure, disclosureRoomDeletedAt: ctx.now() });
  }
  let scrubbed = 0;
  let unscrubbed = 0;
  for (const force of FORCES) {
    const recordRoomId = ctx.store.forces[force].supervisorsRoomId;
    for (const [roomId, record] of (await readSafetyState(ctx.matrix, recordRoomId)).records) {
      if (record.deletedAt === undefined || record.scrubbedAt !== undefined) continue;
      try {
        await scrubDeletedConversation(ctx, roomId);
        const conversation = ctx.store.conversations.get(roomId);
        if (conversation) {
          await withConversation(ctx, roomId, async () => {
            if (
              conversation.entry?.guestEndedAt === undefined &&
              ctx.store.latestByGuest.get(conversation.guest) === roomId
            )
              await endGuestAccount(ctx.matrix, conversation.guest);
            ctx.store.conversations.delete(roomId);
            ctx.store.addressOf.delete(conversation.guest);
          });
        }
        await saveRetentionRecord(ctx.matrix, recordRoomId, roomId, { ...record, scrubbedAt: ctx.now() });
        scrubbed++;
      } catch (error) {
        unscrubbed++;
        ctx.log.error({ roomId, status: statusOf(error) }, 'could not remove the traces of a deleted conversation');
      }
    }
  }
  const exports = await sweepExports(ctx);
  if (report.deleted.length || report.failed.length || scrubbed || exports.removed || unscrubbed || exports.failed) {
    ctx.log.info(
      {
        deleted: report.deleted.length,
        held: report.held,
        failed: report.failed.length,
        scrubbed,
        exports: exports.removed,
      },
      'retention sweep',
    );
  }
  return report.failed.length + unscrubbed + exports.failed;
}
