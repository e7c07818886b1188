import { describe, expect, it } from 'vitest';
import { cannedFromState, DEFAULT_CANNED, fillCanned, filterCanned } from './canned.ts';

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
