import { describe, expect, it, vi } from 'vitest';
import { isQuickExitKey, quickExit } from './quick-exit.ts';

function fakeWindow(clear: () => void = () => {}) {
  const calls: string[] = [];
  const listeners = new Map<string, () => void>();
  const win = {
    sessionStorage: {
      clear: vi.fn(() => {
        calls.push('clear');
        clear();
      }),
    },
    location: { replace: vi.fn((url: string) => calls.push(`replace ${url}`)) },
    addEventListener: vi.fn((type: string, listener: () => void) => listeners.set(type, listener)),
  };
  return { win: win as unknown as Pick<Window, 'sessionStorage' | 'location' | 'addEventListener'>, calls, listeners };
}

describe('quickExit', () => {
  it('clears session storage before replacing the page', () => {
    const { win, calls } = fakeWindow();
    quickExit('https://neutral.example', win);
    expect(calls).toEqual(['clear', 'replace https://neutral.example']);
  });

  it('clears again as the page unloads, after what the framework saved then', () => {
    const { win, calls, listeners } = fakeWindow();
    quickExit('https://neutral.example', win);
    listeners.get('pagehide')?.();
    expect(calls).toEqual(['clear', 'replace https://neutral.example', 'clear']);
  });

  it('still leaves when storage throws', () => {
    const { win, calls } = fakeWindow(() => {
      throw new Error('SecurityError');
    });
    quickExit('https://neutral.example', win);
    expect(calls.at(-1)).toBe('replace https://neutral.example');
  });
});

describe('isQuickExitKey', () => {
  it('reacts to Escape but not while an input method is composing', () => {
    expect(isQuickExitKey({ key: 'Escape', isComposing: false })).toBe(true);
    expect(isQuickExitKey({ key: 'Escape', isComposing: true })).toBe(false);
    expect(isQuickExitKey({ key: 'Enter', isComposing: false })).toBe(false);
  });
});
