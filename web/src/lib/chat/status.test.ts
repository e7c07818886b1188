import type { PublicStatus } from '@espace-mineurs/protocol';
import { describe, expect, it } from 'vitest';
import { describeStatus, formatWait, isFinished } from './status.ts';

const base: PublicStatus = { state: 'queued', agentJoined: false, updatedAt: 0 };

describe('formatWait', () => {
  it('rounds to words a young person reads at a glance', () => {
    expect(formatWait(20)).toBe('moins d’une minute');
    expect(formatWait(61)).toBe('environ 1 minute');
    expect(formatWait(7 * 60 + 10)).toBe('environ 7 minutes');
    expect(formatWait(3600)).toBe('environ 1 heure');
    expect(formatWait(5400)).toBe('environ 1 heure 30');
  });
});

describe('describeStatus', () => {
  it('shows the position and the estimated wait while queued', () => {
    const text = describeStatus({ ...base, position: 3, estimatedWaitSeconds: 300, force: 'gendarmerie' });
    expect(text.headline).toBe('Tu es 3e dans la file d’attente (Gendarmerie nationale)');
    expect(text.detail).toBe('Temps d’attente estimé : environ 5 minutes.');
    expect(text.waiting).toBe(true);
  });

  it('says when the young person is next', () => {
    expect(describeStatus({ ...base, position: 1 }).headline).toMatch(/prochaine personne/);
  });

  it('names the agent only by pseudonym', () => {
    expect(describeStatus({ ...base, state: 'assigned', agentJoined: true, agentPseudonym: 'Camille' }).headline).toBe(
      'Tu parles avec Camille',
    );
  });

  it('knows when the conversation is over', () => {
    expect(isFinished({ ...base, state: 'closed' })).toBe(true);
    expect(isFinished({ ...base, state: 'assigned' })).toBe(false);
    expect(isFinished(undefined)).toBe(false);
  });
});
