import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SafetyEventType } from '@espace-mineurs/protocol';
import { startTestBot, type RunningBot } from '../support/bot-process.ts';
import { startIsolatedStack, type IsolatedStack } from '../support/isolated-stack.ts';
import { matrixRequest, type Session } from '../support/matrix.ts';
import { answerTriage, api, command, join, timeline, waitForEntry } from '../support/conversation.ts';

/**
 * Per-address limits and cool-downs (issue 12, items 27 and 28): small limits on a stack and a bot of their own,
 * so the shared bot's counters are never touched.
 */
const RATE_LIMITS = { openPerIp: 2, openPerIpHard: 4, slowdownStepMs: 300, slowdownMaxMs: 1000 };
let stack: IsolatedStack;
let bot: RunningBot;

beforeAll(async () => {
  stack = await startIsolatedStack();
  bot = await startTestBot({
    homeserverUrl: stack.homeserver.baseUrl,
    stateDir: stack.dataDir,
    overrides: { rateLimits: RATE_LIMITS },
  });
});

afterAll(async () => {
  await bot?.stop();
  await stack?.stop();
});

const hs = () => stack.homeserver.baseUrl;
const queueRoom = () => stack.result.forces.police.queueRoomId;
const queueOptions = () => ({ baseUrl: hs(), botToken: stack.result.bot.accessToken, queueRoomId: queueRoom() });

async function open(young: Session, ip: string) {
  const started = Date.now();
  const response = await api<{ roomId: string; error?: { code: string } }>('POST', '/api/conversations', {
    token: young.accessToken,
    botUrl: bot.url,
    ip,
    body: { context: 'ecole' },
  });
  return { ...response, elapsedMs: Date.now() - started };
}

/** Joins, answers the triage to the police queue, and returns the entry once queued. */
async function queue(young: Session, roomId: string) {
  await join(young, roomId, hs());
  await answerTriage(young, roomId, ['2', '3', '2', '4', '94000'], hs());
  return waitForEntry(roomId, 'police', 'queued', (entry) => entry.state === 'queued', queueOptions());
}

describe('openings from one address', () => {
  it('past the soft limit are slowed and marked for agents, never refused before the hard bound; an IPv6 client counts by its /64', async () => {
    const guests = await Promise.all(Array.from({ length: 6 }, () => stack.guest()));
    // Six addresses of one /64, one after the other, as phones behind one carrier prefix would.
    const openings = [];
    for (const [index, young] of guests.slice(0, 5).entries())
      openings.push(await open(young, `2001:db8:28:1::${index + 1}`));
    expect(openings.map((opening) => opening.status)).toEqual([201, 201, 201, 201, 429]);
    // The slowed ones waited at least their step (a lower bound: the delay is deliberate).
    expect(openings[2]!.elapsedMs).toBeGreaterThanOrEqual(300);
    expect(openings[3]!.elapsedMs).toBeGreaterThanOrEqual(600);
    expect(openings[4]!.body.error?.code).toBe('RATE_LIMITED');
    expect(Number(openings[4]!.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another /64 is not affected.
    expect((await open(guests[5]!, '2001:db8:28:2::1')).status).toBe(201);

    const [free, serial] = await Promise.all([
      queue(guests[0]!, openings[0]!.body.roomId),
      queue(guests[2]!, openings[2]!.body.roomId),
    ]);
    expect(free.serialOpening).toBeUndefined();
    expect(serial.serialOpening).toBe(true);
    const agent = await stack.login('pn-agent-1');
    const queueEvents = await timeline(agent, queueRoom(), 200, hs());
    const notice = queueEvents.find((event) => event.event_id === serial.queueEventId);
    expect(String(notice?.content.body)).toContain('ouverture en série depuis une même adresse');
    const freeNotice = queueEvents.find((event) => event.event_id === free.queueEventId);
    expect(String(freeNotice?.content.body)).not.toContain('série');

    // Nothing of it in the young person's room: not in a message, not in the room state.
    const young = guests[2]!;
    const roomId = openings[2]!.body.roomId;
    const seen = JSON.stringify(await timeline(young, roomId, 200, hs()));
    const state = await matrixRequest('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`, {
      token: young.accessToken,
      baseUrl: hs(),
    });
    for (const text of [seen, JSON.stringify(state.body)]) {
      expect(text).not.toMatch(/série|serial/i);
    }
  }, 180_000);

  it('a cool-down covers the whole /64 the conversation was opened from, under a keyed hash', async () => {
    const young = await stack.guest();
    const opened = await open(young, '2001:db8:27:5::1');
    expect(opened.status).toBe(201);
    await queue(young, opened.body.roomId);
    const agent = await stack.login('pn-agent-2');
    expect(
      await command(agent, queueRoom(), { action: 'duty', onDuty: true, capacity: 5 }, { baseUrl: hs() }),
    ).toMatchObject({ ok: true });
    expect(
      await command(agent, queueRoom(), { action: 'claim', conversation: opened.body.roomId }, { baseUrl: hs() }),
    ).toMatchObject({ ok: true });
    expect(
      await command(
        agent,
        queueRoom(),
        { action: 'close', conversation: opened.body.roomId, outcome: 'none', coolDownMinutes: 30 },
        { baseUrl: hs() },
      ),
    ).toMatchObject({ ok: true });

    const sameSlash64 = await open(await stack.guest(), '2001:db8:27:5:9999::beef');
    expect(sameSlash64.status).toBe(429);
    expect(sameSlash64.body.error?.code).toBe('COOLING_DOWN');
    expect((await open(await stack.guest(), '2001:db8:27:6::1')).status).toBe(201);

    // The recorded pseudonym is an HMAC of the /64 under the state dir's secret, not a hash anyone can recompute.
    const secret = Buffer.from(readFileSync(joinPath(stack.dataDir, 'address-secret'), 'utf8').trim(), 'hex');
    const book = JSON.parse(readFileSync(joinPath(stack.dataDir, 'open-addresses.json'), 'utf8')) as Record<
      string,
      string
    >;
    expect(book[young.userId]).toBe(createHmac('sha256', secret).update('2001:db8:27:5::/64').digest('hex'));
    const coolDowns = await matrixRequest<Array<{ type: string; content: { guest?: string; addresses?: string[] } }>>(
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(stack.result.forces.police.supervisorsRoomId)}/state`,
      { token: stack.result.bot.accessToken, baseUrl: hs() },
    );
    const coolDown = coolDowns.body.find(
      (event) => event.type === SafetyEventType.CoolDown && event.content.guest === young.userId,
    );
    expect(coolDown?.content.addresses).toEqual([book[young.userId]]);
  }, 180_000);
});
