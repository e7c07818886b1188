import type { ConversationEntry, DutyContent } from '@espace-mineurs/protocol';
import type { Me } from './model.ts';

export interface Alert {
  roomId: string;
  ticket: number;
  /** `message`: the young person wrote in one of the agent's own conversations. */
  kind: 'new' | 'urgent' | 'disclosure' | 'message';
  /** For a message: the conversation is urgent (louder chime, notification that stays). */
  urgent?: boolean;
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
    if (!old || old.state !== 'queued')
      alerts.push({ roomId: entry.roomId, ticket: entry.ticket, kind: entry.priority === 'urgent' ? 'urgent' : 'new' });
    else if (old.priority !== 'urgent' && entry.priority === 'urgent')
      alerts.push({ roomId: entry.roomId, ticket: entry.ticket, kind: 'urgent' });
  }
  return alerts;
}

/**
 * Disclosure requests a supervisor may decide that were not there before: each needs a decision before it
 * expires. As for the queue, the first snapshot only sets the baseline.
 */
export function disclosureAlerts(
  previous: Set<string> | undefined,
  decidable: Array<{ id: string; conversation: string }>,
  ticketOf: (roomId: string) => number | undefined,
): Alert[] {
  if (previous === undefined) return [];
  return decidable
    .filter((request) => !previous.has(request.id))
    .map((request) => ({
      roomId: request.conversation,
      ticket: ticketOf(request.conversation) ?? 0,
      kind: 'disclosure' as const,
    }));
}

/**
 * New messages in the agent's own conversations, comparing unread counts with the previous snapshot: each room
 * whose count went up, except the one the agent is reading right now. A conversation that just became the
 * agent's only sets its baseline (what was said before the claim is not "new").
 */
export function messageAlerts(
  previous: Map<string, number> | undefined,
  unread: Map<string, number>,
  mine: ConversationEntry[],
  reading: string | undefined,
): Alert[] {
  if (previous === undefined) return [];
  const alerts: Alert[] = [];
  for (const entry of mine) {
    const before = previous.get(entry.roomId);
    const now = unread.get(entry.roomId) ?? 0;
    if (before === undefined || now <= before || entry.roomId === reading) continue;
    alerts.push({
      roomId: entry.roomId,
      ticket: entry.ticket,
      kind: 'message',
      ...(entry.priority === 'urgent' ? { urgent: true } : {}),
    });
  }
  return alerts;
}

/** The tab title, with what needs eyes first, counted in French (« 1 non lu », « 2 non lus »). */
export function tabTitle(counts: { urgent: number; waiting: number; unread: number }): string {
  const parts = [
    counts.urgent > 0 ? `⚠ ${counts.urgent}` : '',
    counts.waiting > 0 ? `${counts.waiting} en attente` : '',
    counts.unread > 0 ? `${counts.unread} non ${counts.unread > 1 ? 'lus' : 'lu'}` : '',
  ].filter(Boolean);
  return `${parts.length ? `(${parts.join(' · ')}) ` : ''}Espace mineurs — agents`;
}

/** Notification text: no triage detail, reason or words of the young person on a lock screen. */
export function alertText(alert: Alert): { title: string; body: string } {
  if (alert.kind === 'message')
    return {
      title: alert.urgent ? 'Nouveau message — conversation prioritaire' : 'Nouveau message',
      body: `Ticket n° ${alert.ticket}`,
    };
  if (alert.kind === 'disclosure')
    return {
      title: "Levée d'anonymat à décider",
      body: `Ticket n° ${alert.ticket} — un agent attend la décision d'un superviseur.`,
    };
  return alert.kind === 'urgent'
    ? { title: 'Conversation prioritaire', body: `Ticket n° ${alert.ticket} — un jeune est peut-être en danger.` }
    : { title: 'Nouvelle conversation en attente', body: `Ticket n° ${alert.ticket}` };
}

/**
 * Who hears what: an agent on duty every queue alert, an agent off duty none (they are not taking
 * conversations), a supervisor only the urgent ones and disclosure requests to decide (they watch the queue on
 * screen; a chime per arrival would be noise); everyone, the messages of their own conversations.
 */
export function alertsFor(me: Me, duty: DutyContent | undefined, alerts: Alert[]): Alert[] {
  // A message in one's own conversation always rings: going off duty stops new arrivals, not the ones in hand.
  const messages = alerts.filter((alert) => alert.kind === 'message');
  const others = alerts.filter((alert) => alert.kind !== 'message');
  if (me.role === 'supervisor') return [...others.filter((alert) => alert.kind !== 'new'), ...messages];
  return [...(duty?.onDuty ? others.filter((alert) => alert.kind !== 'disclosure') : []), ...messages];
}
