import { FORCE_LABEL, type ConversationEntry, type Force, type TriageProgress } from '@espace-mineurs/protocol';
import type { Context } from '../runtime/context.ts';
import { route } from '../routing/policy.ts';
import type { Conversation } from '../state/store.ts';
import { summarize } from '../triage/machine.ts';
import { crashPoint } from '../runtime/fault.ts';
import { auditTriageEvidence } from '../evidence/custody.ts';
import { cleanEntry, saveEntry } from '../conversation/entry.ts';
import { alertees, postQueueLine, rings } from './notices.ts';
import { labelConversationRoom } from './room-label.ts';
import { refreshPositionsSoon, writeStatus } from '../conversation/status.ts';

/** Agents-only line of a queue notice for a conversation opened in a series (ConversationEntry.serialOpening). */
export const SERIAL_OPENING_LINE =
  'Attention : ouverture en série depuis une même adresse (établissement, opérateur mobile… ou script).';

export function queueNotice(entry: ConversationEntry, lead: string): string {
  const urgent = entry.priority === 'urgent' ? ' — URGENT (danger immédiat signalé)' : '';
  const serial = entry.serialOpening ? `\n${SERIAL_OPENING_LINE}` : '';
  return `${lead} n°${entry.ticket}${urgent}${serial}\n${entry.triage?.text ?? ''}\nPour la prendre : !prendre ${entry.ticket}`;
}

/**
 * Triage finished: route to a force and put the conversation in its queue. Runs under the conversation lock.
 * Replaying the same cause after a crash finds the entry it committed and redoes only the idempotent effects.
 */
export async function enqueue(
  ctx: Context,
  conversation: Conversation,
  cause: string,
  at: number,
  progress: TriageProgress,
): Promise<void> {
  let entry = conversation.entry;
  // An entry already there is this step's own commit (a replay), which is queued; anything else is not ours.
  if (entry && (entry.lastEvent !== cause || entry.state !== 'queued')) return;
  if (!entry) {
    const triage = summarize(ctx.triage, progress);
    const decision = route(ctx.rules, triage.postalCode, ctx.store.loads());
    const draft = cleanEntry({
      roomId: conversation.roomId,
      ticket: ctx.store.takeTicket(decision.force),
      state: 'queued',
      force: decision.force,
      priority: progress.urgent ? 'urgent' : 'normal',
      triage,
      createdAt: conversation.createdAt,
      queuedAt: at,
      lastEvent: cause,
      serialOpening: ctx.store.addressOf.isSerial(conversation.guest) ? true : undefined,
    });
    // The notice first, so the entry is written once, with its thread root. Its transaction id includes the
    // ticket: should a crash make the replay take another ticket, the notice shown is the right one.
    const queueEventId = await announce(ctx, draft, queueNotice(draft, 'Nouvelle conversation'), cause);
    entry = { ...draft, queueEventId };
    await saveEntry(ctx, conversation, entry);
    ctx.log.info(
      { roomId: conversation.roomId, force: decision.force, reason: decision.reason, ticket: entry.ticket },
      'queued',
    );
    crashPoint('enqueue-after-commit');
  }
  await writeStatus(ctx, conversation, ctx.now());
  refreshPositionsSoon(ctx, entry.force);
  // After the young person's status: the staff-side label must not delay what they see.
  await labelConversationRoom(ctx, { ...conversation, entry });
  await ctx.audit.write([entry.force], cause, {
    // Opening and queueing are recorded together: the young person opened at openedAt, the bot queued at `at`.
    actor: conversation.guest,
    action: 'open_and_queue',
    conversation: conversation.roomId,
    at: entry.queuedAt,
    details: { force: entry.force, ticket: entry.ticket, priority: entry.priority, openedAt: entry.createdAt },
  });
  await auditTriageEvidence(ctx, conversation, entry.force);
}

/** The queue notice of an entry: it rings the force's agents when urgent (or always, by config). */
function announce(ctx: Context, entry: ConversationEntry, body: string, cause: string): Promise<string> {
  return postQueueLine(
    ctx,
    entry.force,
    body,
    rings(ctx, entry) ? { mention: alertees(ctx, entry.force) } : {},
    cause,
    'queued',
    String(entry.ticket),
  );
}

/** Queue notice (remembered as the thread root for notes when there is none yet), public status, positions. */
export async function announceQueued(
  ctx: Context,
  conversation: Conversation,
  entry: ConversationEntry,
  cause: string,
  lead: string,
): Promise<void> {
  const eventId = await announce(ctx, entry, queueNotice(entry, lead), cause);
  const current = conversation.entry ?? entry;
  if (current.queueEventId === undefined) await saveEntry(ctx, conversation, { ...current, queueEventId: eventId });
  await writeStatus(ctx, conversation, ctx.now());
  refreshPositionsSoon(ctx, entry.force);
  if (conversation.entry) await labelConversationRoom(ctx, { ...conversation, entry: conversation.entry });
}

export function forceLabel(force: Force): string {
  return FORCE_LABEL[force];
}
