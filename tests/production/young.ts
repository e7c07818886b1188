import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitUntil } from '../support/wait.ts';

/**
 * A young person's side, over HTTP on the stack's internal addresses (the browser journey is journey.test.ts):
 * a guest account, a conversation opened through the bot's API, its room joined, messages sent.
 */
export interface Young {
  accessToken: string;
  userId: string;
  roomId: string;
}

export interface Endpoints {
  synapse: string;
  bot: string;
}

let address = 0;

async function matrix<T>(
  base: string,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  if (!response.ok)
    throw Object.assign(new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`), {
      status: response.status,
    });
  return (text ? JSON.parse(text) : {}) as T;
}

export async function matrixStatus(base: string, token: string, path: string): Promise<number> {
  return (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } })).status;
}

/** The bot's own account (written by the bootstrap), for the admin API. */
export function botCredentials(botState: string): { userId: string; accessToken: string } {
  return JSON.parse(readFileSync(join(botState, 'bot-credentials.json'), 'utf8')) as {
    userId: string;
    accessToken: string;
  };
}

/** The suites' one typed wait (tests/support/wait.ts), with this tier's slower default pace. */
export function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 500,
): Promise<T> {
  return waitUntil(what, check, { timeoutMs, intervalMs: everyMs });
}

/** A guest opens a conversation and joins its room, then waits for the bot's first question. */
export async function openConversation(at: Endpoints, botUserId: string): Promise<Young> {
  const guest = await matrix<{ access_token: string; user_id: string }>(
    at.synapse,
    undefined,
    'POST',
    '/_matrix/client/v3/register?kind=guest',
    {},
  );
  address++;
  const opened = await fetch(`${at.bot}/api/conversations`, {
    method: 'POST',
    // Behind the proxy the bot reads the client's address from X-Forwarded-For: one address per young person.
    headers: {
      authorization: `Bearer ${guest.access_token}`,
      'content-type': 'application/json',
      'x-forwarded-for': `10.77.${process.pid % 250}.${address % 250}`,
    },
    body: '{}',
  });
  if (opened.status !== 201)
    throw new Error(`opening a conversation answered ${opened.status}: ${await opened.text()}`);
  const { roomId } = (await opened.json()) as { roomId: string };
  const young = { accessToken: guest.access_token, userId: guest.user_id, roomId };
  await matrix(at.synapse, young.accessToken, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
  await waitFor(
    'the bot’s first question',
    async () => ((await botMessageCount(at, young, botUserId)) > 0 ? true : undefined),
    90_000,
  );
  return young;
}

async function botMessageCount(at: Endpoints, young: Young, botUserId: string): Promise<number> {
  const page = await matrix<{ chunk: Array<{ type: string; sender: string }> }>(
    at.synapse,
    young.accessToken,
    'GET',
    `/_matrix/client/v3/rooms/${encodeURIComponent(young.roomId)}/messages?dir=b&limit=100`,
  );
  return page.chunk.filter((event) => event.type === 'm.room.message' && event.sender === botUserId).length;
}

/** Sends a text and waits for the bot to answer it. */
export async function say(at: Endpoints, young: Young, body: string, botUserId: string): Promise<void> {
  const before = await botMessageCount(at, young, botUserId);
  await matrix(
    at.synapse,
    young.accessToken,
    'PUT',
    `/_matrix/client/v3/rooms/${encodeURIComponent(young.roomId)}/send/m.room.message/${randomUUID()}`,
    { msgtype: 'm.text', body },
  );
  await waitFor(
    `the bot’s answer to "${body}"`,
    async () => ((await botMessageCount(at, young, botUserId)) > before ? true : undefined),
    90_000,
  );
}

/** "Parler à quelqu'un tout de suite": the triage's skip, which puts the conversation in a force's queue. */
export const SKIP_TO_HUMAN = 'humain';

export async function leave(at: Endpoints, young: Young): Promise<void> {
  await matrix(
    at.synapse,
    young.accessToken,
    'POST',
    `/_matrix/client/v3/rooms/${encodeURIComponent(young.roomId)}/leave`,
    {},
  );
}
