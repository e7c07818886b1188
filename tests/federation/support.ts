import { registerWithSharedSecret, type FederatedServer } from '@espace-mineurs/synapse';
import { matrixRequest } from '../support/matrix.ts';
import { waitUntil } from '../support/wait.ts';

/**
 * Raw Matrix HTTP against one server of the federated topology, through the suites' one raw call: tests see exactly
 * what each server answers.
 */
export interface ServerSession {
  baseUrl: string;
  userId: string;
  accessToken: string;
}

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

export async function call<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<Answer<T>> {
  const answer = await matrixRequest<T>(method, path, { baseUrl, ...options });
  return { status: answer.status, body: answer.body };
}

let counter = 0;

export async function registerOn(
  server: Pick<FederatedServer, 'baseUrl' | 'registrationSharedSecret'>,
  prefix: string,
  admin = false,
): Promise<ServerSession> {
  const localpart = `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
  const user = await registerWithSharedSecret(server.baseUrl, server.registrationSharedSecret, {
    localpart,
    password: `pw-${localpart}-long-enough`,
    admin,
  });
  return { baseUrl: server.baseUrl, userId: user.userId, accessToken: user.accessToken };
}

let txn = 0;

export function send(
  session: ServerSession,
  roomId: string,
  body: string,
): Promise<Answer<{ event_id?: string; errcode?: string }>> {
  return call(
    session.baseUrl,
    'PUT',
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/f${Date.now()}-${txn++}`,
    {
      token: session.accessToken,
      body: { msgtype: 'm.text', body },
    },
  );
}

/** Text messages of a room as `session` sees them, oldest first. */
export async function texts(session: ServerSession, roomId: string): Promise<string[]> {
  const answer = await call<{ chunk?: Array<{ type: string; content: { body?: string } }> }>(
    session.baseUrl,
    'GET',
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=100`,
    { token: session.accessToken },
  );
  if (answer.status !== 200) return [];
  return (answer.body.chunk ?? [])
    .filter((event) => event.type === 'm.room.message' && typeof event.content.body === 'string')
    .map((event) => event.content.body as string)
    .reverse();
}

/** The suites' one typed wait (tests/support/wait.ts), with the pace and patience federation needs. */
export function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  return waitUntil(what, probe, { timeoutMs, intervalMs: 300 });
}

/** Joins `roomId` (over federation when the room lives elsewhere), retrying while the servers first meet. */
export async function join(session: ServerSession, roomId: string, via: string): Promise<void> {
  await waitFor(`${session.userId} joined ${roomId}`, async () => {
    const answer = await call(
      session.baseUrl,
      'POST',
      `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(via)}`,
      {
        token: session.accessToken,
        body: {},
      },
    );
    return answer.status === 200 ? true : undefined;
  });
}

/** A guest registered on a server (the public one: guests are refused elsewhere). */
export async function guestOn(baseUrl: string): Promise<ServerSession> {
  const answer = await call<{ user_id: string; access_token: string }>(
    baseUrl,
    'POST',
    '/_matrix/client/v3/register?kind=guest',
    { body: {} },
  );
  if (answer.status !== 200) throw new Error(`guest registration on ${baseUrl} answered ${answer.status}`);
  return { baseUrl, userId: answer.body.user_id, accessToken: answer.body.access_token };
}

/** Waits until a session sees a message with exactly this text in the room (federation can take a while). */
export async function sees(session: ServerSession, roomId: string, body: string): Promise<void> {
  await waitFor(
    `${session.userId} to see "${body}"`,
    async () => ((await texts(session, roomId)).includes(body) ? true : undefined),
    90_000,
  );
}
