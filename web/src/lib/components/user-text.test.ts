import { describe, expect, it } from 'vitest';
import { cleanName, linkHelpNumbers, revealBidiControls, splitAround } from './user-text.ts';

describe('revealBidiControls', () => {
  it('shows override and isolate controls instead of letting them reorder the text', () => {
    expect(revealBidiControls('photo\u202Egnp.exe')).toBe('photo⟨U+202E⟩gnp.exe');
    expect(revealBidiControls('a\u2067b\u2069')).toBe('a⟨U+2067⟩b⟨U+2069⟩');
  });

  it('leaves right-to-left letters and ordinary text alone', () => {
    expect(revealBidiControls('مرحبا, ça va ?')).toBe('مرحبا, ça va ?');
  });
});

describe('names inside a sentence', () => {
  it('splits around the name and drops its controls', () => {
    expect(splitAround('Tu parles avec Sam\u202E', 'Sam\u202E')).toEqual({
      before: 'Tu parles avec ',
      name: 'Sam',
      after: '',
    });
    expect(splitAround('Tu parles avec un policier', undefined)).toBeUndefined();
    expect(cleanName('\u202Dmaé')).toBe('maé');
  });
});

describe('linkHelpNumbers', () => {
  it('links the numbers of the danger message, the SMS one as sms:', () => {
    const parts = linkHelpNumbers('appelle le 17 (police secours) ou le 112. Envoie un SMS au 114 : écris où tu es.');
    expect(parts.filter((part) => 'href' in part).map((part) => ('href' in part ? part.href : ''))).toEqual([
      'tel:17',
      'tel:112',
      'sms:114',
    ]);
    expect(parts.map((part) => part.text).join('')).toBe(
      'appelle le 17 (police secours) ou le 112. Envoie un SMS au 114 : écris où tu es.',
    );
  });

  it('links the adults’ numbers, and leaves ages, hours and postal codes alone', () => {
    const hrefs = (text: string) => linkHelpNumbers(text).flatMap((part) => ('href' in part ? [part.href] : []));
    expect(hrefs('le 116 006, de 9 h à 19 h ; le 3919 ; le 3018')).toEqual(['tel:116006', 'tel:3919', 'tel:3018']);
    expect(hrefs('De 15 à 17 ans, par exemple 69003 ou 75017, 17 h')).toEqual([]);
  });
});
