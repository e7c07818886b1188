import { createHmac } from 'node:crypto';

export class MatrixHttpError extends Error {
  readonly status: number;
  readonly errcode: string;

  constructor(status: number, errcode: string, message: string) {
    super(message);
    this.name = 'MatrixHttpError';
    this.status = status;
    this.errcode = errcode;
  }
}

async function asMatrixError(response: Response, what: string): Promise<MatrixHttpError> {
  let errcode = 'M_UNKNOWN';
  let error = `HTTP ${response.status}`;
  try {
    const body = (await response.json()) as { errcode?: string; error?: string };
    errcode = body.errcode ?? errcode;
    error = body.error ?? error;
  } catch {
    // not JSON
  }
  return new MatrixHttpError(response.status, errcode, `${what}: ${errcode} ${error}`);
}

export interface RegisteredUser {
  userId: string;
  accessToken: string;
  deviceId: string;
}

/**
 * Registers a user through Synapse's shared-secret admin registration (`/_synapse/admin/v1/register`).
 * Throws MatrixHttpError with errcode M_USER_IN_USE when the localpart is taken.
 */
export async function registerWithSharedSecret(
  baseUrl: string,
  secret: string,
  user: { localpart: string; password: string; admin: boolean; displayName?: string },
): Promise<RegisteredUser> {
  const endpoint = `${baseUrl}/_synapse/admin/v1/register`;
  const nonceResponse = await fetch(endpoint);
  if (!nonceResponse.ok) throw await asMatrixError(nonceResponse, 'registration nonce');
  const { nonce } = (await nonceResponse.json()) as { nonce: string };
  const mac = createHmac('sha1', secret)
    .update(`${nonce}\0${user.localpart}\0${user.password}\0${user.admin ? 'admin' : 'notadmin'}`)
    .digest('hex');
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      nonce,
      username: user.localpart,
      password: user.password,
      admin: user.admin,
      mac,
      ...(user.displayName ? { displayname: user.displayName } : {}),
    }),
  });
  if (!response.ok) throw await asMatrixError(response, `registering ${user.localpart}`);
  const body = (await response.json()) as { user_id: string; access_token: string; device_id: string };
  return { userId: body.user_id, accessToken: body.access_token, deviceId: body.device_id };
}

/** Password login; returns undefined on M_FORBIDDEN (wrong password or no such user). */
export async function passwordLogin(
  baseUrl: string,
  localpart: string,
  password: string,
  deviceId?: string,
): Promise<RegisteredUser | undefined> {
  const response = await fetch(`${baseUrl}/_matrix/client/v3/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: localpart },
      password,
      ...(deviceId ? { device_id: deviceId } : {}),
    }),
  });
  if (response.status === 403) return undefined;
  if (!response.ok) throw await asMatrixError(response, `login ${localpart}`);
  const body = (await response.json()) as { user_id: string; access_token: string; device_id: string };
  return { userId: body.user_id, accessToken: body.access_token, deviceId: body.device_id };
}
