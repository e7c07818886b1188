/**
 * A stack and a bot of their own with short retention, disclosure expiry and guest grace, for the tests of
 * tests/integration/safety-timeouts/: `useSafetyStack()` starts them for the calling test file and stops them after
 * it; the helpers below read what the bot wrote.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import type { ConversationEntry } from '@espace-mineurs/protocol';
import { startTestBot, type RunningBot } from '../../support/bot-process.ts';
import { startIsolatedStack, type IsolatedStack } from '../../support/isolated-stack.ts';
import { matrixRequest, type Session } from '../../support/matrix.ts';
import { answerTriage, api, entryOf, join, timeline, waitUntil } from '../../support/conversation.ts';

const BOT_OVERRIDES = {
  timeouts: { guestGrace: 1, sweepInterval: 0.3 },
  retention: {
    period: 4,
    sweepInterval: 0.5,
    disclosureTtl: 3,
    disclosureRoomPeriod: 3,
    staffRoomPeriod: 86_400,
    exportPeriod: 3,
  },
};
let running: { stack: IsolatedStack; bot: RunningBot } | undefined;

export function useSafetyStack(): void {
  beforeAll(async () => {
    const stack = await startIsolatedStack();
    running = {
      stack,
      bot: await startTestBot({
        homeserverUrl: stack.homeserver.baseUrl,
        stateDir: stack.dataDir,
        overrides: BOT_OVERRIDES,
      }),
    };
  });
  afterAll(async () => {
    await running?.bot.stop();
    await running?.stack.stop();
  });
}

function current(): { stack: IsolatedStack; bot: RunningBot } {
  if (!running) throw new Error('useSafetyStack() was not called in this test file');
  return running;
}

export const stack = (): IsolatedStack => current().stack;
export const bot = (): RunningBot => current().bot;

/** Stops the bot and starts it again on the same state dir (what a restart keeps). */
export async function restartBot(): Promise<void> {
  const { stack } = current();
  await current().bot.stop();
  running = {
    stack,
    bot: await startTestBot({
      homeserverUrl: stack.homeserver.baseUrl,
      stateDir: stack.dataDir,
      overrides: BOT_OVERRIDES,
    }),
  };
}

export const hs = (): string => stack().homeserver.baseUrl;
export const botToken = (): string => stack().result.bot.accessToken;
export const police = () => stack().result.forces.police;

export const guest = (): Promise<Session> => stack().guest();
export const login = (localpart: string): Promise<Session> => stack().login(localpart);

/** A conversation queued with the police (Val-de-Marne), as its young person (from `address` if given). */
export async function queuedWithPolice(address?: string): Promise<{ young: Session; roomId: string }> {
  const young = await guest();
  const opened = await api<{ roomId: string }>('POST', '/api/conversations', {
    token: young.accessToken,
    botUrl: bot().url,
    ...(address ? { ip: address } : {}),
    body: { context: 'ecole' },
  });
  expect(opened.status).toBe(201);
  const roomId = opened.body.roomId;
  await join(young, roomId, hs());
  await answerTriage(young, roomId, ['2', '3', '2', '4', '94000'], hs());
  await waitUntil('queued with the police', async () => ((await entry(roomId))?.state === 'queued' ? true : undefined));
  return { young, roomId };
}

export const entry = (roomId: string): Promise<ConversationEntry | undefined> =>
  entryOf(roomId, 'police', { baseUrl: hs(), botToken: botToken(), queueRoomId: police().queueRoomId });

export interface ServedEvent {
  event_id: string;
  type: string;
  state_key?: string;
  content: Record<string, unknown>;
  unsigned?: { replaces_state?: string; redacted_because?: unknown };
}

export async function supervisorsState<T = Record<string, unknown>>(
  type: string,
  stateKey: string,
): Promise<T | undefined> {
  const response = await matrixRequest<T>(
    'GET',
    `/_matrix/client/v3/rooms/${encodeURIComponent(police().supervisorsRoomId)}/state/${encodeURIComponent(type)}/${encodeURIComponent(stateKey)}`,
    { token: botToken(), baseUrl: hs() },
  );
  return response.status === 200 ? response.body : undefined;
}

/** Every earlier version of a state event, oldest last, as Synapse now serves them. */
export async function earlierVersions(roomId: string, type: string, stateKey: string): Promise<ServedEvent[]> {
  const state = await matrixRequest<ServedEvent[]>(
    'GET',
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`,
    { token: botToken(), baseUrl: hs() },
  );
  let previous = state.body.find((event) => event.type === type && event.state_key === stateKey)?.unsigned
    ?.replaces_state;
  const versions: ServedEvent[] = [];
  while (previous) {
    const version = await matrixRequest<ServedEvent>(
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(previous)}`,
      { token: botToken(), baseUrl: hs() },
    );
    if (version.status !== 200) break;
    versions.push(version.body);
    previous = version.body.unsigned?.replaces_state;
  }
  return versions;
}

export async function mediaStatus(mxc: string, token: string): Promise<number> {
  const [, server, id] = /^mxc:\/\/([^/]+)\/(.+)$/.exec(mxc)!;
  const response = await fetch(`${hs()}/_matrix/client/v1/media/download/${server}/${id}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await response.arrayBuffer();
  return response.status;
}

export async function roomKnownToAdmin(roomId: string): Promise<boolean> {
  const response = await matrixRequest('GET', `/_synapse/admin/v1/rooms/${encodeURIComponent(roomId)}`, {
    token: botToken(),
    baseUrl: hs(),
  });
  return response.status === 200;
}

export async function auditActions(roomId: string): Promise<unknown[]> {
  const audit = await timeline({ accessToken: botToken() }, police().auditRoomId, 300, hs());
  return audit.filter((event) => event.content.conversation === roomId).map((event) => event.content.action);
}

/** When the bot's last successful retention sweep finished (ms since the epoch; 0 before the first), from /metrics. */
export async function lastRetentionSweepAt(): Promise<number> {
  const text = await (await fetch(`${bot().url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((candidate) => candidate.startsWith('espace_retention_last_success_timestamp_seconds '));
  return line ? Number(line.split(' ')[1]) * 1000 : 0;
}
