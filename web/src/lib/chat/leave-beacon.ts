import { loadSession } from './session-store.ts';

type Beacon = Pick<Navigator, 'sendBeacon'>;

/**
 * Tells the bot, as the page unloads for the quick exit, that the young person left, so the agent knows at once
 * (bot/src/closing/leave.ts). `sendBeacon` survives the unload but cannot set headers, so the guest's token is
 * the text/plain body: a CORS-simple request, with no preflight the closing page could not wait for. Read
 * before the quick exit clears the session; nothing is stored. Returns whether a request was handed over.
 */
export function announceLeaving(
  botApiUrl: string,
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>,
  beacon?: Beacon,
): boolean {
  let session;
  try {
    session = loadSession(storage ?? window.sessionStorage);
  } catch {
    return false;
  }
  if (!session) return false;
  const url = `${botApiUrl}/api/conversations/current/leave`;
  const body = new Blob([session.credentials.accessToken], { type: 'text/plain' });
  try {
    if ((beacon ?? navigator).sendBeacon(url, body)) return true;
  } catch {
    // Fall through to a keepalive fetch.
  }
  try {
    void fetch(url, {
      method: 'POST',
      body,
      keepalive: true,
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
    }).catch(() => undefined);
    return true;
  } catch {
    return false;
  }
}
