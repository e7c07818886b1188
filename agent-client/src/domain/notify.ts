import type { ConversationEntry, DutyContent } from '@espace-mineurs/protocol';
import type { Me } from './model.ts';

export interface Alert {
  roomId: string;
  ticket: number;
  kind: 'new' | 'urgent' | 'disclosure';
}

/**
 * Which waiting conversations deserve a sound and a desktop notification, comparing the previous queue with
 * the current one: a conversation that newly entered the queue, or one that became urgent while waiting. The
 * first snapshot after login only sets the baseline (no burst of alerts for what was already waiting).
 */
export function queueAlerts(previous: ConversationEntry[] | undefined, current: ConversationEntry[]): Alert[] {
  if (previous === undefined) return [];
  const before = new Map(previous.map((entry) => [entry.roomId, entry]));
  const alerts: Alert[] = [];
  for (const entry of current) {
    if (entry.state !== 'queued') continue;
    const old = before.get(entry.roomId);
    if (!old || old.state !== 'queued') alerts.push({ roomId: entry.roomId, ticket: entry.ticket, kind: entry.priority === 'urgent' ? 'urgent' : 'new' });
    else if (old.priority !== 'urgent' && entry.priority === 'urgent') alerts.push({ roomId: entry.roomId, ticket: entry.ticket, kind: 'urgent' });
  }
  return alerts;
}

/**
 * Disclosure requests a supervisor may decide that were not there before: each needs a decision before it
 * expires. As for the queue, the first snapshot only sets the baseline.
 */
export function disclosureAlerts(previous: Set<string> | undefined, decidable: Array<{ id: string; conversation: string }>, ticketOf: (roomId: string) => number | undefined): Alert[] {
  if (previous === undefined) return [];
  return decidable.filter((request) => !previous.has(request.id)).map((request) => ({ roomId: request.conversation, ticket: ticketOf(request.conversation) ?? 0, kind: 'disclosure' as const }));
}

/** Notification text: no triage detail, reason or words of the young person on a lock screen. */
export function alertText(alert: Alert): { title: string; body: string } {
  if (alert.kind === 'disclosure') return { title: "Levée d'anonymat à décider", body: `Ticket n° ${alert.ticket} — un agent attend la décision d'un superviseur.` };
  return alert.kind === 'urgent'
    ? { title: 'Conversation prioritaire', body: `Ticket n° ${alert.ticket} — un jeune est peut-être en danger.` }
    : { title: 'Nouvelle conversation en attente', body: `Ticket n° ${alert.ticket}` };
}

/**
 * Who hears what: an agent on duty every alert, an agent off duty none (they are not taking conversations),
 * a supervisor only the urgent ones and disclosure requests to decide (they watch the queue on screen; a chime
 * per arrival would be noise).
 */
export function alertsFor(me: Me, duty: DutyContent | undefined, alerts: Alert[]): Alert[] {
  if (me.role === 'supervisor') return alerts.filter((alert) => alert.kind !== 'new');
  return duty?.onDuty ? alerts.filter((alert) => alert.kind !== 'disclosure') : [];
}
