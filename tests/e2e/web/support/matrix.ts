import { expect } from 'vitest';
import { EventType, type ConversationEntry, type Force } from '@espace-mineurs/protocol';
import type { WebStack } from './stack.ts';
import { resultOf } from '../../../support/conversation.ts';
import { matrixRequest } from '../../../support/matrix.ts';
import { waitUntil } from '../../../support/wait.ts';

/** Raw Matrix calls as a test makes them (the suites' one raw call): the test sees exactly what Synapse answers. */
export interface MatrixAnswer<T> {
  status: number;
  body: T & { errcode?: string };
}

export async function matrix<T = Record<string, unknown>>(
  stack: WebStack,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<MatrixAnswer<T>> {
  const answer = await matrixRequest<T & { errcode?: string }>(method, path, {
    baseUrl: stack.homeserverUrl,
    ...(token ? { token } : {}),
    ...(body !== undefined ? { body } : {}),
  });
  return { status: answer.status, body: answer.body };
}

/** Like matrix(), but throws with the status and errcode when Synapse refuses. */
export async function api<T = Record<string, unknown>>(
  stack: WebStack,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const answer = await matrix<T>(stack, token, method, path, body);
  if (answer.status >= 400)
    throw new Error(`${method} ${path.split('?')[0]} → ${answer.status} ${answer.body.errcode ?? ''}`);
  return answer.body;
}

export const enc = encodeURIComponent;

export interface Staff {
  localpart: string;
  userId: string;
  accessToken: string;
  pseudonym: string;
}

/** Logs a demo account in, named by its demo handle (`pn-agent-1`), with its opaque login. */
export async function loginStaff(stack: WebStack, localpart: string): Promise<Staff> {
  const account = demoAccountOf(stack, localpart);
  const session = await api<{ user_id: string; access_token: string }>(
    stack,
    undefined,
    'POST',
    '/_matrix/client/v3/login',
    {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: account.localpart },
      password: account.password,
    },
  );
  return { localpart, userId: session.user_id, accessToken: session.access_token, pseudonym: account.pseudonym };
}

export function demoPassword(stack: WebStack, localpart: string): string {
  return demoAccountOf(stack, localpart).password;
}

/** A demo account by its handle (`pn-agent-1`); `.localpart` is the opaque login one types. */
export function demoAccountOf(stack: WebStack, handle: string): WebStack['demo'][number] {
  const account = stack.demo.find((candidate) => candidate.handle === handle);
  if (!account) throw new Error(`no demo account ${handle}`);
  return account;
}

/** Polls until `check` gives a value; the error says what was awaited. */
/** The suites' typed wait (tests/support/wait.ts), with the longer default a browser needs. */
export function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  return waitUntil(what, check, { timeoutMs, intervalMs: 150 });
}

/** The agents-side record of a conversation, as the bot keeps it in the force's queue room. */
export async function conversationEntry(
  stack: WebStack,
  force: Force,
  roomId: string,
): Promise<ConversationEntry | undefined> {
  const answer = await matrix<ConversationEntry>(
    stack,
    stack.bot.accessToken,
    'GET',
    `/_matrix/client/v3/rooms/${enc(stack.forces[force].queueRoomId)}/state/${enc(EventType.Conversation)}/${enc(roomId)}`,
  );
  return answer.status === 200 ? answer.body : undefined;
}

let txn = 0;

/**
 * Sends an agent command (protocol/src/commands.ts) into the force's queue room, as the agent client or Element
 * would, and returns the bot's answer to it.
 */
export async function command(
  stack: WebStack,
  staff: Staff,
  force: Force,
  content: Record<string, unknown>,
): Promise<{ ok: boolean; code?: string }> {
  const requestId = `e2e-web-${Date.now().toString(36)}-${txn++}`;
  const queue = stack.forces[force].queueRoomId;
  const sent = await matrix(
    stack,
    staff.accessToken,
    'PUT',
    `/_matrix/client/v3/rooms/${enc(queue)}/send/${enc(EventType.Command)}/${requestId}`,
    { ...content, requestId },
  );
  // Staff of the other force are not even members of this queue room: Synapse refuses before the bot sees it.
  if (sent.status === 403) return { ok: false, code: sent.body.errcode ?? 'M_FORBIDDEN' };
  if (sent.status >= 400)
    throw new Error(`sending ${String(content.action)} → ${sent.status} ${sent.body.errcode ?? ''}`);
  return until(`the bot's answer to ${String(content.action)}`, async () => {
    const page = await api<{
      chunk: Array<{ type: string; content: Record<string, unknown> }>;
    }>(stack, staff.accessToken, 'GET', `/_matrix/client/v3/rooms/${enc(queue)}/messages?dir=b&limit=50`);
    const result = page.chunk.map(resultOf).find((candidate) => candidate?.requestId === requestId);
    return result ? { ok: result.ok === true, ...(result.code ? { code: result.code } : {}) } : undefined;
  });
}

/** Text bodies of a room's m.room.message events, oldest first, as `token`'s account sees them. */
export async function messageBodies(
  stack: WebStack,
  token: string,
  roomId: string,
): Promise<Array<{ sender: string; body: string }>> {
  const page = await api<{ chunk: Array<{ type: string; sender: string; content: { body?: unknown } }> }>(
    stack,
    token,
    'GET',
    `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=200`,
  );
  return page.chunk
    .filter((event) => event.type === 'm.room.message' && typeof event.content.body === 'string')
    .map((event) => ({ sender: event.sender, body: event.content.body as string }))
    .reverse();
}

/**
 * A police agent claims a queued conversation and joins it once invited, as any Matrix client would, so that they
 * can read and write in the young person's room.
 */
/** Conversations each agent claimed through claimAndJoin, so a test file can hand them back (releaseClaimed). */
const claimed = new Map<string, Set<string>>();

export async function claimAndJoin(stack: WebStack, agent: Staff, roomId: string): Promise<void> {
  claimed.set(agent.userId, (claimed.get(agent.userId) ?? new Set()).add(roomId));
  const entry = await until('the conversation in the police queue', async () => {
    const found = await conversationEntry(stack, 'police', roomId);
    return found?.state === 'queued' ? found : undefined;
  });
  expect(await command(stack, agent, 'police', { action: 'claim', conversation: entry.roomId })).toEqual({ ok: true });
  await until('the agent’s invite', async () => {
    const joined = await api(stack, agent.accessToken, 'POST', `/_matrix/client/v3/join/${enc(roomId)}`, {});
    return joined.room_id ? true : undefined;
  });
}

/**
 * Closes what the agent claimed in this file and is still open, as an agent ends their shift: a young person who
 * left is still the agent's to close, and no later test file may find the agent at capacity because of this one.
 */
export async function releaseClaimed(stack: WebStack, agent: Staff): Promise<void> {
  for (const roomId of claimed.get(agent.userId) ?? []) {
    const entry = await conversationEntry(stack, 'police', roomId);
    if (entry?.state === 'assigned' && entry.assignee === agent.userId)
      await command(stack, agent, 'police', { action: 'close', conversation: roomId, outcome: 'none' });
  }
  claimed.delete(agent.userId);
}
