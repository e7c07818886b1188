/**
 * Agent sessions: how one is obtained (a LoginMethod — password today, single sign-on later) and where it is
 * kept between reloads (a SessionStore).
 */

export interface StoredSession {
  homeserverUrl: string;
  userId: string;
  accessToken: string;
  deviceId: string;
}

export type LoginErrorCode = 'BAD_CREDENTIALS' | 'RATE_LIMITED' | 'UNREACHABLE' | 'DEACTIVATED' | 'UNEXPECTED';

export class LoginError extends Error {
  constructor(
    readonly code: LoginErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** French, shown to the agent as it is. */
export const LOGIN_ERROR_TEXT: Record<LoginErrorCode, string> = {
  BAD_CREDENTIALS: 'Identifiant ou mot de passe incorrect.',
  RATE_LIMITED: 'Trop de tentatives. Réessayez dans une minute.',
  UNREACHABLE: 'Le serveur ne répond pas. Vérifiez la connexion du poste.',
  DEACTIVATED: 'Ce compte est désactivé. Contactez votre superviseur.',
  UNEXPECTED: 'La connexion a échoué. Réessayez ; si cela continue, prévenez le support.',
};

/**
 * The login step, kept behind this interface so single sign-on (m.login.sso / OIDC) can replace the password
 * form without touching the rest of the client: whatever the method, it ends with a StoredSession.
 */
export interface LoginMethod {
  readonly kind: 'password' | 'sso';
  login(homeserverUrl: string, input: { username: string; password: string }): Promise<StoredSession>;
}

interface LoginResponseBody {
  user_id?: string;
  access_token?: string;
  device_id?: string;
  errcode?: string;
}

/** Maps a /login answer to a LoginError on its errcode, never on its message text. */
export function loginErrorFor(status: number, errcode: string | undefined): LoginError {
  if (errcode === 'M_FORBIDDEN' || errcode === 'M_INVALID_USERNAME' || status === 403) {
    return new LoginError('BAD_CREDENTIALS', LOGIN_ERROR_TEXT.BAD_CREDENTIALS);
  }
  if (errcode === 'M_USER_DEACTIVATED' || errcode === 'M_USER_LOCKED')
    return new LoginError('DEACTIVATED', LOGIN_ERROR_TEXT.DEACTIVATED);
  if (errcode === 'M_LIMIT_EXCEEDED' || status === 429)
    return new LoginError('RATE_LIMITED', LOGIN_ERROR_TEXT.RATE_LIMITED);
  return new LoginError('UNEXPECTED', LOGIN_ERROR_TEXT.UNEXPECTED);
}

export const passwordLoginMethod: LoginMethod = {
  kind: 'password',
  async login(homeserverUrl, { username, password }) {
    let response: Response;
    try {
      response = await fetch(`${homeserverUrl}/_matrix/client/v3/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'm.login.password',
          // The homeserver takes a localpart or a full user ID: `@abc:police.example` goes whole (without its `@`
          // it would be read as the localpart `abc:police.example`).
          identifier: { type: 'm.id.user', user: username.trim() },
          password,
          initial_device_display_name: 'Espace mineurs — poste agent',
        }),
      });
    } catch {
      throw new LoginError('UNREACHABLE', LOGIN_ERROR_TEXT.UNREACHABLE);
    }
    const body = (await response.json().catch(() => ({}))) as LoginResponseBody;
    if (!response.ok) throw loginErrorFor(response.status, body.errcode);
    if (!body.user_id || !body.access_token || !body.device_id)
      throw new LoginError('UNEXPECTED', LOGIN_ERROR_TEXT.UNEXPECTED);
    return { homeserverUrl, userId: body.user_id, accessToken: body.access_token, deviceId: body.device_id };
  },
};

export interface SessionStore {
  load(): StoredSession | undefined;
  save(session: StoredSession): void;
  clear(): void;
}

const STORAGE_KEY = 'espace-mineurs.agent-session';

/**
 * Keeps the session in localStorage so a reload (or a crashed tab) at 3 a.m. does not throw the agent out of
 * five conversations. Acceptable on the agent workstation: it is a managed, locked-down machine used only by
 * staff, the page loads no third-party script and renders all room content as text (no XSS path to the token),
 * and logging out deletes the device server-side, which revokes the token even if a copy remained.
 * Not acceptable on a shared or personal computer: the young people's site never does this.
 */
export function browserSessionStore(storage: Storage): SessionStore {
  return {
    load() {
      const raw = storage.getItem(STORAGE_KEY);
      if (!raw) return undefined;
      try {
        const value = JSON.parse(raw) as Partial<StoredSession>;
        if (
          typeof value.homeserverUrl === 'string' &&
          typeof value.userId === 'string' &&
          typeof value.accessToken === 'string' &&
          typeof value.deviceId === 'string'
        ) {
          return {
            homeserverUrl: value.homeserverUrl,
            userId: value.userId,
            accessToken: value.accessToken,
            deviceId: value.deviceId,
          };
        }
      } catch {
        // Corrupt entry: treat as logged out.
      }
      storage.removeItem(STORAGE_KEY);
      return undefined;
    },
    save(session) {
      storage.setItem(STORAGE_KEY, JSON.stringify(session));
    },
    clear() {
      storage.removeItem(STORAGE_KEY);
    },
  };
}

/** Revokes the token server-side; the local copy is cleared by the caller whatever happens here. */
export async function revokeSession(session: StoredSession): Promise<void> {
  try {
    await fetch(`${session.homeserverUrl}/_matrix/client/v3/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session.accessToken}`, 'content-type': 'application/json' },
      body: '{}',
    });
  } catch {
    // Offline: the device stays listed for the agent's account; a supervisor can remove it. Local logout proceeds.
  }
}

/** Checks a restored session still works (token revoked, account locked → back to the login screen). */
export async function sessionIsValid(session: StoredSession): Promise<boolean | 'offline'> {
  try {
    const response = await fetch(`${session.homeserverUrl}/_matrix/client/v3/account/whoami`, {
      headers: { authorization: `Bearer ${session.accessToken}` },
    });
    if (response.ok) return true;
    return response.status === 401 || response.status === 403 ? false : 'offline';
  } catch {
    return 'offline';
  }
}
