import { describe, expect, it } from 'vitest';
import { browserSessionStore, loginErrorFor } from './session.ts';

function memoryStorage(): Storage {
  const map = new Map<string, string>();
  return {
    get length() {
      return map.size;
    },
    clear: () => map.clear(),
    getItem: (key) => map.get(key) ?? null,
    key: (index) => [...map.keys()][index] ?? null,
    removeItem: (key) => void map.delete(key),
    setItem: (key, value) => void map.set(key, value),
  };
}

describe('session store', () => {
  const session = { homeserverUrl: 'http://hs', userId: '@a:hs', accessToken: 'syt_x', deviceId: 'D' };
  it('survives a reload and is gone after logout', () => {
    const storage = memoryStorage();
    browserSessionStore(storage).save(session);
    expect(browserSessionStore(storage).load()).toEqual(session);
    browserSessionStore(storage).clear();
    expect(browserSessionStore(storage).load()).toBeUndefined();
    expect(storage.length).toBe(0);
  });
  it('drops a corrupt entry', () => {
    const storage = memoryStorage();
    storage.setItem('espace-mineurs.agent-session', '{"userId":1');
    expect(browserSessionStore(storage).load()).toBeUndefined();
    expect(storage.length).toBe(0);
  });
});

describe('login errors', () => {
  it('maps on errcode, not on message', () => {
    expect(loginErrorFor(403, 'M_FORBIDDEN').code).toBe('BAD_CREDENTIALS');
    expect(loginErrorFor(429, 'M_LIMIT_EXCEEDED').code).toBe('RATE_LIMITED');
    expect(loginErrorFor(401, 'M_USER_DEACTIVATED').code).toBe('DEACTIVATED');
    expect(loginErrorFor(500, undefined).code).toBe('UNEXPECTED');
  });
});
