import { describe, expect, it } from 'vitest';
import { composerKeyAction, neighbour, shortcutFor } from './keyboard.ts';

const key = (
  code: string,
  key: string,
  mods: Partial<{ altKey: boolean; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean }> = {},
) => ({
  code,
  key,
  altKey: false,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  ...mods,
});

describe('shortcuts', () => {
  it('maps Alt + physical key, whatever the layout prints', () => {
    expect(shortcutFor(key('KeyP', 'π', { altKey: true }))).toBe('claim-next');
    expect(shortcutFor(key('ArrowDown', 'ArrowDown', { altKey: true }))).toBe('next-conversation');
    expect(shortcutFor(key('KeyP', 'p'))).toBeUndefined();
    expect(shortcutFor(key('KeyP', 'p', { altKey: true, ctrlKey: true }))).toBeUndefined();
  });

  it('sends on Enter, not on Shift+Enter nor while composing', () => {
    expect(composerKeyAction(key('Enter', 'Enter'))).toBe('send');
    expect(composerKeyAction(key('Enter', 'Enter', { shiftKey: true }))).toBeUndefined();
    expect(composerKeyAction({ ...key('Enter', 'Enter'), isComposing: true })).toBeUndefined();
  });

  it('moves between conversations and wraps around', () => {
    expect(neighbour(['a', 'b', 'c'], 'c', 1)).toBe('a');
    expect(neighbour(['a', 'b', 'c'], 'a', -1)).toBe('c');
    expect(neighbour(['a', 'b'], undefined, 1)).toBe('a');
    expect(neighbour([], 'a', 1)).toBeUndefined();
  });
});
