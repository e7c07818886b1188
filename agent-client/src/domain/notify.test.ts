import { describe, expect, it } from 'vitest';
import type { ConversationEntry } from '@espace-mineurs/protocol';
import { entry } from './fixtures.ts';
import { alertsFor, alertText, disclosureAlerts, messageAlerts, queueAlerts, tabTitle } from './notify.ts';
import { POLICE_AGENT, POLICE_SUPERVISOR } from './fixtures.ts';

describe('queueAlerts', () => {
  it('stays quiet on the first snapshot (what was already waiting at login)', () => {
    expect(queueAlerts(undefined, [entry()])).toEqual([]);
  });

  it('alerts on a new waiting conversation, and as urgent when it is', () => {
    const a = entry();
    const b = entry();
    const c = entry({ priority: 'urgent' });
    expect(queueAlerts([a], [a, b, c])).toEqual([
      { roomId: b.roomId, ticket: b.ticket, kind: 'new' },
      { roomId: c.roomId, ticket: c.ticket, kind: 'urgent' },
    ]);
  });

  it('alerts when a waiting conversation becomes urgent, not on every refresh', () => {
    const a = entry();
    const urgent = { ...a, priority: 'urgent' as const };
    expect(queueAlerts([a], [urgent])).toEqual([{ roomId: a.roomId, ticket: a.ticket, kind: 'urgent' }]);
    expect(queueAlerts([urgent], [urgent])).toEqual([]);
  });

  it('alerts again when a conversation is re-queued', () => {
    const a = entry({ state: 'assigned' });
    const requeued = { ...a, state: 'queued' } as ConversationEntry;
    expect(queueAlerts([a], [requeued])).toHaveLength(1);
  });
});

describe('alertText', () => {
  it('carries no triage detail, only the ticket', () => {
    const text = alertText({ roomId: '!r:test', ticket: 7, kind: 'urgent' });
    expect(text.body).toContain('7');
    expect(JSON.stringify(text)).not.toContain('!r:test');
  });
});

describe('alertsFor', () => {
  const alerts = [
    { roomId: '!a:test', ticket: 1, kind: 'new' as const },
    { roomId: '!b:test', ticket: 2, kind: 'urgent' as const },
  ];
  it('rings for an agent on duty only', () => {
    expect(alertsFor(POLICE_AGENT, { onDuty: true, capacity: 3, updatedAt: 0 }, alerts)).toEqual(alerts);
    expect(alertsFor(POLICE_AGENT, { onDuty: false, capacity: 3, updatedAt: 0 }, alerts)).toEqual([]);
    expect(alertsFor(POLICE_AGENT, undefined, alerts)).toEqual([]);
  });
  it('rings for a supervisor on urgent conversations only', () => {
    expect(alertsFor(POLICE_SUPERVISOR, undefined, alerts)).toEqual([alerts[1]]);
  });
});

describe('disclosure requests to decide', () => {
  const request = { id: 'd1', conversation: '!c:test' };
  it('alerts a supervisor to a new request once, after the baseline, without the reason', () => {
    expect(disclosureAlerts(undefined, [request], () => 7)).toEqual([]);
    const alerts = disclosureAlerts(new Set(), [request], () => 7);
    expect(alerts).toEqual([{ roomId: '!c:test', ticket: 7, kind: 'disclosure' }]);
    expect(disclosureAlerts(new Set(['d1']), [request], () => 7)).toEqual([]);
    expect(alertText(alerts[0]!)).toEqual({
      title: "Levée d'anonymat à décider",
      body: "Ticket n° 7 — un agent attend la décision d'un superviseur.",
    });
    expect(alertsFor(POLICE_SUPERVISOR, undefined, alerts)).toEqual(alerts);
    expect(alertsFor(POLICE_AGENT, { onDuty: true, capacity: 3, updatedAt: 0 }, alerts)).toEqual([]);
  });
});

describe('messageAlerts', () => {
  const mine = entry({ state: 'assigned', assignee: POLICE_AGENT.userId });
  const urgentMine = entry({ state: 'assigned', assignee: POLICE_AGENT.userId, priority: 'urgent' });
  it('rings for a new message in my other conversations, urgent ones marked, none on the baseline', () => {
    const before = new Map([
      [mine.roomId, 0],
      [urgentMine.roomId, 1],
    ]);
    const after = new Map([
      [mine.roomId, 1],
      [urgentMine.roomId, 2],
    ]);
    expect(messageAlerts(undefined, after, [mine, urgentMine], undefined)).toEqual([]);
    expect(messageAlerts(before, after, [mine, urgentMine], undefined)).toEqual([
      { roomId: mine.roomId, ticket: mine.ticket, kind: 'message' },
      { roomId: urgentMine.roomId, ticket: urgentMine.ticket, kind: 'message', urgent: true },
    ]);
  });
  it('stays quiet for the conversation being read, for a count going down, and for a conversation just claimed', () => {
    expect(messageAlerts(new Map([[mine.roomId, 0]]), new Map([[mine.roomId, 1]]), [mine], mine.roomId)).toEqual([]);
    expect(messageAlerts(new Map([[mine.roomId, 3]]), new Map([[mine.roomId, 0]]), [mine], undefined)).toEqual([]);
    expect(messageAlerts(new Map(), new Map([[mine.roomId, 2]]), [mine], undefined)).toEqual([]);
  });
  it('says nothing of the message on the lock screen, and reaches an agent off duty', () => {
    const alert = { roomId: urgentMine.roomId, ticket: 7, kind: 'message' as const, urgent: true };
    expect(alertText(alert)).toEqual({ title: 'Nouveau message — conversation prioritaire', body: 'Ticket n° 7' });
    expect(alertsFor(POLICE_AGENT, { onDuty: false, capacity: 3, updatedAt: 0 }, [alert])).toEqual([alert]);
  });
});

describe('tabTitle', () => {
  it('counts in French', () => {
    expect(tabTitle({ urgent: 0, waiting: 0, unread: 1 })).toBe('(1 non lu) Espace mineurs — agents');
    expect(tabTitle({ urgent: 1, waiting: 2, unread: 2 })).toBe(
      '(⚠ 1 · 2 en attente · 2 non lus) Espace mineurs — agents',
    );
    expect(tabTitle({ urgent: 0, waiting: 0, unread: 0 })).toBe('Espace mineurs — agents');
  });
});
