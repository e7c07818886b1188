import { describe, expect, it, vi } from 'vitest';
import { announceLeaving } from './leave-beacon.ts';
import { newSession, saveSession } from './session-store.ts';

function storageWith(token?: string) {
  const items = new Map<string, string>();
  const storage = {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  };
  if (token)
    saveSession(
      storage,
      newSession({ homeserverUrl: 'https://hs.example', userId: '@1:hs.example', accessToken: token, deviceId: 'D' }),
    );
  return storage;
}

describe('announceLeaving', () => {
  it('hands the bot a beacon whose text/plain body is the guest token (no header, so no preflight)', async () => {
    const sendBeacon = vi.fn((_url: string, _body?: BodyInit | null) => true);
    expect(announceLeaving('https://bot.example', storageWith('syt_abc'), { sendBeacon })).toBe(true);
    expect(sendBeacon).toHaveBeenCalledOnce();
    const [url, body] = sendBeacon.mock.calls[0]!;
    expect(url).toBe('https://bot.example/api/conversations/current/leave');
    expect(body).toBeInstanceOf(Blob);
    expect((body as Blob).type).toBe('text/plain');
    expect(await (body as Blob).text()).toBe('syt_abc');
  });

  it('sends nothing when no conversation was started in this tab', () => {
    const sendBeacon = vi.fn(() => true);
    expect(announceLeaving('https://bot.example', storageWith(), { sendBeacon })).toBe(false);
    expect(sendBeacon).not.toHaveBeenCalled();
  });
});
