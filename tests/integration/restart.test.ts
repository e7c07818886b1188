import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentKey, EventType } from '@espace-mineurs/protocol';
import { spawnBot, type ChildBot } from '../support/bot-process.ts';
import { startIsolatedStack, type IsolatedStack } from '../support/isolated-stack.ts';
import { matrixRequest, type Session } from '../support/matrix.ts';
import { api, join, resultOf, say, send, timeline, waitUntil, type RoomEvent } from '../support/conversation.ts';

let stack: IsolatedStack;
let bot: ChildBot | undefined;

beforeAll(async () => {
  stack = await startIsolatedStack();
});

afterAll(async () => {
  await bot?.stop();
  await stack?.stop();
});

function baseUrl(): string {
  return stack.homeserver.baseUrl;
}

const guest = (): Promise<Session> => stack.guest();
const login = (localpart: string): Promise<Session> => stack.login(localpart);

async function startBot(env: Record<string, string> = {}): Promise<ChildBot> {
  bot = await spawnBot({ homeserverUrl: baseUrl(), stateDir: stack.dataDir, env });
  return bot;
}

function questions(events: RoomEvent[]): string[] {
  return events
    .filter((event) => event.sender === stack.result.bot.userId && event.content[ContentKey.TriageQuestion])
    .map((event) => (event.content[ContentKey.TriageQuestion] as { questionId: string }).questionId);
}

async function waitForQuestions(session: Session, roomId: string, count: number): Promise<string[]> {
  return waitUntil(
    `${count} triage questions`,
    async () => {
      const asked = questions(await timeline(session, roomId, 300, baseUrl()));
      return asked.length >= count ? asked : undefined;
    },
    20_000,
  );
}

async function entry(roomId: string): Promise<Record<string, unknown> | undefined> {
  const queue = stack.result.forces.police.queueRoomId;
  const response = await matrixRequest<Record<string, unknown>>(
    'GET',
    `/_matrix/client/v3/rooms/${encodeURIComponent(queue)}/state/${encodeURIComponent(EventType.Conversation)}/${encodeURIComponent(roomId)}`,
    {
      token: stack.result.bot.accessToken,
      baseUrl: baseUrl(),
    },
  );
  return response.status === 200 ? response.body : undefined;
}

describe('the bot killed with SIGKILL', () => {
  it('catches up on what arrived while it was down, and resumes mid-handler crashes, with nothing duplicated or missed', async () => {
    await startBot();
    const young = await guest();
    const opened = await api<{ roomId: string }>('POST', '/api/conversations', {
      token: young.accessToken,
      botUrl: bot!.url,
    });
    expect(opened.status).toBe(201);
    const roomId = opened.body.roomId;
    await join(young, roomId, baseUrl());
    await waitForQuestions(young, roomId, 1);
    await say(young, roomId, '1', baseUrl());
    await waitForQuestions(young, roomId, 2);

    // 1. Killed between two answers; two answers arrive while it is down.
    await bot!.kill();
    await say(young, roomId, '2', baseUrl());
    await say(young, roomId, '3', baseUrl());
    await startBot();
    expect(await waitForQuestions(young, roomId, 4)).toEqual(['context', 'role', 'what', 'danger']);

    // 2. Killed inside a handler, before the reply that carries the progress (the step's commit): the answer is
    // replayed at restart and its reply shown once.
    await bot!.stop();
    await startBot({ ESPACE_TEST_CRASH_AT: 'triage-before-last-reply' });
    await say(young, roomId, '2', baseUrl());
    await waitUntil('the bot to crash at its crash point', async () =>
      bot!.child.exitCode !== null || bot!.child.signalCode !== null ? true : undefined,
    );
    expect(questions(await timeline(young, roomId, 300, baseUrl()))).toEqual(['context', 'role', 'what', 'danger']);
    await startBot();
    expect(await waitForQuestions(young, roomId, 5)).toEqual(['context', 'role', 'what', 'danger', 'age']);
    // 2a. Killed right after that reply: the restart reads the progress back from it and skips the answer.
    await bot!.stop();
    await startBot({ ESPACE_TEST_CRASH_AT: 'triage-after-replies' });
    await say(young, roomId, '4', baseUrl());
    await waitUntil('the bot to crash at its crash point', async () =>
      bot!.child.exitCode !== null || bot!.child.signalCode !== null ? true : undefined,
    );
    await startBot();
    expect(await waitForQuestions(young, roomId, 6)).toEqual([
      'context',
      'role',
      'what',
      'danger',
      'age',
      'postal_code',
    ]);
    // The triage writes no state event per answer: its progress is in the bot's replies.
    const triageState = await matrixRequest(
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/${encodeURIComponent(EventType.Triage)}/`,
      { token: young.accessToken, baseUrl: baseUrl() },
    );
    expect(triageState.status).toBe(404);
    // 2b. Killed right after queueing committed its entry, before the status and the audit entry.
    await bot!.stop();
    await startBot({ ESPACE_TEST_CRASH_AT: 'enqueue-after-commit' });
    await say(young, roomId, '75011', baseUrl());
    await waitUntil('the bot to crash at its crash point', async () =>
      bot!.child.exitCode !== null || bot!.child.signalCode !== null ? true : undefined,
    );
    const queued = await waitUntil('queued', async () =>
      (await entry(roomId))?.state === 'queued' ? await entry(roomId) : undefined,
    );
    expect(queued).toMatchObject({ force: 'police', ticket: 1 });
    await startBot();
    // The young person sees they are in the queue: the replayed answer finished what queueing had committed.
    await waitUntil('the queued status', async () => {
      const status = await matrixRequest<{ state?: string }>(
        'GET',
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/${encodeURIComponent(EventType.Status)}/`,
        { token: young.accessToken, baseUrl: baseUrl() },
      );
      return status.body.state === 'queued' ? true : undefined;
    });

    // 3. Killed right after committing a claim, before inviting the agent or telling the young person.
    await bot!.stop();
    await startBot({ ESPACE_TEST_CRASH_AT: 'claim-after-commit' });
    const agent = await login('pn-agent-1');
    const queue = stack.result.forces.police.queueRoomId;
    await send(
      agent,
      queue,
      EventType.Command,
      { action: 'claim', requestId: 'claim-1', conversation: roomId },
      baseUrl(),
    );
    await waitUntil('the bot to crash at its crash point', async () =>
      bot!.child.exitCode !== null || bot!.child.signalCode !== null ? true : undefined,
    );
    await startBot();
    const results = await waitUntil('one claim result', async () => {
      const found = (await timeline(agent, queue, 300, baseUrl()))
        .map(resultOf)
        .filter((result) => result?.requestId === 'claim-1');
      return found.length > 0 ? found : undefined;
    });
    expect(results.map((result) => result?.ok)).toEqual([true]);
    await join(agent, roomId, baseUrl());
    await say(young, roomId, 'bonjour', baseUrl());

    // 4. Killed while the young person and the agent talk: a message sent during the outage still counts.
    await bot!.kill();
    await say(agent, roomId, 'Je suis là.', baseUrl());
    await startBot();
    await waitUntil('the first agent message recorded', async () =>
      (await entry(roomId))?.firstAgentMessageAt !== undefined ? true : undefined,
    );

    // 5. Killed right after committing a cold transfer to a colleague, before the previous agent is removed.
    await bot!.stop();
    await startBot({ ESPACE_TEST_CRASH_AT: 'transfer-after-commit' });
    const colleague = await login('pn-agent-2');
    await send(
      agent,
      queue,
      EventType.Command,
      {
        action: 'transfer',
        requestId: 'transfer-1',
        conversation: roomId,
        to: { agent: colleague.userId },
        mode: 'cold',
      },
      baseUrl(),
    );
    await waitUntil('the bot to crash at its crash point', async () =>
      bot!.child.exitCode !== null || bot!.child.signalCode !== null ? true : undefined,
    );
    expect(await entry(roomId)).toMatchObject({ assignee: colleague.userId, transferredFrom: agent.userId });
    await startBot();
    const membership = async (userId: string) =>
      (
        await matrixRequest<{ membership?: string }>(
          'GET',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(userId)}`,
          { token: stack.result.bot.accessToken, baseUrl: baseUrl() },
        )
      ).body.membership;
    await waitUntil('the previous agent removed from the room', async () =>
      (await membership(agent.userId)) === 'leave' ? true : undefined,
    );
    await waitUntil('the colleague invited', async () =>
      (await membership(colleague.userId)) === 'invite' ? true : undefined,
    );
    // The transfer's audit entry is its last step: once there, everything else is done.
    const auditOf = async () =>
      (
        await timeline(
          { accessToken: stack.result.bot.accessToken },
          stack.result.forces.police.auditRoomId,
          300,
          baseUrl(),
        )
      )
        .filter((event) => event.type === EventType.Audit && event.content.conversation === roomId)
        .map((event) => event.content.action);
    await waitUntil('the transfer audited', async () => ((await auditOf()).includes('transfer') ? true : undefined));
    expect(await auditOf()).toEqual(['open_and_queue', 'claim', 'transfer']);

    // 6. Killed once the close's audit entry is in the outbox on disk, before it reaches the audit room.
    await bot!.stop();
    await startBot({ ESPACE_TEST_CRASH_AT: 'audit-after-outbox' });
    await send(
      colleague,
      queue,
      EventType.Command,
      { action: 'close', requestId: 'close-1', conversation: roomId, outcome: 'none' },
      baseUrl(),
    );
    await waitUntil('the bot to crash at its crash point', async () =>
      bot!.child.exitCode !== null || bot!.child.signalCode !== null ? true : undefined,
    );
    expect(await auditOf()).not.toContain('close');
    await startBot();
    await waitUntil('the close audited after the restart', async () =>
      (await auditOf()).includes('close') ? true : undefined,
    );
    await waitUntil('the close answered', async () =>
      (await timeline(colleague, queue, 300, baseUrl())).some((event) => resultOf(event)?.requestId === 'close-1')
        ? true
        : undefined,
    );
    expect(await auditOf()).toEqual(['open_and_queue', 'claim', 'transfer', 'close']);

    const all = await timeline(young, roomId, 300, baseUrl());
    const fromBot = all
      .filter((event) => event.sender === stack.result.bot.userId && event.type === 'm.room.message')
      .map((event) => String(event.content.body).split('\n')[0]);
    // Nothing duplicated: every bot message appears once (intro with the first question, five more, thanks,
    // "someone is coming", "someone takes over", the goodbye).
    expect(new Set(fromBot).size).toBe(fromBot.length);
    expect(fromBot.filter((body) => body!.startsWith('Alex, de la Police nationale'))).toHaveLength(1);
    expect(fromBot.filter((body) => body!.includes('prend le relais'))).toHaveLength(1);
    expect(fromBot.filter((body) => body!.startsWith('Cette conversation est terminée'))).toHaveLength(1);
    expect(fromBot).toHaveLength(10);
    const invites = all.filter(
      (event) =>
        event.type === 'm.room.member' && event.state_key === agent.userId && event.content.membership === 'invite',
    );
    expect(invites).toHaveLength(1);
  }, 180_000);

  it("writes a status held back for the agent's join after a kill inside that moment", async () => {
    await bot?.stop();
    await startBot();
    const young = await guest();
    const opened = await api<{ roomId: string }>('POST', '/api/conversations', {
      token: young.accessToken,
      botUrl: bot!.url,
    });
    expect(opened.status).toBe(201);
    const roomId = opened.body.roomId;
    await join(young, roomId, baseUrl());
    await waitForQuestions(young, roomId, 1);
    for (const [index, answer] of ['1', '2', '3', '2', '4'].entries()) {
      await say(young, roomId, answer, baseUrl());
      await waitForQuestions(young, roomId, index + 2);
    }
    await say(young, roomId, '75011', baseUrl());
    await waitUntil('queued', async () => ((await entry(roomId))?.state === 'queued' ? true : undefined));
    const statusInRoom = async () =>
      (
        await matrixRequest<{ state?: string; agentJoined?: boolean; agentPseudonym?: string }>(
          'GET',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/${encodeURIComponent(EventType.Status)}/`,
          { token: young.accessToken, baseUrl: baseUrl() },
        )
      ).body;
    await waitUntil('the queued status', async () => ((await statusInRoom()).state === 'queued' ? true : undefined));

    // Killed once the young person is told someone is coming, while the status waits for the agent's join.
    await bot!.stop();
    await startBot({ ESPACE_TEST_CRASH_AT: 'assign-status-held' });
    const agent = await login('pn-agent-1');
    await send(
      agent,
      stack.result.forces.police.queueRoomId,
      EventType.Command,
      { action: 'claim', requestId: 'claim-held', conversation: roomId },
      baseUrl(),
    );
    await waitUntil('the bot to crash at its crash point', async () =>
      bot!.child.exitCode !== null || bot!.child.signalCode !== null ? true : undefined,
    );
    expect((await statusInRoom()).state).toBe('queued');
    await startBot();
    await waitUntil('the assigned status written at the restart', async () =>
      (await statusInRoom()).state === 'assigned' ? true : undefined,
    );
    expect(await statusInRoom()).toMatchObject({ state: 'assigned', agentJoined: false, agentPseudonym: 'Alex' });
    // Joined now: the join's write says so.
    await join(agent, roomId, baseUrl());
    await waitUntil('agentJoined in the room status', async () =>
      (await statusInRoom()).agentJoined === true ? true : undefined,
    );
    const statuses = (await timeline(young, roomId, 300, baseUrl())).filter((event) => event.type === EventType.Status);
    expect(statuses.map((event) => `${String(event.content.state)}:${String(event.content.agentJoined)}`)).toEqual([
      'triage:false',
      'queued:false',
      'assigned:false',
      'assigned:true',
    ]);
  }, 180_000);

  it('audits an image sent during the triage once, in the serving force only, though the bot was killed before routing', async () => {
    await bot?.stop();
    await startBot();
    const young = await guest();
    const opened = await api<{ roomId: string }>('POST', '/api/conversations', {
      token: young.accessToken,
      botUrl: bot!.url,
    });
    expect(opened.status).toBe(201);
    const roomId = opened.body.roomId;
    await join(young, roomId, baseUrl());
    await waitForQuestions(young, roomId, 1);
    const image = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#468' } })
      .png()
      .toBuffer();
    const posted = await fetch(`${bot!.url}/api/conversations/current/evidence`, {
      method: 'POST',
      headers: { authorization: `Bearer ${young.accessToken}`, 'content-type': 'image/png' },
      body: new Uint8Array(image),
    });
    expect(posted.status).toBe(201);
    const { sha256 } = (await posted.json()) as { sha256: string };

    // Killed while the conversation is in triage: what it kept in memory of the image is gone.
    await bot!.kill();
    await startBot();
    for (const [index, answer] of ['1', '2', '3', '2', '4'].entries()) {
      await say(young, roomId, answer, baseUrl());
      await waitForQuestions(young, roomId, index + 2);
    }
    await say(young, roomId, '75011', baseUrl());
    await waitUntil('queued', async () => ((await entry(roomId))?.state === 'queued' ? true : undefined));

    const evidenceAudited = async (force: 'police' | 'gendarmerie') =>
      (
        await timeline(
          { accessToken: stack.result.bot.accessToken },
          stack.result.forces[force].auditRoomId,
          300,
          baseUrl(),
        )
      )
        .filter((event) => event.content.conversation === roomId && event.content.action === 'evidence')
        .map((event) => event.content.details);
    // Read back from the room at routing: audited by the police, which serves it, and never by the gendarmerie.
    await waitUntil('the image audited with the police', async () =>
      (await evidenceAudited('police')).length > 0 ? true : undefined,
    );
    expect(await evidenceAudited('police')).toEqual([{ sha256, size: expect.any(Number) }]);
    expect(await evidenceAudited('gendarmerie')).toEqual([]);
  }, 180_000);
});
