import { beforeAll, describe, expect, it } from 'vitest';
import { EventType, PublicStatus } from '@espace-mineurs/protocol';
import { loginDemo, matrixRequest, registerGuest, stack, type Session } from '../support/matrix.ts';
import {
  answerTriage,
  api,
  botMessages,
  command,
  entryOf,
  join,
  openAndJoin,
  powerOf,
  resultOf,
  say,
  statusOf,
  timeline,
  waitForEntry,
  waitForMessages,
  waitUntil,
} from '../support/conversation.ts';

const room = (roomId: string) => `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;

let police: Session;
let gendarme: Session;
let gendarme2: Session;

beforeAll(async () => {
  [police, gendarme, gendarme2] = await Promise.all([
    loginDemo('pn-agent-1'),
    loginDemo('gn-agent-1'),
    loginDemo('gn-agent-2'),
  ]);
  for (const [agent, force] of [
    [police, 'police'],
    [gendarme, 'gendarmerie'],
    [gendarme2, 'gendarmerie'],
  ] as const) {
    expect(
      await command(agent, stack().forces[force].queueRoomId, { action: 'duty', onDuty: true, capacity: 10 }),
    ).toMatchObject({ ok: true });
  }
});

describe('a conversation from start to end', () => {
  it('gendarmerie: danger raises priority and shows 17/112/114; structured claim; warm transfer accepted; cold transfer to the police; close', async () => {
    const guest = await registerGuest();
    const roomId = await openAndJoin(guest, { context: 'maison-rue-sport' });
    await answerTriage(guest, roomId, ['1', '1', '1']);
    const danger = await timeline(guest, roomId);
    expect(botMessages(danger).some((event) => /17.*112.*114/s.test(String(event.content.body)))).toBe(true);
    // In danger, the age is not asked: the postal code is the one question left (bot/triage.yaml danger.ask).
    await answerTriage(guest, roomId, ['22000']);
    const queued = await waitForEntry(
      roomId,
      'gendarmerie',
      'queued by the test rule (22)',
      (entry) => entry.state === 'queued',
    );
    expect(queued.priority).toBe('urgent');

    const queue = stack().forces.gendarmerie.queueRoomId;
    expect(
      await command(police, stack().forces.police.queueRoomId, { action: 'claim', conversation: roomId }),
    ).toMatchObject({ ok: false, code: 'UNKNOWN_CONVERSATION' });
    // A police agent is not even a member of the gendarmerie queue room.
    await expect(command(police, queue, { action: 'claim', conversation: roomId })).rejects.toThrow(/403/);
    const claim = await command(gendarme, queue, { action: 'claim', conversation: roomId });
    expect(claim).toMatchObject({ ok: true });
    // One event answers the claim: the queue room's live-log line, carrying the result for the agent client.
    const answers = (await timeline(gendarme, queue)).filter((event) => resultOf(event)?.requestId === claim.requestId);
    expect(answers.map((event) => event.type)).toEqual(['m.room.message']);
    expect(String(answers[0]!.content.body)).toMatch(/prise par/);
    await join(gendarme, roomId);
    await say(gendarme, roomId, 'Bonjour, ici Charlie.');

    // Warm transfer to a colleague: offered, then accepted.
    expect(
      await command(gendarme, queue, {
        action: 'transfer',
        conversation: roomId,
        to: { agent: gendarme2.userId },
        mode: 'warm',
      }),
    ).toMatchObject({ ok: true });
    expect((await entryOf(roomId, 'gendarmerie'))?.pendingTransfer?.to).toEqual({ agent: gendarme2.userId });
    expect(
      await command(police, stack().forces.police.queueRoomId, { action: 'transfer_accept', conversation: roomId }),
    ).toMatchObject({ ok: false });
    expect(await command(gendarme2, queue, { action: 'transfer_accept', conversation: roomId })).toMatchObject({
      ok: true,
    });
    const accepted = await waitForEntry(
      roomId,
      'gendarmerie',
      'assigned to gn-agent-2',
      (entry) => entry.assignee === gendarme2.userId,
    );
    expect(accepted.pendingTransfer).toBeUndefined();
    expect(await powerOf(roomId, gendarme.userId)).toBeUndefined();
    expect(await powerOf(roomId, gendarme2.userId)).toBe(50);
    await join(gendarme2, roomId);

    // Cold transfer to the other force: it lands in the police queue with a police ticket.
    expect(
      await command(gendarme2, queue, {
        action: 'transfer',
        conversation: roomId,
        to: { force: 'police' },
        mode: 'cold',
      }),
    ).toMatchObject({ ok: true });
    const moved = await waitForEntry(
      roomId,
      'police',
      'queued in the police queue',
      (entry) => entry.state === 'queued',
    );
    expect(moved).toMatchObject({ force: 'police', previousForce: 'gendarmerie', priority: 'urgent' });
    expect((await entryOf(roomId, 'gendarmerie'))?.movedTo).toBe('police');
    // As at the first queueing, the status follows the entry within moments.
    await waitUntil('the young person told they are queued with the police', async () => {
      const status = await statusOf(guest);
      return status.state === 'queued' && status.force === 'police' ? status : undefined;
    });
    expect(
      await command(police, stack().forces.police.queueRoomId, { action: 'claim', conversation: roomId }),
    ).toMatchObject({ ok: true });
    await join(police, roomId);
    const closing = await command(police, stack().forces.police.queueRoomId, {
      action: 'close',
      conversation: roomId,
      outcome: 'emergency_services',
    });
    expect(closing).toMatchObject({ ok: true });
    expect((await statusOf(guest)).state).toBe('closed');
    // The closing line of the queue room answers the command alone.
    const closeAnswers = (await timeline(police, stack().forces.police.queueRoomId)).filter(
      (event) => resultOf(event)?.requestId === closing.requestId,
    );
    expect(closeAnswers.map((event) => [event.type, event.content.body])).toEqual([
      ['m.room.message', expect.stringMatching(/clôturée \(secours\)/)],
    ]);

    // Every step left an audit entry, chained by hash, without message content. Entries reach the audit rooms just
    // after the actions (through the bot's durable outbox): wait for the last one.
    const actionsIn = async (auditRoomId: string) => {
      const audit = await timeline({ accessToken: stack().bot.accessToken }, auditRoomId, 200);
      return {
        audit,
        actions: audit
          .filter((event) => event.type === EventType.Audit && event.content.conversation === roomId)
          .map((event) => event.content.action),
      };
    };
    await waitUntil('the close audited', async () =>
      (await actionsIn(stack().forces.police.auditRoomId)).actions.includes('close') ? true : undefined,
    );
    const gendarmerie = await actionsIn(stack().forces.gendarmerie.auditRoomId);
    expect(gendarmerie.actions).toEqual(
      expect.arrayContaining(['open_and_queue', 'claim', 'transfer_offer', 'transfer']),
    );
    expect(JSON.stringify(gendarmerie.audit)).not.toContain('Charlie.');
    expect((await actionsIn(stack().forces.police.auditRoomId)).actions).toEqual(
      expect.arrayContaining(['transfer', 'claim', 'close']),
    );
  });

  it('a young person who leaves ends the conversation as abandoned; an agent who leaves puts it back in the queue', async () => {
    const guest = await registerGuest();
    const roomId = await openAndJoin(guest);
    await answerTriage(guest, roomId, ['parler']);
    await waitForEntry(
      roomId,
      'police',
      'queued (skipped triage)',
      (entry) => entry.state === 'queued' || entry.state === 'assigned',
      { timeoutMs: 5000 },
    ).catch(() => undefined);
    const force = (await entryOf(roomId, 'police')) ? 'police' : 'gendarmerie';
    const agent = force === 'police' ? police : gendarme;
    const queue = stack().forces[force].queueRoomId;
    const queued = await waitForEntry(roomId, force, 'queued', (entry) => entry.state === 'queued');
    expect(queued.triage?.skipped).toBe(true);
    expect(await command(agent, queue, { action: 'claim', conversation: roomId })).toMatchObject({ ok: true });
    await join(agent, roomId);
    await matrixRequest('POST', `${room(roomId)}/leave`, { token: agent.accessToken, body: {} });
    await waitForEntry(
      roomId,
      force,
      'back in the queue',
      (entry) => entry.state === 'queued' && entry.assignee === undefined,
    );
    await matrixRequest('POST', `${room(roomId)}/leave`, { token: guest.accessToken, body: {} });
    await waitForEntry(roomId, force, 'abandoned', (entry) => entry.state === 'abandoned');
  });
});

describe('claims', () => {
  it('two simultaneous claims: exactly one winner', async () => {
    const police2 = await loginDemo('pn-agent-2');
    expect(
      await command(police2, stack().forces.police.queueRoomId, { action: 'duty', onDuty: true, capacity: 10 }),
    ).toMatchObject({ ok: true });
    for (let round = 0; round < 3; round++) {
      const guest = await registerGuest();
      const roomId = await openAndJoin(guest);
      await answerTriage(guest, roomId, ['1', '1', '6', '2', '4', '92100']);
      await waitForEntry(roomId, 'police', 'queued', (entry) => entry.state === 'queued');
      const results = await Promise.all([
        command(police, stack().forces.police.queueRoomId, { action: 'claim', conversation: roomId }),
        command(police2, stack().forces.police.queueRoomId, { action: 'claim', conversation: roomId }),
      ]);
      expect(results.filter((result) => result.ok).length).toBe(1);
      expect(results.find((result) => !result.ok)?.code).toBe('ALREADY_CLAIMED');
      const winner = results[0]!.ok ? police : police2;
      const entry = await entryOf(roomId, 'police');
      expect(entry?.assignee).toBe(winner.userId);
      const coming = botMessages(await timeline(guest, roomId)).filter((event) =>
        String(event.content.body).includes('va te répondre. Tu peux lui écrire'),
      );
      expect(coming.length).toBe(1);
      expect(
        await command(winner, stack().forces.police.queueRoomId, {
          action: 'close',
          conversation: roomId,
          outcome: 'none',
        }),
      ).toMatchObject({ ok: true });
    }
  });
});

describe('supervision and the young person ending it', () => {
  it('a flagged danger raises priority and alerts supervisors; a supervisor may join; agents get help in French', async () => {
    const guest = await registerGuest();
    const roomId = await openAndJoin(guest, { context: 'ecole' });
    await answerTriage(guest, roomId, ['2', '3', '2', '4', '94000']);
    await waitForEntry(roomId, 'police', 'queued', (entry) => entry.state === 'queued');
    const queue = stack().forces.police.queueRoomId;
    expect(await command(police, queue, { action: 'claim', conversation: roomId })).toMatchObject({ ok: true });
    expect(await command(police, queue, { action: 'flag_danger', conversation: roomId })).toMatchObject({ ok: true });
    expect((await entryOf(roomId, 'police'))?.priority).toBe('urgent');
    const supervisor = await loginDemo('pn-superviseur-1');
    await waitForMessages(supervisor, stack().forces.police.supervisorsRoomId, 'the danger alert', (events) =>
      events.some((event) => String(event.content.body ?? '').startsWith('Danger grave signalé')),
    );
    expect(await command(police, queue, { action: 'supervise', conversation: roomId })).toMatchObject({
      ok: false,
      code: 'NOT_SUPERVISOR',
    });
    expect(await command(supervisor, queue, { action: 'supervise', conversation: roomId })).toMatchObject({ ok: true });
    await join(supervisor, roomId);
    // The young person sees the supervisor's join in their room: it is explained to them, without a name.
    await waitForMessages(guest, roomId, 'the supervisor explained', (events) =>
      botMessages(events).some((event) =>
        String(event.content.body).startsWith("Une personne de l'équipe relit la conversation"),
      ),
    );

    await say(police, queue, '!aide');
    await waitForMessages(police, queue, 'the help text', (events) =>
      events.some((event) => String(event.content.body ?? '').startsWith('Commandes')),
    );
    await say(police, queue, '!prendre 99999');
    await waitForMessages(police, queue, 'the unknown ticket answer', (events) =>
      events.some((event) => String(event.content.body ?? '') === 'Aucune conversation n°99999 dans votre file.'),
    );

    // The young person ends it from the site (« Terminer »): the agent is told, and closes it with an outcome.
    const ended = await api<{ status: PublicStatus }>('POST', '/api/conversations/current/end', {
      token: guest.accessToken,
    });
    expect(ended.status).toBe(200);
    expect(ended.body.status.state).toBe('assigned');
    const left = await entryOf(roomId, 'police');
    expect(left).toMatchObject({ state: 'assigned' });
    expect(left?.guestLeftAt).toBeGreaterThan(0);
    await waitForMessages(police, queue, 'the leave notice', (events) =>
      events.some((event) =>
        String(event.content.body ?? '').startsWith(
          `Conversation n°${left!.ticket} : le jeune a quitté la conversation`,
        ),
      ),
    );
    // Leaving twice (the site's « Terminer » then its quick exit) says it once.
    expect((await api('POST', '/api/conversations/current/end', { token: guest.accessToken })).status).toBe(200);
    expect(await command(police, queue, { action: 'close', conversation: roomId, outcome: 'complaint' })).toMatchObject(
      { ok: true },
    );
    expect(await entryOf(roomId, 'police')).toMatchObject({ state: 'closed', outcome: 'complaint' });
    const notices = (await timeline(police, queue, 200)).filter((event) =>
      String(event.content.body ?? '').startsWith(`Conversation n°${left!.ticket} : le jeune a quitté`),
    );
    expect(notices).toHaveLength(1);
    // A new conversation can be opened after that.
    const again = await api('POST', '/api/conversations', { token: guest.accessToken });
    expect(again.status).toBe(201);
  });
});
