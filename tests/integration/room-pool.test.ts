import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentKey, CreationKey, EventType } from '@espace-mineurs/protocol';
import { spawnBot, type ChildBot } from '../support/bot-process.ts';
import { startIsolatedStack, type IsolatedStack } from '../support/isolated-stack.ts';
import { matrixRequest, type Session } from '../support/matrix.ts';
import { api, join, timeline, waitUntil, type RoomEvent } from '../support/conversation.ts';

/**
 * The pool of ready rooms (bot/src/intake/pool.ts): filled ahead of demand, found again after a SIGKILL, handed
 * out under a burst (the rest created on demand), refilled afterwards; a room killed half handed out is the young
 * person's conversation after the restart, never handed out again; a room never handed out holds nothing personal.
 */
let stack: IsolatedStack;
let bot: ChildBot | undefined;
const POOL = 3;

beforeAll(async () => {
  stack = await startIsolatedStack();
});

afterAll(async () => {
  await bot?.stop();
  await stack?.stop();
});

const baseUrl = () => stack.homeserver.baseUrl;
const botSession = () => ({ accessToken: stack.result.bot.accessToken });

async function startBot(env: Record<string, string> = {}): Promise<ChildBot> {
  bot = await spawnBot({
    homeserverUrl: baseUrl(),
    stateDir: stack.dataDir,
    env: { ESPACE_ROOM_POOL_SIZE: String(POOL), ...env },
  });
  return bot;
}

/** The bot's Prometheus samples, by name and labels as the text format writes them. */
async function metricValues(): Promise<Map<string, number>> {
  const text = await (await fetch(`${bot!.url}/metrics`)).text();
  const samples = text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split(' '));
  return new Map(samples.map(([name, value]) => [name!, Number(value)]));
}

async function crashed(): Promise<void> {
  await waitUntil('the bot to crash at its crash point', async () =>
    bot!.child.exitCode !== null || bot!.child.signalCode !== null ? true : undefined,
  );
}

async function roomState(
  roomId: string,
): Promise<Array<{ type: string; state_key: string; content: Record<string, unknown> }>> {
  const response = await matrixRequest<Array<{ type: string; state_key: string; content: Record<string, unknown> }>>(
    'GET',
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`,
    { token: stack.result.bot.accessToken, baseUrl: baseUrl() },
  );
  return response.body;
}

/** Rooms the bot holds ready: the pool's mark in their create event, no conversation marker. */
async function pooledRooms(): Promise<string[]> {
  const joined = await matrixRequest<{ joined_rooms: string[] }>('GET', '/_matrix/client/v3/joined_rooms', {
    token: stack.result.bot.accessToken,
    baseUrl: baseUrl(),
  });
  const pooled: string[] = [];
  for (const roomId of joined.body.joined_rooms) {
    const state = await roomState(roomId);
    if (
      state.some((event) => event.type === 'm.room.create' && event.content[CreationKey.PooledRoom] === true) &&
      !state.some((event) => event.type === EventType.ConversationRoom)
    )
      pooled.push(roomId);
  }
  return pooled.sort();
}

const waitForPool = (size: number) =>
  waitUntil(
    `${size} pooled rooms`,
    async () => {
      const rooms = await pooledRooms();
      return rooms.length === size ? rooms : undefined;
    },
    60_000,
  );

function firstQuestions(events: RoomEvent[]): RoomEvent[] {
  return events.filter((event) => event.sender === stack.result.bot.userId && event.content[ContentKey.TriageQuestion]);
}

async function open(guest: Session): Promise<string> {
  const opened = await api<{ roomId: string }>('POST', '/api/conversations', {
    token: guest.accessToken,
    botUrl: bot!.url,
  });
  expect(opened.status).toBe(201);
  return opened.body.roomId;
}

describe('the pool of ready rooms', () => {
  it('is filled ahead of demand, survives a SIGKILL, serves a burst and refills', async () => {
    await startBot();
    const first = await waitForPool(POOL);
    // A room never handed out: only the bot in it, no message, no guest named: nothing for retention to delete.
    for (const roomId of first) {
      const state = await roomState(roomId);
      expect(state.filter((event) => event.type === 'm.room.member').map((event) => event.state_key)).toEqual([
        stack.result.bot.userId,
      ]);
      expect(
        (await timeline(botSession(), roomId, 100, baseUrl())).filter((event) => event.type === 'm.room.message'),
      ).toEqual([]);
    }

    // Killed with a full pool: the restart takes the same rooms back and creates none.
    await bot!.kill();
    await startBot();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await pooledRooms()).toEqual(first);

    // Killed while handing a room out, once it is named for its guest and before the invite: after the restart
    // that room is the young person's conversation (invited, first question), and never in the pool again.
    await bot!.stop();
    await startBot({ ESPACE_TEST_CRASH_AT: 'open-after-marker' });
    const interrupted = await stack.guest();
    void api('POST', '/api/conversations', { token: interrupted.accessToken, botUrl: bot!.url }).catch(() => undefined);
    await crashed();
    await startBot();
    const again = await api<{ roomId: string }>('POST', '/api/conversations', {
      token: interrupted.accessToken,
      botUrl: bot!.url,
    });
    expect(again.status).toBe(200);
    expect(first).toContain(again.body.roomId);
    await join(interrupted, again.body.roomId, baseUrl());
    await waitUntil('the first question', async () =>
      firstQuestions(await timeline(interrupted, again.body.roomId, 50, baseUrl())).length > 0 ? true : undefined,
    );
    expect(firstQuestions(await timeline(interrupted, again.body.roomId, 50, baseUrl()))).toHaveLength(1);
    const refilled = await waitForPool(POOL);
    expect(refilled).not.toContain(again.body.roomId);

    // A burst larger than the pool: every young person gets a room of their own and one first question; the
    // pooled rooms go first, the rest are created on demand, and the pool is topped up afterwards.
    const guests = await Promise.all(Array.from({ length: POOL + 3 }, () => stack.guest()));
    const rooms = await Promise.all(guests.map((guest) => open(guest)));
    expect(new Set(rooms).size).toBe(rooms.length);
    expect(rooms.filter((roomId) => refilled.includes(roomId)).sort()).toEqual(refilled);
    for (const [index, guest] of guests.entries()) {
      await join(guest, rooms[index]!, baseUrl());
      const marker = (await roomState(rooms[index]!)).find((event) => event.type === EventType.ConversationRoom);
      expect(marker?.content.guest).toBe(guest.userId);
      await waitUntil('the first question', async () =>
        firstQuestions(await timeline(guest, rooms[index]!, 50, baseUrl())).length > 0 ? true : undefined,
      );
    }
    const topped = await waitForPool(POOL);
    expect(topped.filter((roomId) => rooms.includes(roomId))).toEqual([]);

    // What an operator sizes the pool from: this start's openings by where their room came from, and the pool.
    const metrics = await metricValues();
    const pooled = metrics.get('espace_openings_total{room="pooled"}') ?? 0;
    expect(pooled).toBeGreaterThanOrEqual(POOL);
    expect(pooled + (metrics.get('espace_openings_total{room="created"}') ?? 0)).toBe(rooms.length);
    expect(metrics.get('espace_room_pool_target')).toBe(POOL);
    expect(metrics.get('espace_room_pool_ready')).toBe(POOL);
    expect(metrics.get('espace_openings_in_progress{phase="waiting"}')).toBe(0);
  }, 240_000);
});
