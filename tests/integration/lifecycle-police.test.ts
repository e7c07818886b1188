import { beforeAll, describe, expect, it } from 'vitest';
import { ContentKey, EventType, TriageQuestionContent } from '@espace-mineurs/protocol';
import { loginDemo, matrixRequest, registerGuest, stack, type Session } from '../support/matrix.ts';
import {
  answerTriage,
  botMessages,
  command,
  join,
  openAndJoin,
  powerOf,
  say,
  statusOf,
  send,
  timeline,
  waitForEntry,
  waitForMessages,
  waitUntil,
} from '../support/conversation.ts';

const room = (roomId: string) => `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;

let police: Session;

beforeAll(async () => {
  police = await loginDemo('pn-agent-1');
  expect(
    await command(police, stack().forces.police.queueRoomId, { action: 'duty', onDuty: true, capacity: 10 }),
  ).toMatchObject({ ok: true });
});

describe('a conversation from start to end', () => {
  it('police: triage by buttons, numbers and words; queue; claim by text command; pseudonym; close with an outcome', async () => {
    const guest = await registerGuest();
    const roomId = await openAndJoin(guest, { context: 'reseaux-sociaux' });
    // The context came from the site: the first question asked is the second one, with structured buttons.
    const first = await waitForMessages(guest, roomId, 'the first question', (events) =>
      botMessages(events).some((event) => event.content[ContentKey.TriageQuestion]),
    );
    const question = TriageQuestionContent.parse(
      botMessages(first).find((event) => event.content[ContentKey.TriageQuestion])!.content[ContentKey.TriageQuestion],
    );
    expect(question.questionId).toBe('role');
    expect(question.skip?.label).toMatch(/tout de suite/);
    expect((await statusOf(guest)).state).toBe('triage');

    await send(guest, roomId, 'm.room.message', {
      msgtype: 'm.text',
      body: "Ça m'arrive à moi",
      [ContentKey.TriageAnswer]: { questionId: 'role', optionId: 'victime' },
    });
    await waitForMessages(guest, roomId, 'the "what" question', (events) =>
      botMessages(events).some(
        (event) =>
          (event.content[ContentKey.TriageQuestion] as { questionId?: string } | undefined)?.questionId === 'what',
      ),
    );
    await answerTriage(guest, roomId, ['sextorsion', 'pas sûr', '2', '4', '75011']);
    const events = await timeline(guest, roomId);
    expect(botMessages(events).some((event) => String(event.content.body).startsWith("Je n'ai pas bien compris"))).toBe(
      true,
    );

    const queued = await waitForEntry(
      roomId,
      'police',
      'queued by the Paris rule',
      (entry) => entry.state === 'queued',
    );
    expect(queued).toMatchObject({
      force: 'police',
      priority: 'normal',
      triage: {
        context: 'reseaux-sociaux',
        role: 'victime',
        what: 'sextorsion',
        inDanger: false,
        ageRange: '15-17',
        postalCode: '75011',
      },
    });
    // The bot writes the young person's status right after the queue entry: the status follows within moments.
    const waiting = await waitUntil('the young person told they are queued', async () => {
      const status = await statusOf(guest);
      return status.state === 'queued' ? status : undefined;
    });
    expect(waiting).toMatchObject({ state: 'queued', force: 'police', agentJoined: false });
    expect(waiting.position).toBeGreaterThanOrEqual(1);
    expect(waiting.estimatedWaitSeconds).toBeGreaterThanOrEqual(0);
    // The queue room shows it to Element users too.
    await waitForMessages(police, stack().forces.police.queueRoomId, 'the queue notice', (events) =>
      events.some((event) => String(event.content.body ?? '').includes(`!prendre ${queued.ticket}`)),
    );

    await say(police, stack().forces.police.queueRoomId, `!prendre ${queued.ticket}`);
    const assigned = await waitForEntry(
      roomId,
      'police',
      'assigned to pn-agent-1',
      (entry) => entry.state === 'assigned',
    );
    expect(assigned.assignee).toBe(police.userId);
    const coming = await waitForMessages(guest, roomId, '"someone is coming"', (events) =>
      botMessages(events).some((event) => String(event.content.body).startsWith('Alex, de la Police nationale')),
    );
    expect(await powerOf(roomId, police.userId)).toBe(50);
    // What the young person reads names the agent by pseudonym only (their Matrix ID is a pseudonymous localpart).
    expect(
      botMessages(coming)
        .map((event) => String(event.content.body))
        .join('\n'),
    ).not.toContain('pn-agent-1');
    expect(await statusOf(guest)).toMatchObject({ state: 'assigned', agentPseudonym: 'Alex', agentJoined: false });

    await join(police, roomId);
    await waitUntil('agentJoined in the status', async () => ((await statusOf(guest)).agentJoined ? true : undefined));
    await say(police, roomId, 'Bonjour, je suis Alex. Je suis là pour toi.');
    await say(guest, roomId, 'merci');
    await waitForEntry(
      roomId,
      'police',
      'first agent message time',
      (entry) => entry.firstAgentMessageAt !== undefined,
    );

    await say(police, stack().forces.police.queueRoomId, `!clore ${queued.ticket} 3018`);
    const closed = await waitForEntry(roomId, 'police', 'closed', (entry) => entry.state === 'closed');
    expect(closed.outcome).toBe('3018');
    await waitForMessages(guest, roomId, 'the goodbye', (events) =>
      botMessages(events).some(
        (event) => String(event.content.body).includes('3018') && String(event.content.body).includes('119'),
      ),
    );
    expect((await statusOf(guest)).state).toBe('closed');
    // The API reads the bot's memory, the room's status event is written right after it: wait for that write.
    const status = await waitUntil('the closed status in the room', async () => {
      const read = await matrixRequest('GET', `${room(roomId)}/state/${EventType.Status}/`, {
        token: guest.accessToken,
      });
      return (read.body as { state?: string }).state === 'closed' ? read : undefined;
    });
    expect(status.body).toMatchObject({ state: 'closed' });

    // The agent leaves the ended conversation and can no longer read it from their own account…
    await waitUntil('the agent to be taken out of the closed room', async () => {
      const member = await matrixRequest<{ membership?: string }>(
        'GET',
        `${room(roomId)}/state/m.room.member/${encodeURIComponent(police.userId)}`,
        { token: stack().bot.accessToken },
      );
      return member.body.membership === 'leave' ? true : undefined;
    });
    const reread = await matrixRequest('GET', `${room(roomId)}/messages?dir=b&limit=10`, { token: police.accessToken });
    expect(reread.status).toBe(403);
    // …so a supervisor reads it by joining through the bot, and that read is audited as such.
    const supervisor = await loginDemo('pn-superviseur-1');
    expect(
      await command(supervisor, stack().forces.police.queueRoomId, { action: 'supervise', conversation: roomId }),
    ).toMatchObject({ ok: true });
    await waitForMessages(
      { accessToken: stack().bot.accessToken } as Session,
      stack().forces.police.auditRoomId,
      'the audited read of a closed conversation',
      (events) =>
        events.some(
          (event) =>
            event.type === EventType.Audit &&
            event.content.conversation === roomId &&
            event.content.action === 'read_closed',
        ),
    );
  });
});
