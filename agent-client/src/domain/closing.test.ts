import { describe, expect, it } from 'vitest';
import { Command } from '@espace-mineurs/protocol';
import { closeCommand, coolDownLabel, endedSummary, legalHoldCommand } from './closing.ts';
import { entry } from './fixtures.ts';

const valid = (input: object) => Command.safeParse({ ...input, requestId: 'r1' }).success;

describe('closing', () => {
  it('closes without cooling down unless asked', () => {
    const result = closeCommand('!a:test', '3018', { enabled: false, minutes: 'abc' });
    expect(result).toEqual({ ok: true, value: { action: 'close', conversation: '!a:test', outcome: '3018' } });
    if (result.ok) expect(valid(result.value)).toBe(true);
  });

  it('cools down for a whole number of minutes within a week, as the protocol accepts', () => {
    const result = closeCommand('!a:test', 'none', { enabled: true, minutes: ' 60 ' });
    expect(result).toEqual({
      ok: true,
      value: { action: 'close', conversation: '!a:test', outcome: 'none', coolDownMinutes: 60 },
    });
    if (result.ok) expect(valid(result.value)).toBe(true);
    for (const minutes of ['0', '-5', '1.5', '', 'dix', String(7 * 24 * 60 + 1)]) {
      expect(closeCommand('!a:test', 'none', { enabled: true, minutes })).toMatchObject({
        ok: false,
        problem: expect.stringContaining('minutes'),
      });
    }
    expect(coolDownLabel(30)).toBe('30 min');
    expect(coolDownLabel(1440)).toBe('24 h');
  });

  it('puts or lifts a legal hold only with a reason', () => {
    expect(legalHoldCommand('!a:test', true, ' abc ')).toMatchObject({ ok: false });
    const held = legalHoldCommand('!a:test', true, ' PV 2026/123 ');
    expect(held).toEqual({
      ok: true,
      value: { action: 'legal_hold', conversation: '!a:test', hold: true, reason: 'PV 2026/123' },
    });
    if (held.ok) expect(valid(held.value)).toBe(true);
    const lifted = legalHoldCommand('!a:test', false, 'Procédure classée');
    if (lifted.ok) expect(valid(lifted.value)).toBe(true);
  });
});

describe('endedSummary', () => {
  it('says what happened to a closed or abandoned conversation', () => {
    const closed = endedSummary(entry({ state: 'closed', ticket: 12, outcome: '3018' }), 'Orientation vers le 3018');
    expect(closed.title).toBe('Conversation n° 12 clôturée');
    expect(closed.detail).toContain('Orientation vers le 3018. Le jeune a reçu le message de fin');
    expect(endedSummary(entry({ state: 'abandoned', ticket: 4 }), undefined).detail).toContain(
      'Le jeune a quitté la conversation',
    );
  });
});
