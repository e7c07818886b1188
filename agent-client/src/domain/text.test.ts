import { describe, expect, it } from 'vitest';
import { formatDuration } from './format.ts';
import { revealBidiControls } from './text.ts';

describe('revealBidiControls', () => {
  it('makes right-to-left overrides visible instead of letting them reorder text', () => {
    expect(revealBidiControls('photo\u202Egpj.exe')).toBe('photo⟨U+202E⟩gpj.exe');
    expect(revealBidiControls('a\u2066b\u2069')).toBe('a⟨U+2066⟩b⟨U+2069⟩');
  });
  it('leaves ordinary text, including Arabic or Hebrew, untouched', () => {
    expect(revealBidiControls('bonjour مرحبا שלום')).toBe('bonjour مرحبا שלום');
  });
});

describe('formatDuration', () => {
  it('is short and French', () => {
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(5 * 60_000)).toBe('5 min');
    expect(formatDuration(65 * 60_000)).toBe('1 h 05');
    expect(formatDuration(-5)).toBe('0 s');
  });
});
