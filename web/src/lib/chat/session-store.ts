import type { OutboxItem } from './outbox.ts';

/**
 * What the chat keeps so that an accidental reload resumes the same conversation. Session storage only: it
 * dies with the tab, is never shared with other tabs, and the quick exit clears it.
 */
export interface GuestCredentials {
  homeserverUrl: string;
  userId: string;
  accessToken: string;
  deviceId: string;
}

export interface ChatSession {
  version: 1;
  credentials: GuestCredentials;
  roomId?: string;
  /** Messages typed but not yet acknowledged by the homeserver, in the order they were typed. */
  outbox: OutboxItem[];
  /** Seeds transaction ids; unique per session so ids never collide after a reload. */
  txnPrefix: string;
  txnCounter: number;
}

const KEY = 'espace.chat';

type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

function isSession(value: unknown): value is ChatSession {
  if (typeof value !== 'object' || value === null) return false;
  const session = value as Partial<ChatSession>;
  const credentials = session.credentials;
  return (
    session.version === 1 &&
    typeof credentials === 'object' &&
    credentials !== null &&
    typeof credentials.accessToken === 'string' &&
    typeof credentials.userId === 'string' &&
    typeof credentials.homeserverUrl === 'string' &&
    typeof credentials.deviceId === 'string' &&
    (session.roomId === undefined || typeof session.roomId === 'string') &&
    Array.isArray(session.outbox) &&
    typeof session.txnPrefix === 'string' &&
    typeof session.txnCounter === 'number'
  );
}

export function loadSession(storage: StorageLike): ChatSession | undefined {
  let raw: string | null;
  try {
    raw = storage.getItem(KEY);
  } catch {
    return undefined;
  }
  if (raw === null) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return isSession(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(storage: StorageLike, session: ChatSession): void {
  try {
    storage.setItem(KEY, JSON.stringify(session));
  } catch {
    // Storage full or disabled: the chat still works, only the reload case is lost.
  }
}

export function clearSession(storage: StorageLike): void {
  try {
    storage.removeItem(KEY);
  } catch {
    // Nothing to clear.
  }
}

export function newSession(credentials: GuestCredentials, random: () => string = randomId): ChatSession {
  return { version: 1, credentials, outbox: [], txnPrefix: random(), txnCounter: 0 };
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
