import { describe, expect, it } from 'vitest';
import { clearSession, loadSession, newSession, saveSession } from './session-store.ts';

function memoryStorage() {
  const map = new Map<string, string>();
  return {
    getItem: (key: string) => map.get(key) ?? null,
    setItem: (key: string, value: string) => void map.set(key, value),
    removeItem: (key: string) => void map.delete(key),
    map,
  };
}

const credentials = { homeserverUrl: 'http://hs', userId: '@1:hs', accessToken: 'tok', deviceId: 'DEV' };

describe('session store', () => {
  it('round-trips a session', () => {
    const storage = memoryStorage();
    const session = { ...newSession(credentials, () => 'abc'), roomId: '!r:hs' };
    saveSession(storage, session);
    expect(loadSession(storage)).toEqual(session);
    clearSession(storage);
    expect(loadSession(storage)).toBeUndefined();
  });

  it('ignores what it cannot trust instead of crashing the page', () => {
    const storage = memoryStorage();
    storage.setItem('espace.chat', '{not json');
    expect(loadSession(storage)).toBeUndefined();
    storage.setItem('espace.chat', JSON.stringify({ version: 1, credentials: { userId: 1 } }));
    expect(loadSession(storage)).toBeUndefined();
  });
});
