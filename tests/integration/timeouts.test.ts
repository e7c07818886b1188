import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationEntry, Force } from '@espace-mineurs/protocol';
import { startTestBot, type RunningBot } from '../support/bot-process.ts';
import { startIsolatedStack, type IsolatedStack } from '../support/isolated-stack.ts';
import { matrixRequest, type Session } from '../support/matrix.ts';
import { answerTriage, api, command, entryOf, join, waitForEntry, waitUntil } from '../support/conversation.ts';

let stack: IsolatedStack;
let bot: RunningBot;

beforeAll(async () => {
  stack = await startIsolatedStack();
  bot = await startTestBot({
    homeserverUrl: stack.homeserver.baseUrl,
    stateDir: stack.dataDir,
    overrides: {
      timeouts: { triageSilence: 3, queueSilence: 60, overflow: 2, warmTransfer: 2, guestGrace: 1, sweepInterval: 0.3 },
    },
  });
});

afterAll(async () => {
  await bot?.stop();
  await stack?.stop();
});

const hs = () => stack.homeserver.baseUrl;

const guest = (): Promise<Session> => stack.guest();
const login = (localpart: string): Promise<Session> => stack.login(localpart);

async function open(young: Session): Promise<string> {
  const opened = await api<{ roomId: string }>('POST', '/api/conversations', {
    token: young.accessToken,
    botUrl: bot.url,
  });
  expect(opened.status).toBe(201);
  await join(young, opened.body.roomId, hs());
  return opened.body.roomId;
}

const inStack = (force: Force) => ({
  baseUrl: hs(),
  botToken: stack.result.bot.accessToken,
  queueRoomId: stack.result.forces[force].queueRoomId,
});
const entry = (roomId: string, force: Force): Promise<ConversationEntry | undefined> =>
  entryOf(roomId, force, inStack(force));
const waitEntry = (roomId: string, force: Force, what: string, check: (entry: ConversationEntry) => boolean) =>
  waitForEntry(roomId, force, what, check, inStack(force));

describe('timeouts, duty and overflow', () => {
  it('ends a conversation whose young person stays silent in triage, then ends the guest account after the grace period', async () => {
    const young = await guest();
    await open(young);
    await waitUntil('abandoned for silence', async () => {
      const current = await api<{ status: { state: string } }>('GET', '/api/conversations/current', {
        token: young.accessToken,
        botUrl: bot.url,
      });
      return current.body.status?.state === 'abandoned' ? true : undefined;
    });
    await waitUntil('the guest token to stop working', async () => {
      const whoami = await matrixRequest('GET', '/_matrix/client/v3/account/whoami', {
        token: young.accessToken,
        baseUrl: hs(),
      });
      return whoami.status === 401 ? true : undefined;
    });
  });

  it('overflows a conversation waiting too long to the other force, once', async () => {
    const gendarme = await login('gn-agent-1');
    expect(
      await command(
        gendarme,
        stack.result.forces.gendarmerie.queueRoomId,
        { action: 'duty', onDuty: true, capacity: 2 },
        { baseUrl: hs() },
      ),
    ).toMatchObject({ ok: true });
    const young = await guest();
    const roomId = await open(young);
    await answerTriage(young, roomId, ['1', '1', '3', '2', '3', '75011'], hs());
    await waitEntry(
      roomId,
      'police',
      'queued at the police',
      (found) => found.state === 'queued' || found.movedTo === 'gendarmerie',
    );
    const moved = await waitEntry(
      roomId,
      'gendarmerie',
      'overflowed to the gendarmerie',
      (found) => found.state === 'queued',
    );
    expect(moved.previousForce).toBe('police');
    expect((await entry(roomId, 'police'))?.movedTo).toBe('gendarmerie');

    // An agent who goes off duty puts their conversation back in the queue.
    expect(
      await command(
        gendarme,
        stack.result.forces.gendarmerie.queueRoomId,
        { action: 'claim', conversation: roomId },
        { baseUrl: hs() },
      ),
    ).toMatchObject({ ok: true });
    // A second claim by the same agent is refused, and says truthfully that it is already theirs.
    expect(
      await command(
        gendarme,
        stack.result.forces.gendarmerie.queueRoomId,
        { action: 'claim', conversation: roomId },
        { baseUrl: hs() },
      ),
    ).toMatchObject({ ok: false, code: 'ALREADY_YOURS' });
    expect(
      await command(
        gendarme,
        stack.result.forces.gendarmerie.queueRoomId,
        { action: 'duty', onDuty: false },
        { baseUrl: hs() },
      ),
    ).toMatchObject({ ok: true });
    const requeued = await entry(roomId, 'gendarmerie');
    expect(requeued).toMatchObject({ state: 'queued', force: 'gendarmerie' });
    expect(requeued?.assignee).toBeUndefined();
  });

  it('withdraws a warm transfer nobody answers', async () => {
    const agent = await login('pn-agent-2');
    const queue = stack.result.forces.police.queueRoomId;
    const young = await guest();
    const roomId = await open(young);
    await answerTriage(young, roomId, ['1', '1', '3', '2', '3', '93000'], hs());
    await waitEntry(roomId, 'police', 'queued', (found) => found.state === 'queued');
    expect(await command(agent, queue, { action: 'claim', conversation: roomId }, { baseUrl: hs() })).toMatchObject({
      ok: true,
    });
    expect(
      await command(
        agent,
        queue,
        { action: 'transfer', conversation: roomId, to: { force: 'gendarmerie' }, mode: 'warm' },
        { baseUrl: hs() },
      ),
    ).toMatchObject({ ok: true });
    await waitEntry(
      roomId,
      'police',
      'the offer withdrawn',
      (found) => found.pendingTransfer === undefined && found.state === 'assigned',
    );
  });
});
