/**
 * The agent in Element, or any Matrix client: plain-text commands only (raw HTTP, as a stock client sends them),
 * against the real Synapse and the real bot. Each test names the defect it guards against (issue 12, 15–24).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { EventType, type Force } from '@espace-mineurs/protocol';
import { loginDemo, matrixRequest, registerGuest, stack, type Session } from '../support/matrix.ts';
import {
  answerTriage,
  botMessages,
  command,
  entryOf,
  openAndJoin,
  send,
  timeline,
  waitForEntry,
  waitForMessages,
  waitUntil,
  type RoomEvent,
} from '../support/conversation.ts';

const room = (roomId: string) => `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;
const queueOf = (force: Force) => stack().forces[force].queueRoomId;

let alex: Session;
let sam: Session;
let charlie: Session;

beforeAll(async () => {
  [alex, sam, charlie] = await Promise.all([loginDemo('pn-agent-1'), loginDemo('pn-agent-2'), loginDemo('gn-agent-1')]);
  for (const [agent, force] of [
    [alex, 'police'],
    [sam, 'police'],
    [charlie, 'gendarmerie'],
  ] as const) {
    expect(await command(agent, queueOf(force), { action: 'duty', onDuty: true, capacity: 10 })).toMatchObject({
      ok: true,
    });
  }
}, 60_000);

/** The bot's visible answer (an m.room.message replying to `eventId`), as Element shows it. */
async function answerTo(session: Session, roomId: string, eventId: string): Promise<Record<string, unknown>> {
  const find = (events: RoomEvent[]) =>
    events.find(
      (event) =>
        event.type === 'm.room.message' &&
        event.sender === stack().bot.userId &&
        (event.content['m.relates_to'] as { 'm.in_reply_to'?: { event_id?: string } } | undefined)?.['m.in_reply_to']
          ?.event_id === eventId,
    );
  const events = await waitForMessages(
    session,
    roomId,
    `the answer to ${eventId}`,
    (events) => find(events) !== undefined,
    { timeoutMs: 30_000 },
  );
  return find(events)!.content;
}

/** Types a text command in a queue room (as Element sends it) and returns the bot's visible answer. */
async function type(session: Session, force: Force, content: string | Record<string, unknown>): Promise<string> {
  const body = typeof content === 'string' ? { msgtype: 'm.text', body: content } : content;
  const eventId = await send(session, queueOf(force), 'm.room.message', body);
  return String((await answerTo(session, queueOf(force), eventId)).body);
}

async function policeConversation(): Promise<{ guest: Session; roomId: string; ticket: number }> {
  const guest = await registerGuest();
  const roomId = await openAndJoin(guest, { context: 'ecole' });
  await answerTriage(guest, roomId, ['2', '3', '2', '4', '94000']);
  const queued = await waitForEntry(roomId, 'police', 'queued', (entry) => entry.state === 'queued', {
    timeoutMs: 30_000,
  });
  return { guest, roomId, ticket: queued.ticket };
}

async function stateOf(roomId: string, type: string, key: string): Promise<Record<string, unknown> | undefined> {
  const response = await matrixRequest(
    'GET',
    `${room(roomId)}/state/${encodeURIComponent(type)}/${encodeURIComponent(key)}`,
    { token: stack().bot.accessToken },
  );
  return response.status === 200 ? response.body : undefined;
}

/** Bot messages in a queue room whose body contains `text`. */
async function queueLines(session: Session, force: Force, text: string): Promise<RoomEvent[]> {
  return botMessages(await timeline(session, queueOf(force), 300)).filter((event) =>
    String(event.content.body).includes(text),
  );
}

describe('the agent in Element', () => {
  it('lists the queue and their conversations, claims by a reply to the notice, is told the truth about their own claim, and reads French close labels (20, 19, 23, 22)', async () => {
    const { guest, roomId, ticket } = await policeConversation();
    // 22: the room is told apart by a neutral name with the ticket, and sits in the force space.
    await waitUntil('the room name', async () =>
      (await stateOf(roomId, 'm.room.name', ''))?.name === `Conversation n° ${ticket}` ? true : undefined,
    );
    expect(await stateOf(stack().forces.police.spaceId, 'm.space.child', roomId)).toMatchObject({
      via: [stack().serverName],
    });
    expect(await stateOf(roomId, 'm.space.parent', stack().forces.police.spaceId)).toBeUndefined();

    // 20: !file lists it with its wait and priority.
    const list = await type(alex, 'police', '!file');
    expect(list).toMatch(new RegExp(`^n°${ticket} — attend depuis .+ — priorité normale$`, 'm'));

    // 19: a reply to the queue notice (Element's quoted fallback before the command) is understood.
    const [notice] = await queueLines(alex, 'police', `!prendre ${ticket}`);
    expect(notice, 'the queue notice').toBeDefined();
    const reply = await type(alex, 'police', {
      msgtype: 'm.text',
      body: `> <${stack().bot.userId}> Nouvelle conversation n°${ticket}\n> Pour la prendre : !prendre ${ticket}\n\n!prendre ${ticket}`,
      'm.relates_to': { 'm.in_reply_to': { event_id: notice!.event_id } },
    });
    // 20: the claim is a line of the queue room's live log, and it answers the command.
    expect(reply).toBe(
      `Conversation n°${ticket} prise par Alex (invitation envoyée dans le salon « Conversation n° ${ticket} »).`,
    );
    expect((await entryOf(roomId, 'police'))?.assignee).toBe(alex.userId);

    // 23: claiming one's own conversation says so (not « a colleague took it »).
    const again = await type(alex, 'police', `!prendre ${ticket}`);
    expect(again).toBe(`La conversation n°${ticket} est déjà la vôtre.`);
    expect(await type(sam, 'police', `!prendre ${ticket}`)).toMatch(/collègue a déjà pris/);

    // 20: !mes lists it.
    expect(await type(alex, 'police', '!mes')).toMatch(
      new RegExp(`^n°${ticket} — en cours depuis .+ — priorité normale$`, 'm'),
    );

    // 19: a command typed in the notice's thread (notes) is answered there, and not executed.
    const inThread = await send(alex, queueOf('police'), 'm.room.message', {
      msgtype: 'm.text',
      body: `!clore ${ticket} aucune`,
      'm.relates_to': {
        rel_type: 'm.thread',
        event_id: notice!.event_id,
        is_falling_back: true,
        'm.in_reply_to': { event_id: notice!.event_id },
      },
    });
    const threadAnswer = await answerTo(alex, queueOf('police'), inThread);
    expect(threadAnswer['m.relates_to']).toMatchObject({ rel_type: 'm.thread', event_id: notice!.event_id });
    expect(String(threadAnswer.body)).toMatch(/fils de discussion servent aux notes/);
    expect((await entryOf(roomId, 'police'))?.state).toBe('assigned');

    // 23: !aide says what each outcome tells the young person; « secours » tells only what is true.
    const help = await type(alex, 'police', '!aide');
    expect(help).toMatch(/^ {4}secours : « Si tu es en danger, appelle le 17 ou le 112/m);
    await type(alex, 'police', `!clore ${ticket} secours`);
    const goodbye = await waitForMessages(guest, roomId, 'the goodbye', (events) =>
      botMessages(events).some((event) => String(event.content.body).startsWith('Cette conversation est terminée')),
    );
    const said = botMessages(goodbye)
      .map((event) => String(event.content.body))
      .join('\n');
    expect(said).not.toMatch(/ont été prévenus/);
    expect(said).toMatch(/appelle le 17 ou le 112/);
    // 20: the close notice uses the French label, not the internal code.
    await waitUntil('the close notice', async () =>
      (await queueLines(alex, 'police', `Conversation n°${ticket} clôturée (secours).`)).length ? true : undefined,
    );
    expect(await queueLines(alex, 'police', `n°${ticket} close (emergency_services)`)).toEqual([]);
  }, 240_000);

  it('refuses a mistyped transfer mode, takes an Element pill and a pseudonym, and tells the receiver which ticket they hold (17, 18, 16)', async () => {
    const { roomId, ticket } = await policeConversation();
    await type(alex, 'police', `!prendre ${ticket}`);

    // 17: « chuad » is refused with the valid modes; nothing moved.
    const typo = await type(alex, 'police', `!transferer ${ticket} gendarmerie chuad`);
    expect(typo).toContain('« chuad »');
    expect(typo).toContain('chaud, froid');
    expect(await entryOf(roomId, 'police')).toMatchObject({ state: 'assigned', assignee: alex.userId });
    expect(await entryOf(roomId, 'gendarmerie')).toBeUndefined();

    // 18: Element's pill puts the display name in the body and the Matrix ID in formatted_body and m.mentions.
    const answer = await type(alex, 'police', {
      msgtype: 'm.text',
      body: `!transferer ${ticket} Sam`,
      format: 'org.matrix.custom.html',
      formatted_body: `!transferer ${ticket} <a href="https://matrix.to/#/${encodeURIComponent(sam.userId)}">Sam</a>`,
      'm.mentions': { user_ids: [sam.userId] },
    });
    // 16: the receiver is told, in their force's queue room and with a mention, which ticket they now hold.
    expect(answer).toContain(`Conversation n°${ticket} transférée à Sam par Alex.`);
    expect(answer).toContain(`!clore ${ticket}`);
    const handed = (await queueLines(sam, 'police', `Sam, elle est à vous (salon « Conversation n° ${ticket} »)`)).at(
      -1,
    );
    expect(handed?.content).toMatchObject({ msgtype: 'm.text', 'm.mentions': { user_ids: [sam.userId] } });
    expect(await entryOf(roomId, 'police')).toMatchObject({ state: 'assigned', assignee: sam.userId });

    // 18: a pseudonym of the same force, typed without a pill.
    expect(await type(sam, 'police', `!transferer ${ticket} alex froid`)).toContain(
      `Conversation n°${ticket} transférée à Alex par Sam.`,
    );
    expect(await entryOf(roomId, 'police')).toMatchObject({ assignee: alex.userId });
    // …and Sam can now act on it from Element by that ticket: it is no longer theirs.
    expect(await type(sam, 'police', `!danger ${ticket}`)).toMatch(/pas la vôtre/);
    await type(alex, 'police', `!clore ${ticket} aucune`);
  }, 240_000);

  it('offers a warm transfer to the other force under a ticket of that force, accepted by text there (15, 22)', async () => {
    const { roomId, ticket } = await policeConversation();
    await type(alex, 'police', `!prendre ${ticket}`);
    const offered = await type(alex, 'police', `!transferer ${ticket} gendarmerie chaud`);
    expect(offered).toMatch(/proposé à la Gendarmerie nationale/);

    const offer = await waitUntil('the offer in the gendarmerie queue', async () =>
      (await queueLines(charlie, 'gendarmerie', `(n°${ticket} de la Police nationale)`)).at(-1),
    );
    const body = String(offer.content.body);
    expect(body).not.toContain(roomId);
    const receiverTicket = Number(/!accepter (\d+)/.exec(body)?.[1]);
    expect(receiverTicket).toBeGreaterThan(0);
    expect(body).toContain(`conversation n°${receiverTicket} (n°${ticket} de la Police nationale)`);
    expect(body).toContain(`!refuser ${receiverTicket}`);
    // The gendarmerie's list shows the offer under that ticket.
    expect(await type(charlie, 'gendarmerie', '!file')).toContain(`n°${receiverTicket} — transfert proposé`);

    const accepted = await type(charlie, 'gendarmerie', `!accepter ${receiverTicket}`);
    expect(accepted).toContain(`n°${receiverTicket}`);
    const moved = await waitForEntry(
      roomId,
      'gendarmerie',
      'accepted by Charlie',
      (entry) => entry.state === 'assigned',
    );
    expect(moved).toMatchObject({ ticket: receiverTicket, assignee: charlie.userId, force: 'gendarmerie' });
    // 20: the giver's queue room reads where it went.
    await waitUntil('the move in the police log', async () =>
      (
        await queueLines(
          alex,
          'police',
          `Conversation n°${ticket} transférée à Charlie (n°${receiverTicket} de la Gendarmerie nationale).`,
        )
      ).length
        ? true
        : undefined,
    );
    // 22: renamed with the new ticket, moved from the police space to the gendarmerie one.
    await waitUntil('the new room name', async () =>
      (await stateOf(roomId, 'm.room.name', ''))?.name === `Conversation n° ${receiverTicket}` ? true : undefined,
    );
    expect(await stateOf(stack().forces.gendarmerie.spaceId, 'm.space.child', roomId)).toMatchObject({
      via: [stack().serverName],
    });
    expect(await stateOf(stack().forces.police.spaceId, 'm.space.child', roomId)).toEqual({});
    await type(charlie, 'gendarmerie', `!clore ${receiverTicket} aucune`);
  }, 240_000);

  it('rings stock Element for an urgent conversation: m.text mentioning the agents on duty (21)', async () => {
    const guest = await registerGuest();
    const roomId = await openAndJoin(guest, { context: 'maison-rue-sport' });
    await answerTriage(guest, roomId, ['1', '1', '1']);
    await answerTriage(guest, roomId, ['22000']);
    const queued = await waitForEntry(
      roomId,
      'gendarmerie',
      'queued urgent',
      (entry) => entry.state === 'queued' && entry.priority === 'urgent',
      { timeoutMs: 30_000 },
    );
    const notice = await waitUntil('the urgent notice', async () =>
      (await queueLines(charlie, 'gendarmerie', `!prendre ${queued.ticket}`)).find((event) =>
        String(event.content.body).includes('URGENT'),
      ),
    );
    expect(notice.content.msgtype).toBe('m.text');
    expect((notice.content['m.mentions'] as { user_ids: string[] }).user_ids).toContain(charlie.userId);
    // Synapse's default push rules, as stock Element uses them, make it a highlighted notification for Charlie.
    const pushed = await waitUntil(
      'the notification for Charlie',
      async () => {
        const response = await matrixRequest<{
          notifications: Array<{ event: { event_id: string }; actions: unknown[] }>;
        }>('GET', '/_matrix/client/v3/notifications?limit=50', { token: charlie.accessToken });
        return response.body.notifications?.find((item) => item.event.event_id === notice.event_id);
      },
      30_000,
    );
    expect(pushed.actions).toContainEqual({ set_tweak: 'highlight' });
    await type(charlie, 'gendarmerie', `!prendre ${queued.ticket}`);
    await type(charlie, 'gendarmerie', `!clore ${queued.ticket} aucune`);
  }, 240_000);

  it('gives each audit event a short plain body: action, ticket, pseudonym, time; no IDs (24)', async () => {
    const { roomId, ticket } = await policeConversation();
    const claimEvent = await send(alex, queueOf('police'), 'm.room.message', {
      msgtype: 'm.text',
      body: `!prendre ${ticket}`,
    });
    await answerTo(alex, queueOf('police'), claimEvent);
    const audit = await waitUntil(
      'the audited claim',
      async () => {
        const events = await timeline({ accessToken: stack().bot.accessToken }, stack().forces.police.auditRoomId, 300);
        return events.find(
          (event) =>
            event.type === EventType.Audit && event.content.action === 'claim' && event.content.conversation === roomId,
        );
      },
      30_000,
    );
    const body = String(audit.content.body);
    expect(body).toMatch(
      new RegExp(
        `^Prise en charge — conversation n°${ticket} — par Alex — le \\d{2}/\\d{2}/\\d{4} à \\d{2}:\\d{2}:\\d{2} \\(heure de Paris\\)$`,
      ),
    );
    expect(body).not.toContain('@');
    expect(body).not.toContain('!');
    await type(alex, 'police', `!clore ${ticket} aucune`);
  }, 240_000);
});
