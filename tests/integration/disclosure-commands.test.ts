import { beforeAll, describe, expect, it } from 'vitest';
import { loginDemo, matrixRequest, registerGuest, stack, type Session } from '../support/matrix.ts';
import {
  answerTriage,
  botMessages,
  command,
  openAndJoin,
  say,
  timeline,
  waitForEntry,
  waitForMessages,
  waitUntil,
  type RoomEvent,
} from '../support/conversation.ts';

const DISCLOSURE = 'fr.espace-mineurs.disclosure';
const room = (roomId: string) => `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;

let agent: Session;
let colleague: Session;
let supervisor: Session;
let otherSupervisor: Session;

beforeAll(async () => {
  [agent, colleague, supervisor, otherSupervisor] = await Promise.all([
    loginDemo('pn-agent-1'),
    loginDemo('pn-agent-2'),
    loginDemo('pn-superviseur-1'),
    loginDemo('gn-superviseur-1'),
  ]);
  expect(
    await command(agent, stack().forces.police.queueRoomId, { action: 'duty', onDuty: true, capacity: 10 }),
  ).toMatchObject({ ok: true });
});

async function policeConversation(): Promise<{ guest: Session; roomId: string; ticket: number }> {
  const guest = await registerGuest();
  const roomId = await openAndJoin(guest, { context: 'ecole' });
  await answerTriage(guest, roomId, ['2', '3', '2', '4', '94000']);
  const queued = await waitForEntry(roomId, 'police', 'queued', (entry) => entry.state === 'queued');
  expect(
    await command(agent, stack().forces.police.queueRoomId, { action: 'claim', conversation: roomId }),
  ).toMatchObject({ ok: true });
  return { guest, roomId, ticket: queued.ticket };
}

/** The requests the bot published for a conversation, as a supervisor of the force sees them. */
async function requestsFor(roomId: string): Promise<Array<Record<string, unknown>>> {
  const response = await matrixRequest<RoomEvent[]>('GET', `${room(stack().forces.police.supervisorsRoomId)}/state`, {
    token: supervisor.accessToken,
  });
  expect(response.status).toBe(200);
  return response.body
    .filter((event) => event.type === DISCLOSURE && event.content.conversation === roomId)
    .map((event) => event.content);
}

async function auditActions(roomId: string): Promise<unknown[]> {
  const audit = await timeline({ accessToken: stack().bot.accessToken }, stack().forces.police.auditRoomId, 300);
  return audit.filter((event) => event.content.conversation === roomId).map((event) => event.content.action);
}

describe('lifting anonymity through the running bot', () => {
  it('an agent of the force asks; the requester, an agent and the other force cannot decide; a supervisor approves; only the two see the data; the young person is told', async () => {
    const { guest, roomId, ticket } = await policeConversation();
    const queue = stack().forces.police.queueRoomId;
    expect(
      await command(colleague, queue, { action: 'disclosure_request', conversation: roomId, reason: 'court' }),
    ).toMatchObject({ ok: false, code: 'BAD_COMMAND' });
    // Any agent of the force may ask, not only the assignee (pn-agent-2 does not hold the conversation).
    expect(
      await command(colleague, queue, {
        action: 'disclosure_request',
        conversation: roomId,
        reason: 'Il dit être menacé ce soir devant chez lui.',
      }),
    ).toMatchObject({ ok: true });
    const [pending] = await waitUntil('the published request', async () =>
      (await requestsFor(roomId)).length ? requestsFor(roomId) : undefined,
    );
    expect(pending).toMatchObject({ status: 'pending', requester: colleague.userId, force: 'police' });
    const id = String(pending!.id);
    await waitForMessages(supervisor, stack().forces.police.supervisorsRoomId, 'the readable notice', (events) =>
      events.some((event) => String(event.content.body ?? '').includes(`Demande de levée d'anonymat ${id}`)),
    );

    const decide = (who: Session, queueRoomId: string, decision: 'approve' | 'refuse') =>
      command(who, queueRoomId, { action: 'disclosure_decision', conversation: roomId, disclosure: id, decision });
    expect(await decide(colleague, queue, 'approve')).toMatchObject({ ok: false, code: 'OWN_REQUEST' });
    expect(await decide(agent, queue, 'approve')).toMatchObject({ ok: false, code: 'NOT_SUPERVISOR' });
    expect(await decide(otherSupervisor, stack().forces.gendarmerie.queueRoomId, 'approve')).toMatchObject({
      ok: false,
      code: 'WRONG_FORCE',
    });
    expect((await requestsFor(roomId))[0]).toMatchObject({ status: 'pending' });

    expect(await decide(supervisor, queue, 'approve')).toMatchObject({ ok: true });
    const approved = (await requestsFor(roomId))[0]!;
    expect(approved).toMatchObject({ status: 'approved', decidedBy: supervisor.userId });
    const disclosureRoom = String(approved.disclosureRoom);
    const members = await matrixRequest<{ chunk: RoomEvent[] }>('GET', `${room(disclosureRoom)}/members`, {
      token: stack().bot.accessToken,
    });
    const invited = members.body.chunk
      .filter((event) => ['invite', 'join'].includes(String(event.content.membership)))
      .map((event) => event.state_key)
      .sort();
    expect(invited).toEqual([stack().bot.userId, colleague.userId, supervisor.userId].sort());
    const disclosed = botMessages(await timeline({ accessToken: stack().bot.accessToken }, disclosureRoom));
    expect(disclosed.some((event) => String(event.content.body).includes('Code postal indiqué : 94000'))).toBe(true);
    // The young person is told help is coming, in their room.
    await waitForMessages(guest, roomId, 'the help-is-coming message', (events) =>
      botMessages(events).some((event) =>
        String(event.content.body).startsWith('Nous sommes très inquiets pour ta sécurité'),
      ),
    );
    // A second decision on the same request is refused.
    expect(await decide(supervisor, queue, 'refuse')).toMatchObject({ ok: false, code: 'ALREADY_DECIDED' });
    await waitUntil('the audit of request, approval and disclosure', async () => {
      const actions = await auditActions(roomId);
      return ['disclosure_request', 'disclosure_approve', 'disclosure'].every((action) => actions.includes(action))
        ? actions
        : undefined;
    });
    expect(ticket).toBeGreaterThan(0);
  });

  it('Element text commands: request and refusal, audited; !aide lists them', async () => {
    const { roomId, ticket } = await policeConversation();
    const queue = stack().forces.police.queueRoomId;
    await say(agent, queue, `!levee ${ticket} menace de passage à l'acte ce soir`);
    const [pending] = await waitUntil('the published request', async () =>
      (await requestsFor(roomId)).length ? requestsFor(roomId) : undefined,
    );
    const id = String(pending!.id);
    await say(supervisor, queue, `!refuser-levee ${ticket} ${id} pas assez d'éléments`);
    await waitUntil('the refused request', async () =>
      (await requestsFor(roomId))[0]?.status === 'refused' ? true : undefined,
    );
    await waitUntil('the audit of the refusal', async () =>
      (await auditActions(roomId)).includes('disclosure_refuse') ? true : undefined,
    );
    await say(agent, queue, '!aide');
    await waitForMessages(agent, queue, 'the help text with the safety commands', (events) =>
      events.some((event) => String(event.content.body ?? '').includes('!levee N motif')),
    );
  });
});
