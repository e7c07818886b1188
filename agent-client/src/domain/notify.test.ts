import { describe, expect, it } from 'vitest';
import { entry } from './fixtures.ts';
import { alertsFor, alertText, disclosureAlerts, queueAlerts } from './notify.ts';
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
    const requeued = { ...a, state: 'queued' as const };
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
    expect(alertText(alerts[0]!)).toEqual({ title: "Levée d'anonymat à décider", body: "Ticket n° 7 — un agent attend la décision d'un superviseur." });
    expect(alertsFor(POLICE_SUPERVISOR, undefined, alerts)).toEqual(alerts);
    expect(alertsFor(POLICE_AGENT, { onDuty: true, capacity: 3, updatedAt: 0 }, alerts)).toEqual([]);
  });
});
