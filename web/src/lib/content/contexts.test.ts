import { describe, expect, it } from 'vitest';
import { CONTEXTS, contextBySlug, triageContextFromQuery } from './contexts.ts';

describe('contexts', () => {
  it('has the three entry points, each leading to content', () => {
    expect(CONTEXTS.map((context) => context.label)).toEqual([
      'À la maison, dans la rue, au sport',
      'Sur les réseaux sociaux',
      'Au sein de l’école, du collège ou du lycée',
    ]);
    for (const context of CONTEXTS) expect(context.topics.length).toBeGreaterThan(0);
    expect(contextBySlug('reseaux-sociaux')?.id).toBe('online');
  });

  it('passes only known triage contexts on to the bot', () => {
    expect(triageContextFromQuery('ecole')).toBe('ecole');
    expect(triageContextFromQuery('<script>')).toBeUndefined();
    expect(triageContextFromQuery(null)).toBeUndefined();
  });
});
