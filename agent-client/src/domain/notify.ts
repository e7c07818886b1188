import type { ConversationEntry, DutyContent } from '@espace-mineurs/protocol';
import type { Me } from './model.ts';

export interface Alert {
  roomId: string;
  ticket: number;
  kind: 'new' | 'urgent';
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

/** Notification text: no triage detail or words of the young person on a lock screen. */
export function alertText(alert: Alert): { title: string; body: string } {
  return alert.kind === 'urgent'
    ? { title: 'Conversation prioritaire', body: `Ticket n° ${alert.ticket} — un jeune est peut-être en danger.` }
    : { title: 'Nouvelle conversation en attente', body: `Ticket n° ${alert.ticket}` };
}

/**
 * Who hears what: an agent on duty every alert, an agent off duty none (they are not taking conversations),
 * a supervisor only the urgent ones (they watch the queue on screen; a chime per arrival would be noise).
 */
export function alertsFor(me: Me, duty: DutyContent | undefined, alerts: Alert[]): Alert[] {
  if (me.role === 'supervisor') return alerts.filter((alert) => alert.kind === 'urgent');
  return duty?.onDuty ? alerts : [];
}
