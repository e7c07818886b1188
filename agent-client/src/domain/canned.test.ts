import { describe, expect, it } from 'vitest';
import { cannedFromState, checkCannedDraft, DEFAULT_CANNED, fillCanned, filterCanned } from './canned.ts';

describe('canned responses', () => {
  it('uses the force’s defaults until a list is published, and ignores malformed content', () => {
    expect(cannedFromState(undefined, 'police')).toBe(DEFAULT_CANNED.police);
    expect(cannedFromState({ responses: 'nope' }, 'gendarmerie')).toBe(DEFAULT_CANNED.gendarmerie);
    const list = [{ id: 'a', title: 'Bonjour', body: 'Salut' }];
    expect(cannedFromState({ responses: list }, 'police')).toEqual(list);
  });

  it('fills the pseudonym', () => {
    expect(fillCanned('Je suis {pseudo}.', { pseudo: 'Alex' })).toBe('Je suis Alex.');
  });

  it('filters without caring about case or accents', () => {
    const found = filterCanned(DEFAULT_CANNED.police, 'SECURITE');
    expect(found.map((item) => item.id)).toContain('safe');
    expect(filterCanned(DEFAULT_CANNED.police, '')).toHaveLength(DEFAULT_CANNED.police.length);
  });
});

describe('checking a supervisor’s edited list', () => {
  it('drops blank lines and trims', () => {
    const check = checkCannedDraft([
      { id: 'a', title: ' Bonjour ', body: ' Salut ' },
      { id: 'b', title: '', body: '  ' },
    ]);
    expect(check).toEqual({ ok: true, content: { responses: [{ id: 'a', title: 'Bonjour', body: 'Salut' }] } });
  });

  it('names what is missing or too long instead of cutting it', () => {
    expect(checkCannedDraft([{ id: 'a', title: 'Titre', body: '' }])).toEqual({
      ok: false,
      problem: 'Réponse n° 1 : il manque le texte.',
    });
    expect(
      checkCannedDraft([
        { id: 'a', title: 'ok', body: 'ok' },
        { id: 'b', title: '', body: 'texte' },
      ]),
    ).toEqual({ ok: false, problem: 'Réponse n° 2 : il manque le titre.' });
    expect(checkCannedDraft([{ id: 'a', title: 'x'.repeat(81), body: 'ok' }])).toMatchObject({
      ok: false,
      problem: expect.stringContaining('80'),
    });
    expect(checkCannedDraft([])).toMatchObject({ ok: false });
  });
});
